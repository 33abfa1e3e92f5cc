package dev.xent;

/**
 * The options of {@code F.binary_cross_entropy_with_logits}: reduction, {@code weight} (broadcast to the input, NumPy
 * rules) and {@code pos_weight} (broadcast to the input from the last axis, e.g. shape (C)). Immutable.
 */
public final class BceSpec {
    public static final BceSpec DEFAULT = builder().build();

    private final Reduction reduction;
    private final Tensor weight;
    private final Tensor posWeight;

    private BceSpec(Builder b) {
        this.reduction = b.reduction;
        this.weight = b.weight;
        this.posWeight = b.posWeight;
    }

    public Reduction reduction() { return reduction; }

    public Tensor weight() { return weight; }

    public Tensor posWeight() { return posWeight; }

    public static Builder builder() { return new Builder(); }

    public static final class Builder {
        private Reduction reduction = Reduction.MEAN;
        private Tensor weight, posWeight;

        public Builder reduction(Reduction r) {
            if (r == null) throw new InvalidInputException("reduction must not be null");
            if (r == Reduction.BATCHMEAN) throw new InvalidInputException("batchmean belongs to kl_div and the distillation losses: binary cross-entropy takes none, sum or mean");
            this.reduction = r;
            return this;
        }

        public Builder weight(Tensor w) { this.weight = w; return this; }

        public Builder posWeight(Tensor pw) { this.posWeight = pw; return this; }

        public BceSpec build() { return new BceSpec(this); }
    }
}
