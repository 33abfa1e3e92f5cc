package dev.xent;

/**
 * The result of a distillation loss ({@link Divergence}): the reduced value and its parts, the per-row values (for
 * reduction none) and the gradient with respect to the student's logits, where asked.
 */
public final class DivergenceResult {
    private final DivergenceSpec spec;
    private final double value, divergence, crossEntropy, divisor;
    private final Tensor perRow, gradient;
    private final long validRows;
    private final String device;

    DivergenceResult(
            DivergenceSpec spec,
            double value,
            double divergence,
            double crossEntropy,
            Tensor perRow,
            Tensor gradient,
            long validRows,
            double divisor,
            String device) {
        this.spec = spec;
        this.value = value;
        this.divergence = divergence;
        this.crossEntropy = crossEntropy;
        this.perRow = perRow;
        this.gradient = gradient;
        this.validRows = validRows;
        this.divisor = divisor;
        this.device = device;
    }

    /** {@return the reduced loss (NaN for reduction none)} */
    public double value() {
        return value;
    }

    /** {@return the divergence part, reduced as the loss is (kd: T² · KL, without α), NaN for none} */
    public double divergence() {
        return divergence;
    }

    /** {@return the cross-entropy part (kd with alpha), reduced as the loss is; NaN without it or for none} */
    public double crossEntropy() {
        return crossEntropy;
    }

    /** {@return per-row values (the mix with alpha; 0 for ignored rows), shape (N); null when they went to a sink} */
    public Tensor perRow() {
        return perRow;
    }

    /** {@return d loss / d student logits (of the sum, for reduction none), shape (N, C), or null} */
    public Tensor gradient() {
        return gradient;
    }

    /** {@return the count of rows that were not ignored (every row without targets)} */
    public long validRows() {
        return validRows;
    }

    /** {@return what the sums were divided by: 1, the rows that remain (batchmean) or rows · C (mean)} */
    public double divisor() {
        return divisor;
    }

    /** {@return where it was computed: reference, cpu or cuda} */
    public String device() {
        return device;
    }

    /** {@return the options the loss was computed with} */
    public DivergenceSpec spec() {
        return spec;
    }

    /** {@return true when {@link #value()} is a reduced value (any reduction but none)} */
    public boolean isScalar() {
        return spec.reduction() != Reduction.NONE;
    }
}
