package dev.xent;

/**
 * The outcome of a loss: the reduced value (for 'sum' and 'mean') and the per-element losses (always), with the
 * bookkeeping a report needs.
 */
public final class LossResult {
    private final Reduction reduction;
    private final double value;
    private final Tensor perElement;
    private final double weightSum;
    private final String device;

    public LossResult(Reduction reduction, double value, Tensor perElement, double weightSum, String device) {
        this.reduction = reduction;
        this.value = value;
        this.perElement = perElement;
        this.weightSum = weightSum;
        this.device = device;
    }

    public Reduction reduction() { return reduction; }

    /** The reduced loss for 'sum' and 'mean' (NaN for an all-ignored or empty 'mean'); NaN for 'none'. */
    public double value() { return value; }

    /** True when {@link #value()} is a reduced loss (reduction 'sum' or 'mean'). */
    public boolean isScalar() { return reduction != Reduction.NONE; }

    /** Per-element losses in the target's shape (class indices) or the input's shape less the class axis (probabilities); 0 where ignored. */
    public Tensor perElement() { return perElement; }

    /** The divisor 'mean' uses: the summed weight of non-ignored targets, or the row count for probability targets. */
    public double weightSum() { return weightSum; }

    /** The backend that computed this: reference, cpu or cuda. */
    public String device() { return device; }

    @Override public String toString() {
        return "LossResult{" + reduction.label() + "=" + value + ", device=" + device + "}";
    }
}
