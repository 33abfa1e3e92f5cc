package dev.xent.cli;

import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** What {@code xent eval --loss} computes; {@link #label()} is the word the option takes and the output reports. */
enum EvalLoss {
    CE,
    NLL,
    BCE,
    KL,
    KD,
    JSD;

    String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The option's words, in any case (as before it was an enum). */
    static final class Converter implements ITypeConverter<EvalLoss> {
        @Override
        public EvalLoss convert(String s) {
            for (EvalLoss l : values()) if (l.label().equals(s.toLowerCase(Locale.ROOT))) return l;
            throw new TypeConversionException("--loss must be ce, nll, bce, kl, kd or jsd, not '" + s + "'");
        }
    }

    /** {@code --reduction}: the words {@link dev.xent.Reduction#parse} takes, with its message. */
    static final class ReductionConverter implements ITypeConverter<dev.xent.Reduction> {
        @Override
        public dev.xent.Reduction convert(String s) {
            try {
                return dev.xent.Reduction.parse(s);
            } catch (dev.xent.InvalidInputException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
