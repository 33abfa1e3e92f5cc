package dev.xent;

import java.util.Locale;

/** Where to compute. AUTO takes CUDA when a device is usable, else the fast CPU path. */
public enum Device {
    /** CUDA when a device is usable, else CPU; {@code -Dxent.device} or {@code XENT_DEVICE} can pin it. */
    AUTO,
    /** The fast CPU path: a thread pool, the Vector API where present. */
    CPU,
    /** A CUDA GPU, through JCuda's driver binding and the packaged PTX kernels. */
    CUDA,
    /** The reference path: PyTorch's formulas in float64, one row at a time; the yardstick the others are tested against. */
    REFERENCE;

    /**
     * Parses a device name, ignoring case and surrounding blanks.
     *
     * @param s auto, cpu, cuda or reference
     * @return the device
     * @throws InvalidInputException for any other name
     */
    public static Device parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("device must be auto, cpu, cuda or reference, not '" + s + "'");
        }
    }

    /** {@return the lower-case name, as {@link #parse} reads it and the CLI's --device takes it} */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
