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
    private final Extras extras;

    /** What a call computes besides the loss (see {@link Outputs}); absent parts are null or NaN. */
    public static final class Extras {
        public static final Extras NONE = new Extras(null, Double.NaN, Double.NaN, 0, null, Double.NaN);
        final Tensor gradient;
        final double accuracy, topkAccuracy, zLoss;
        final int topK;
        final Tensor predictions;

        public Extras(Tensor gradient, double accuracy, double topkAccuracy, int topK, Tensor predictions, double zLoss) {
            this.gradient = gradient;
            this.accuracy = accuracy;
            this.topkAccuracy = topkAccuracy;
            this.topK = topK;
            this.predictions = predictions;
            this.zLoss = zLoss;
        }
    }

    public LossResult(Reduction reduction, double value, Tensor perElement, double weightSum, String device) {
        this(reduction, value, perElement, weightSum, device, Extras.NONE);
    }

    public LossResult(Reduction reduction, double value, Tensor perElement, double weightSum, String device, Extras extras) {
        this.reduction = reduction;
        this.value = value;
        this.perElement = perElement;
        this.weightSum = weightSum;
        this.device = device;
        this.extras = extras;
    }

    /** Gradient of the reduced loss (of the sum, for 'none') with respect to the input: its shape and dtype; or null. */
    public Tensor gradient() { return extras.gradient; }

    /** Top-1 accuracy over non-ignored class-index targets (NaN if not asked for, or none counted). */
    public double accuracy() { return extras.accuracy; }

    /** Top-k accuracy for k = {@link #topK()} (NaN if not asked for). */
    public double topkAccuracy() { return extras.topkAccuracy; }

    public int topK() { return extras.topK; }

    /** Predicted class (argmax over the class axis, first maximum on ties) per target position, int64; or null. */
    public Tensor predictions() { return extras.predictions; }

    /** The z-loss part of {@link #value()}, reduced the same way (NaN when the scale is 0 or reduction is 'none'). */
    public double zLoss() { return extras.zLoss; }

    /** The same result with other extras. */
    public LossResult withExtras(Extras e) { return new LossResult(reduction, value, perElement, weightSum, device, e); }

    /** The same result reported as computed on another device (when a backend hands work to another). */
    public LossResult onDevice(String d) { return new LossResult(reduction, value, perElement, weightSum, d, extras); }

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
