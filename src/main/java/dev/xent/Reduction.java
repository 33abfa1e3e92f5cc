package dev.xent;

import java.util.Locale;

/** How per-element losses combine, as PyTorch's {@code reduction} argument. */
public enum Reduction {
    /** One loss per target element, in the target's shape (ignored positions hold 0). */
    NONE,
    /** The sum of per-element losses. */
    SUM,
    /** The sum divided by the total weight of non-ignored targets (class indices) or by the row count (probabilities). */
    MEAN,
    /**
     * The sum divided by the batch size: {@code F.kl_div}'s recommended reduction (input.size(0)), and the default of
     * the distillation losses (rows that are not ignored). Cross-entropy, NLL and BCE have no batchmean.
     */
    BATCHMEAN;

    /**
     * Parses a reduction name, ignoring case and surrounding blanks.
     *
     * @param s none, sum, mean or batchmean
     * @return the reduction
     * @throws InvalidInputException for any other name
     */
    public static Reduction parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("reduction must be none, sum, mean or batchmean, not '" + s + "'");
        }
    }

    /** {@return the lower-case name, as PyTorch spells the {@code reduction} argument} */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
