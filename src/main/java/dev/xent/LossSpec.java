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

    public Reduction reduction() { return reduction; }

    /** Targets equal to this value contribute nothing and are not counted by 'mean'. It may equal a valid class. */
    public long ignoreIndex() { return ignoreIndex; }

    /** Per-class weights, shape (C), or null for all ones. */
    public Tensor weights() { return weights; }

    /** Label smoothing epsilon in [0, 1]. */
    public double labelSmoothing() { return labelSmoothing; }

    /**
     * z-loss scale s (Liger-Kernel's lse_square_scale; 0 for none): s * lse^2 is added to each non-ignored row's loss,
     * where lse is the row's log-sum-exp; 'mean' divides the z part by the count of non-ignored rows.
     */
    public double zLossScale() { return zLossScale; }

    /** Logit softcap (Liger-Kernel's softcap; 0 for none): logits become cap * tanh(x / cap) before the softmax. */
    public double softcap() { return softcap; }

    public Builder toBuilder() {
        return builder().reduction(reduction).ignoreIndex(ignoreIndex).weights(weights).labelSmoothing(labelSmoothing)
                .zLossScale(zLossScale).softcap(softcap);
    }

    public static Builder builder() { return new Builder(); }

    @Override public String toString() {
        return "LossSpec{reduction=" + reduction.label() + ", ignoreIndex=" + ignoreIndex
                + ", weights=" + (weights == null ? "none" : weights) + ", labelSmoothing=" + labelSmoothing
                + (zLossScale != 0 ? ", zLossScale=" + zLossScale : "") + (softcap != 0 ? ", softcap=" + softcap : "") + "}";
    }

    public static final class Builder {
        private Reduction reduction = Reduction.MEAN;
        private long ignoreIndex = DEFAULT_IGNORE_INDEX;
        private Tensor weights;
        private double labelSmoothing;
        private double zLossScale;
        private double softcap;

        public Builder reduction(Reduction r) {
            if (r == null) throw new InvalidInputException("reduction must not be null");
            if (r == Reduction.BATCHMEAN) throw new InvalidInputException("batchmean belongs to kl_div and the distillation losses: cross-entropy and NLL take none, sum or mean");
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

        public Builder zLossScale(double s) {
            if (!(s >= 0 && Double.isFinite(s))) throw new InvalidInputException("z-loss scale must be finite and >= 0, got " + s);
            this.zLossScale = s;
            return this;
        }

        public Builder softcap(double cap) {
            if (!(cap >= 0 && Double.isFinite(cap))) throw new InvalidInputException("softcap must be finite and > 0 (0 for none), got " + cap);
            this.softcap = cap;
            return this;
        }

        public LossSpec build() { return new LossSpec(this); }
    }
}
