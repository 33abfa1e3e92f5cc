package dev.xent;

/**
 * Bad input from the caller: a shape mismatch, a target out of range, an unreadable file, an option out of bounds.
 * The message is meant for the user as it stands (the CLI prints it and exits with status 2).
 */
public class InvalidInputException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /**
     * An error with a message for the user.
     *
     * @param message what is wrong, in words the user can act on
     */
    public InvalidInputException(String message) {
        super(message);
    }

    /**
     * An error with a message for the user and the failure behind it.
     *
     * @param message what is wrong, in words the user can act on
     * @param cause the underlying failure (an IOException, say)
     */
    public InvalidInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
