package dev.xent;

/**
 * The options of a loss, exactly as PyTorch's {@code F.cross_entropy} / {@code F.nll_loss} take them. Immutable;
 * build with {@link #builder()} or start from {@link #DEFAULT} (mean, ignore_index -100, no weights, no smoothing).
 */
public final class LossSpec {
    public static final long DEFAULT_IGNORE_INDEX = -100;
    public static final LossSpec DEFAULT = builder().build();

    private final Reduction reduction;
    private final long ignoreIndex;
    private final Tensor weights;
    private final double labelSmoothing;

    private LossSpec(Builder b) {
        this.reduction = b.reduction;
        this.ignoreIndex = b.ignoreIndex;
        this.weights = b.weights;
        this.labelSmoothing = b.labelSmoothing;
    }

    public Reduction reduction() { return reduction; }

    /** Targets equal to this value contribute nothing and are not counted by 'mean'. It may equal a valid class. */
    public long ignoreIndex() { return ignoreIndex; }

    /** Per-class weights, shape (C), or null for all ones. */
    public Tensor weights() { return weights; }

    /** Label smoothing epsilon in [0, 1]. */
    public double labelSmoothing() { return labelSmoothing; }

    public Builder toBuilder() {
        return builder().reduction(reduction).ignoreIndex(ignoreIndex).weights(weights).labelSmoothing(labelSmoothing);
    }

    public static Builder builder() { return new Builder(); }

    @Override public String toString() {
        return "LossSpec{reduction=" + reduction.label() + ", ignoreIndex=" + ignoreIndex
                + ", weights=" + (weights == null ? "none" : weights) + ", labelSmoothing=" + labelSmoothing + "}";
    }

    public static final class Builder {
        private Reduction reduction = Reduction.MEAN;
        private long ignoreIndex = DEFAULT_IGNORE_INDEX;
        private Tensor weights;
        private double labelSmoothing;

        public Builder reduction(Reduction r) {
            if (r == null) throw new InvalidInputException("reduction must not be null");
            this.reduction = r;
            return this;
        }

        public Builder ignoreIndex(long i) { this.ignoreIndex = i; return this; }

        public Builder weights(Tensor w) {
            if (w != null && (w.rank() != 1 || !w.dtype().isFloating())) {
                throw new InvalidInputException("weights must be a 1-D floating tensor of shape (C), got " + w);
            }
            this.weights = w;
            return this;
        }

        public Builder weights(float... w) { return weights(w == null ? null : Tensor.of(w, w.length)); }

        public Builder labelSmoothing(double e) {
            if (!(e >= 0.0 && e <= 1.0)) throw new InvalidInputException("label_smoothing must be in [0, 1], got " + e);
            this.labelSmoothing = e;
            return this;
        }

        public LossSpec build() { return new LossSpec(this); }
    }
}
