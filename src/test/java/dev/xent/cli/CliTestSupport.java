package dev.xent.cli;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.InvalidInputException;

/** Shared checks of the command-line tests. */
final class CliTestSupport {
    private CliTestSupport() {}

    /** {@code e} throws InvalidInputException with {@code part} in its message. */
    static void assertMessage(String part, org.junit.jupiter.api.function.Executable e) {
        InvalidInputException x = assertThrows(InvalidInputException.class, e);
        assertTrue(x.getMessage().contains(part), x.getMessage());
    }
}
