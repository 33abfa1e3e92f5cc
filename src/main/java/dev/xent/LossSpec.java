package dev.xent;

/**
 * The options of a loss, exactly as PyTorch's {@code F.cross_entropy} / {@code F.nll_loss} take them. Immutable;
 * build with {@link #builder()} or start from {@link #DEFAULT} (mean, ignore_index -100, no weights, no smoothing).
 */
public final class LossSpec {
    /** PyTorch's default ignore_index. */
    public static final long DEFAULT_IGNORE_INDEX = -100;
    /** PyTorch's defaults: mean, ignore_index -100, no weights, no smoothing, no z-loss, no softcap. */
    public static final LossSpec DEFAULT = builder().build();

    private final Reduction reduction;
    private final long ignoreIndex;
    private final Tensor weights;
    private final double labelSmoothing;
    private final double zLossScale;
    private final double softcap;

    private LossSpec(Builder b) {
        this.reduction = b.reduction;
        this.ignoreIndex = b.ignoreIndex;
        this.weights = b.weights;
        this.labelSmoothing = b.labelSmoothing;
        this.zLossScale = b.zLossScale;
        this.softcap = b.softcap;
    }

    /** {@return the reduction: none, sum or mean} */
    public Reduction reduction() {
        return reduction;
    }

    /** {@return the ignore_index: targets equal to it contribute nothing and are not counted by 'mean'} It may equal a valid class. */
    public long ignoreIndex() {
        return ignoreIndex;
    }

    /** {@return the per-class weights, shape (C), or null for all ones} */
    public Tensor weights() {
        return weights;
    }

    /** {@return the label smoothing epsilon, in [0, 1]} */
    public double labelSmoothing() {
        return labelSmoothing;
    }

    /**
     * z-loss scale s (Liger-Kernel's lse_square_scale; 0 for none): s * lse^2 is added to each non-ignored row's loss,
     * where lse is the row's log-sum-exp; 'mean' divides the z part by the count of non-ignored rows.
     *
     * @return s, finite and at least 0
     */
    public double zLossScale() {
        return zLossScale;
    }

    /** {@return the logit softcap (Liger-Kernel's softcap; 0 for none): logits become cap * tanh(x / cap) before the softmax} */
    public double softcap() {
        return softcap;
    }

    /** {@return a builder holding these options, to change some of them} */
    public Builder toBuilder() {
        return builder()
                .reduction(reduction)
                .ignoreIndex(ignoreIndex)
                .weights(weights)
                .labelSmoothing(labelSmoothing)
                .zLossScale(zLossScale)
                .softcap(softcap);
    }

    /** {@return a builder at PyTorch's defaults} */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String toString() {
        return "LossSpec{reduction=" + reduction.label() + ", ignoreIndex=" + ignoreIndex
                + ", weights=" + (weights == null ? "none" : weights) + ", labelSmoothing=" + labelSmoothing
                + (zLossScale != 0 ? ", zLossScale=" + zLossScale : "") + (softcap != 0 ? ", softcap=" + softcap : "")
                + "}";
    }

    /** Collects the options, checking each as it is set; weights are checked against C by {@link LossProblem#of}. */
    public static final class Builder {
        private Reduction reduction = Reduction.MEAN;
        private long ignoreIndex = DEFAULT_IGNORE_INDEX;
        private Tensor weights;
        private double labelSmoothing;
        private double zLossScale;
        private double softcap;

        /**
         * Sets the reduction.
         *
         * @param r none, sum or mean
         * @return this builder
         * @throws InvalidInputException if {@code r} is null or batchmean
         */
        public Builder reduction(Reduction r) {
            if (r == null) throw new InvalidInputException("reduction must not be null");
            if (r == Reduction.BATCHMEAN)
                throw new InvalidInputException(
                        "batchmean belongs to kl_div and the distillation losses: cross-entropy and NLL take none, sum or mean");
            this.reduction = r;
            return this;
        }

        /**
         * Sets the target value whose positions contribute nothing and are not counted by 'mean'.
         *
         * @param i any value (-100 by default); it may equal a valid class, which then drops out
         * @return this builder
         */
        public Builder ignoreIndex(long i) {
            this.ignoreIndex = i;
            return this;
        }

        /**
         * Sets the per-class weights.
         *
         * @param w a 1-d floating tensor of shape (C), or null for all ones
         * @return this builder
         * @throws InvalidInputException if {@code w} is not 1-d or not floating
         */
        public Builder weights(Tensor w) {
            if (w != null && (w.rank() != 1 || !w.dtype().isFloating())) {
                throw new InvalidInputException("weights must be a 1-D floating tensor of shape (C), got " + w);
            }
            this.weights = w;
            return this;
        }

        /**
         * Sets the per-class weights from float32 values.
         *
         * @param w one weight per class (the array is not copied), or null for all ones
         * @return this builder
         */
        public Builder weights(float... w) {
            return weights(w == null ? null : Tensor.of(w, w.length));
        }

        /**
         * Sets PyTorch's {@code label_smoothing}: the target becomes (1 − ε) · target + ε / C.
         *
         * @param e ε in [0, 1]
         * @return this builder
         * @throws InvalidInputException if {@code e} is outside [0, 1] (or NaN)
         */
        public Builder labelSmoothing(double e) {
            if (!(e >= 0.0 && e <= 1.0)) throw new InvalidInputException("label_smoothing must be in [0, 1], got " + e);
            this.labelSmoothing = e;
            return this;
        }

        /**
         * Sets the z-loss scale (see {@link LossSpec#zLossScale()}); cross-entropy only.
         *
         * @param s the scale, finite and at least 0; 0 for none
         * @return this builder
         * @throws InvalidInputException if {@code s} is negative, infinite or NaN
         */
        public Builder zLossScale(double s) {
            if (!(s >= 0 && Double.isFinite(s)))
                throw new InvalidInputException("z-loss scale must be finite and >= 0, got " + s);
            this.zLossScale = s;
            return this;
        }

        /**
         * Sets the logit softcap (see {@link LossSpec#softcap()}); cross-entropy only.
         *
         * @param cap the cap, finite and greater than 0; 0 for none
         * @return this builder
         * @throws InvalidInputException if {@code cap} is negative, infinite or NaN
         */
        public Builder softcap(double cap) {
            if (!(cap >= 0 && Double.isFinite(cap)))
                throw new InvalidInputException("softcap must be finite and > 0 (0 for none), got " + cap);
            this.softcap = cap;
            return this;
        }

        /** {@return the options set so far} */
        public LossSpec build() {
            return new LossSpec(this);
        }
    }
}
