package dev.xent.cli;

import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** What {@code xent bench --op} times; {@link #label()} is the word the option takes and the JSON reports. */
enum BenchOp {
    FORWARD,
    FWDBWD,
    E2E,
    SOFTMAX,
    LOG_SOFTMAX,
    KD,
    JSD;

    String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** softmax and log_softmax: an output over the classes rather than a loss. */
    boolean softmax() {
        return this == SOFTMAX || this == LOG_SOFTMAX;
    }

    /** kd and jsd: a student's and a teacher's logits. */
    boolean divergence() {
        return this == KD || this == JSD;
    }

    /** The ops that write an output as large as the logits. */
    boolean writesOutput() {
        return this == FWDBWD || softmax();
    }

    /** The option's words, exactly (as before it was an enum: lower case only). */
    static final class Converter implements ITypeConverter<BenchOp> {
        @Override
        public BenchOp convert(String s) {
            for (BenchOp op : values()) if (op.label().equals(s)) return op;
            throw new TypeConversionException(
                    "--op must be forward, fwdbwd, e2e, softmax, log_softmax, kd or jsd, not '" + s + "'");
        }
    }
}
