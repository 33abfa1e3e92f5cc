package dev.xent;

import java.util.Locale;

/** Where to compute. AUTO takes CUDA when a device is usable, else the fast CPU path. */
public enum Device {
    AUTO, CPU, CUDA, REFERENCE;

    public static Device parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("device must be auto, cpu, cuda or reference, not '" + s + "'");
        }
    }

    public String label() { return name().toLowerCase(Locale.ROOT); }
}
