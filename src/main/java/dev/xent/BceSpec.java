package dev.xent;

/**
 * The options of {@code F.binary_cross_entropy_with_logits}: reduction, {@code weight} (broadcast to the input, NumPy
 * rules) and {@code pos_weight} (broadcast to the input from the last axis, e.g. shape (C)). Immutable.
 */
public final class BceSpec {
    /** Reduction 'mean', no weight, no pos_weight: PyTorch's defaults. */
    public static final BceSpec DEFAULT = builder().build();

    private final Reduction reduction;
    private final Tensor weight;
    private final Tensor posWeight;

    private BceSpec(Builder b) {
        this.reduction = b.reduction;
        this.weight = b.weight;
        this.posWeight = b.posWeight;
    }

    /** {@return the reduction: none, sum or mean (never batchmean)} */
    public Reduction reduction() {
        return reduction;
    }

    /** {@return the element weight, broadcast to the input (NumPy rules), or null for none} */
    public Tensor weight() {
        return weight;
    }

    /** {@return the weight of the positive term, broadcast to the input from the last axis, or null for none} */
    public Tensor posWeight() {
        return posWeight;
    }

    /** {@return a builder at PyTorch's defaults (mean, no weights)} */
    public static Builder builder() {
        return new Builder();
    }

    /** Collects the options; shapes are checked against the input later, by {@link BinaryCrossEntropy#of}. */
    public static final class Builder {
        private Reduction reduction = Reduction.MEAN;
        private Tensor weight, posWeight;

        /**
         * Sets the reduction.
         *
         * @param r none, sum or mean
         * @return this builder
         * @throws InvalidInputException if {@code r} is null or batchmean (kl_div's and the distillation losses' only)
         */
        public Builder reduction(Reduction r) {
            if (r == null) throw new InvalidInputException("reduction must not be null");
            if (r == Reduction.BATCHMEAN)
                throw new InvalidInputException(
                        "batchmean belongs to kl_div and the distillation losses: binary cross-entropy takes none, sum or mean");
            this.reduction = r;
            return this;
        }

        /**
         * Sets PyTorch's {@code weight}, a factor of each element's loss.
         *
         * @param w a floating tensor that broadcasts to the input (NumPy rules), or null for none
         * @return this builder
         */
        public Builder weight(Tensor w) {
            this.weight = w;
            return this;
        }

        /**
         * Sets PyTorch's {@code pos_weight}, the factor of the positive (target) term.
         *
         * @param pw a floating tensor that broadcasts to the input from the last axis, e.g. shape (C), or null for none
         * @return this builder
         */
        public Builder posWeight(Tensor pw) {
            this.posWeight = pw;
            return this;
        }

        /** {@return the options set so far (the builder can go on being used)} */
        public BceSpec build() {
            return new BceSpec(this);
        }
    }
}
