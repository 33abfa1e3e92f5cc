package dev.xent.cli;

import dev.xent.Device;
import dev.xent.InvalidInputException;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** {@code --device}, one option with one default for every command that computes. */
final class DeviceOption {
    @Option(
            names = "--device",
            defaultValue = "auto",
            converter = Converter.class,
            description = "auto, cpu, cuda or reference (default: ${DEFAULT-VALUE}: CUDA if usable, else the CPU).")
    Device device;

    /** As {@link Device#parse}: any case, blanks around it ignored; a bad name is a usage error with its message. */
    static final class Converter implements ITypeConverter<Device> {
        @Override
        public Device convert(String s) {
            try {
                return Device.parse(s);
            } catch (InvalidInputException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
