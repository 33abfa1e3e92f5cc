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

    /** Opens {@code file} for reading after checking that it is a regular file (following symbolic links). */
    public static FileChannel open(Path file) {
        checkRegular(file);
        try {
            return FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException e) {
            throw cannotRead(file, e);
        }
    }

    /** Throws unless {@code file} exists and is a regular file: never opens it, so a FIFO cannot block. */
    public static void checkRegular(Path file) {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (IOException e) {
            throw cannotRead(file, e);
        }
        if (a.isDirectory()) throw new InvalidInputException(file + ": is a directory, not a file");
        if (!a.isRegularFile()) throw new InvalidInputException(file + ": not a regular file (a FIFO, socket or device): xent reads files only");
    }

    /** The user-facing error for an I/O failure on an input. */
    public static InvalidInputException cannotRead(Path file, IOException e) {
        if (e instanceof NoSuchFileException) return new InvalidInputException(file + ": no such file");
        if (e instanceof AccessDeniedException) return new InvalidInputException(file + ": permission denied");
        return new InvalidInputException(file + ": cannot read: " + e.getMessage(), e);
    }
}
