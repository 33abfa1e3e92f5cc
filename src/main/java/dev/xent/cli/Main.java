package dev.xent.cli;

import dev.xent.InvalidInputException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code xent}: evaluate, demonstrate, benchmark and describe. Exit 0 on success, 2 for bad input or usage, 1 for internal failure. */
@Command(
        name = "xent",
        mixinStandardHelpOptions = true,
        versionProvider = Info.Version.class,
        description = "PyTorch-exact softmax, log-softmax, NLL and cross-entropy on the CPU and on NVIDIA GPUs.",
        subcommands = {
            EvalCommand.class,
            SoftmaxCommand.class,
            DemoCommand.class,
            BenchCommand.class,
            InfoCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Main implements Runnable {
    /** The exit statuses: EXIT_OK (0) success, EXIT_INTERNAL (1) an internal failure, EXIT_USAGE (2) bad input or usage. */
    public static final int EXIT_OK = 0, EXIT_INTERNAL = 1, EXIT_USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(
                spec.commandLine(), "name a command: eval, softmax, demo, bench or info");
    }

    /**
     * The {@code xent} command: runs {@link #run(String[], PrintWriter, PrintWriter)} on the standard streams and
     * exits with its status.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /**
     * Runs the command line and returns its exit status (for tests and main). Usage errors and bad input are
     * reported on {@code err} in one line; nothing is thrown.
     *
     * @param args the command line, without the program name
     * @param out where reports and help go
     * @param err where errors and diagnostics go
     * @return {@link #EXIT_OK}, {@link #EXIT_USAGE} or {@link #EXIT_INTERNAL}
     */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            // the qualified name ("xent eval"): the command's own name alone would make the root "xent xent"
            err.println("xent: " + oneLine(ex.getMessage()) + " (see: "
                    + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help)");
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parse) -> report(ex, err));
        int code;
        try {
            code = cl.execute(args);
        } catch (Error e) { // errors pass picocli's handler
            code = report(e, err);
        }
        out.flush();
        err.flush();
        return code;
    }

    /** The one line a failure gets: bad input is exit 2; a file that shrank while mapped too; out of memory and bugs 1. */
    static int report(Throwable ex, PrintWriter err) {
        for (Throwable e = ex; e != null; e = e.getCause() == e ? null : e.getCause()) {
            if (e instanceof InvalidInputException) {
                err.println("xent: error: " + oneLine(e.getMessage()));
                return EXIT_USAGE;
            }
            if (e instanceof InternalError && String.valueOf(e.getMessage()).contains("unsafe memory access")) {
                // the JVM's report of a SIGBUS on a mapped page: the file was truncated under us
                err.println(
                        "xent: error: an input file shrank while it was being read (a mapped page vanished); no output was changed");
                return EXIT_USAGE;
            }
            if (e instanceof OutOfMemoryError) {
                err.println(
                        "xent: error: out of memory with a "
                                + (Runtime.getRuntime().maxMemory() >> 20) + " MiB heap (" + oneLine(e.getMessage())
                                + "); give the JVM more with XENT_JVM_OPTS=-Xmx..., or smaller row blocks with -Dxent.blockElements; no output was changed");
                return EXIT_INTERNAL;
            }
        }
        err.println("xent: internal error: " + oneLine(String.valueOf(ex)));
        ex.printStackTrace(err);
        return EXIT_INTERNAL;
    }

    /** A message as one printable line: newlines, escape sequences and other control characters from files are escaped. */
    static String oneLine(String s) {
        if (s == null) return "";
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\n') b.append("\\n");
            else if (c == '\r') b.append("\\r");
            else if (c == '\t') b.append("\\t");
            else if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) b.append(String.format("\\x%02x", (int) c));
            else b.append(c);
        }
        return b.toString();
    }
}
