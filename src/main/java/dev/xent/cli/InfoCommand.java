package dev.xent.cli;

import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code xent info}: everything a bug report needs. */
@Command(
        name = "info",
        mixinStandardHelpOptions = true,
        description = "Versions, JVM, cores, vector module and what the GPU probe found.")
final class InfoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter o = spec.commandLine().getOut();
        Map<String, Object> f = Info.facts();
        if (json) {
            o.println(Json.write(f));
        } else {
            int w = f.keySet().stream().mapToInt(String::length).max().orElse(0);
            f.forEach((k, v) -> o.printf("%-" + w + "s  %s%n", k, v));
        }
        return 0;
    }
}
