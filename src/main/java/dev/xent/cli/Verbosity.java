package dev.xent.cli;

import picocli.CommandLine.Option;

/** {@code --verbose}, shared by the commands that compute: xent's INFO notes on stderr, which are off by default. */
final class Verbosity {
    /** The slf4j-simple property for the level of the dev.xent loggers. */
    static final String LEVEL_PROPERTY = "org.slf4j.simpleLogger.log.dev.xent";

    // slf4j-simple reads a logger's level when the logger is created, and xent's loggers are created when their
    // classes first run, after the command line is parsed: setting the property here is early enough
    @Option(
            names = "--verbose",
            description =
                    "Notes on stderr: which device --device auto chose and why, work moved from the GPU to the CPU.")
    void verbose(boolean on) {
        if (on) System.setProperty(LEVEL_PROPERTY, "info");
    }
}
