package dev.xent;

/**
 * Bad input from the caller: a shape mismatch, a target out of range, an unreadable file, an option out of bounds.
 * The message is meant for the user as it stands (the CLI prints it and exits with status 2).
 */
public class InvalidInputException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public InvalidInputException(String message) { super(message); }

    public InvalidInputException(String message, Throwable cause) { super(message, cause); }
}
