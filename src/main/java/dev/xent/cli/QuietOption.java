package dev.xent.cli;

import picocli.CommandLine.Option;

/** {@code -q}/{@code --quiet}, shared by the commands that show a progress bar on stderr. */
final class QuietOption {
    @Option(
            names = {"-q", "--quiet"},
            description = "No progress bar and no warnings on stderr.")
    boolean quiet;
}
