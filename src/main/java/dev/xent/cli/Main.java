package dev.xent.cli;

import dev.xent.InvalidInputException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code xent}: evaluate, demonstrate, benchmark and describe. Exit 0 on success, 2 for bad input or usage, 1 for internal failure. */
@Command(name = "xent", mixinStandardHelpOptions = true, versionProvider = Info.Version.class,
        description = "PyTorch-exact softmax, log-softmax, NLL and cross-entropy on the CPU and on NVIDIA GPUs.",
        subcommands = {EvalCommand.class, DemoCommand.class, BenchCommand.class, InfoCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    public static final int EXIT_OK = 0, EXIT_INTERNAL = 1, EXIT_USAGE = 2;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a command: eval, demo, bench or info (see xent --help)");
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line and returns its exit status (for tests and main). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("xent: " + ex.getMessage());
            err.println("(see: xent " + ex.getCommandLine().getCommandName() + " --help)");
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parse) -> {
            Throwable e = ex;
            while (!(e instanceof InvalidInputException) && e.getCause() != null && e.getCause() != e) e = e.getCause();
            if (e instanceof InvalidInputException) {
                err.println("xent: error: " + e.getMessage());
                return EXIT_USAGE;
            }
            err.println("xent: internal error: " + ex);
            ex.printStackTrace(err);
            return EXIT_INTERNAL;
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }
}
