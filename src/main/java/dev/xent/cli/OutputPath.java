package dev.xent.cli;

import java.nio.file.Path;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** An output names a file: not empty, and not ending in '/' (which Path would drop). */
final class OutputPath implements ITypeConverter<Path> {
    @Override
    public Path convert(String s) {
        if (s.isEmpty() || s.endsWith("/"))
            throw new TypeConversionException("'" + s + "' does not name a file: an output is a file");
        return Path.of(s);
    }
}
