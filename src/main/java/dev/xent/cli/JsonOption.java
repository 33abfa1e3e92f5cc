package dev.xent.cli;

import picocli.CommandLine.Option;

/** {@code --json}, shared by the commands whose report ends in one JSON line (xent-spark's too, hence public). */
public final class JsonOption {
    @Option(names = "--json", description = "Print one JSON object as the last line of stdout.")
    boolean json;

    /** For picocli, which fills the option in. */
    public JsonOption() {}

    /** {@return whether --json was given} */
    public boolean json() {
        return json;
    }
}
