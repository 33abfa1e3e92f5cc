package dev.xent.io;

import dev.xent.InvalidInputException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;

/** Opening input files: regular files only (a FIFO would block the open, a device has no end), with plain errors. */
public final class Inputs {
    private Inputs() {}

    /**
     * Opens {@code file} for reading after checking that it is a regular file (following symbolic links).
     *
     * @param file the input
     * @return a read-only channel, which the caller closes
     * @throws InvalidInputException if it is missing, unreadable, a directory or not a regular file
     */
    public static FileChannel open(Path file) {
        checkRegular(file);
        try {
            return FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException e) {
            throw cannotRead(file, e);
        }
    }

    /**
     * Throws unless {@code file} exists and is a regular file: never opens it, so a FIFO cannot block.
     *
     * @param file the input
     * @throws InvalidInputException if it is missing, its attributes cannot be read, or it is not a regular file
     */
    public static void checkRegular(Path file) {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (IOException e) {
            throw cannotRead(file, e);
        }
        if (a.isDirectory()) throw new InvalidInputException(file + ": is a directory, not a file");
        if (!a.isRegularFile())
            throw new InvalidInputException(
                    file + ": not a regular file (a FIFO, socket or device): xent reads files only");
    }

    /**
     * The user-facing error for an I/O failure on an input.
     *
     * @param file the input
     * @param e the failure
     * @return "no such file", "permission denied", or "cannot read" with {@code e}'s message (and {@code e} as cause)
     */
    public static InvalidInputException cannotRead(Path file, IOException e) {
        if (e instanceof NoSuchFileException) return new InvalidInputException(file + ": no such file");
        if (e instanceof AccessDeniedException) return new InvalidInputException(file + ": permission denied");
        return new InvalidInputException(file + ": cannot read: " + e.getMessage(), e);
    }
}
