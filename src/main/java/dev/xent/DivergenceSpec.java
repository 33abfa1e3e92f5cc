package dev.xent;

/**
 * The options of a distillation loss between student and teacher logits, each row a distribution over C classes.
 * <ul>
 *   <li>{@link Kind#KD}: the Hinton recipe, T² · KL(softmax(teacher / T) ‖ softmax(student / T)) per row; with class
 *       targets and {@code alpha}, α · kd + (1 − α) · cross-entropy(student, target).</li>
 *   <li>{@link Kind#JSD}: Liger-Kernel's generalized Jensen-Shannon divergence β · KL(P ‖ M) + (1 − β) · KL(Q ‖ M),
 *       M = β·P + (1 − β)·Q, P = softmax(teacher / T), Q = softmax(student / T); β = 0 is the forward KL(P ‖ Q) and
 *       β = 1 the reverse KL(Q ‖ P), as Liger special-cases them. No T² factor, as in Liger.</li>
 * </ul>
 * A class whose teacher (for KL(P‖·)) or student (for KL(Q‖·)) probability is 0 adds 0 (the limit of p·log p), where
 * PyTorch's {@code kl_div} formula would give NaN when both logits are -inf. Rows whose target is {@code ignoreIndex}
 * drop out of every term. Reductions: none (one value per row), sum, batchmean (the sum over the rows that remain; the
 * default) and mean (the sum over rows · C, {@code kl_div}'s 'mean'; without targets only).
 */
public final class DivergenceSpec {
    /** Which divergence. */
    public enum Kind {
        /** T² · KL(P ‖ Q), optionally mixed with cross-entropy. */
        KD,
        /** The generalized Jensen-Shannon divergence of Liger-Kernel. */
        JSD
    }

    private final Kind kind;
    private final Reduction reduction;
    private final double temperature, alpha, beta;
    private final long ignoreIndex;

    private DivergenceSpec(Builder b) {
        this.kind = b.kind;
        this.reduction = b.reduction;
        this.temperature = b.temperature;
        this.alpha = b.alpha;
        this.beta = b.beta;
        this.ignoreIndex = b.ignoreIndex;
    }

    /**
     * Options of {@code kind} at their defaults: batchmean, T = 1, no cross-entropy mix, β = 0.5, ignore_index -100.
     *
     * @param kind kd or jsd
     * @return a builder
     * @throws InvalidInputException if {@code kind} is null
     */
    public static Builder builder(Kind kind) {
        return new Builder(kind);
    }

    /** {@return which divergence: kd or jsd} */
    public Kind kind() {
        return kind;
    }

    /** {@return the reduction: none, sum, batchmean (the default) or mean} */
    public Reduction reduction() {
        return reduction;
    }

    /** {@return the temperature T: both logits are divided by it before their softmax} */
    public double temperature() {
        return temperature;
    }

    /** {@return the weight of the kd term against cross-entropy with the targets; NaN when there is no mix (kd alone)} */
    public double alpha() {
        return alpha;
    }

    /** {@return true when cross-entropy with class targets is mixed in ({@code alpha} set)} */
    public boolean mixesCrossEntropy() {
        return !Double.isNaN(alpha);
    }

    /** {@return β of the Jensen-Shannon divergence} */
    public double beta() {
        return beta;
    }

    /** {@return the ignore_index: the target value whose rows are left out (with class targets)} */
    public long ignoreIndex() {
        return ignoreIndex;
    }

    @Override
    public String toString() {
        return "DivergenceSpec{" + kind.name().toLowerCase(java.util.Locale.ROOT) + ", reduction=" + reduction.label()
                + ", T=" + temperature + (mixesCrossEntropy() ? ", alpha=" + alpha : "")
                + (kind == Kind.JSD ? ", beta=" + beta : "") + ", ignoreIndex=" + ignoreIndex + "}";
    }

    /** Builds a checked {@link DivergenceSpec}. */
    public static final class Builder {
        private final Kind kind;
        private Reduction reduction = Reduction.BATCHMEAN;
        private double temperature = 1, alpha = Double.NaN, beta = 0.5;
        private long ignoreIndex = -100;

        private Builder(Kind kind) {
            if (kind == null) throw new InvalidInputException("the divergence kind must not be null");
            this.kind = kind;
        }

        /**
         * Sets the reduction; mean (over rows · C) cannot go with alpha, which {@link #build} checks.
         *
         * @param r none, sum, batchmean or mean
         * @return this builder
         * @throws InvalidInputException if {@code r} is null
         */
        public Builder reduction(Reduction r) {
            if (r == null) throw new InvalidInputException("reduction must not be null");
            this.reduction = r;
            return this;
        }

        /**
         * Sets the temperature T.
         *
         * @param t the temperature, finite and greater than 0
         * @return this builder
         * @throws InvalidInputException if {@code t} is not finite and positive
         */
        public Builder temperature(double t) {
            if (!(t > 0) || Double.isInfinite(t))
                throw new InvalidInputException("temperature must be a finite number > 0, got " + t);
            this.temperature = t;
            return this;
        }

        /**
         * Mixes in cross-entropy: loss = α · kd + (1 − α) · cross-entropy; needs class targets; kd only.
         *
         * @param a α in [0, 1]
         * @return this builder
         * @throws InvalidInputException if {@code a} is outside [0, 1] or the kind is jsd
         */
        public Builder alpha(double a) {
            if (!(a >= 0 && a <= 1)) throw new InvalidInputException("alpha must be in [0, 1], got " + a);
            if (kind != Kind.KD) throw new InvalidInputException("alpha mixes cross-entropy into kd; jsd has no alpha");
            this.alpha = a;
            return this;
        }

        /**
         * Sets β of the Jensen-Shannon divergence; jsd only.
         *
         * @param b β in [0, 1]: 0 is the forward KL(P ‖ Q), 1 the reverse KL(Q ‖ P)
         * @return this builder
         * @throws InvalidInputException if {@code b} is outside [0, 1] or the kind is kd
         */
        public Builder beta(double b) {
            if (!(b >= 0 && b <= 1)) throw new InvalidInputException("beta must be in [0, 1], got " + b);
            if (kind != Kind.JSD) throw new InvalidInputException("beta belongs to jsd");
            this.beta = b;
            return this;
        }

        /**
         * Sets the target value whose rows drop out of every term (and of batchmean's row count).
         *
         * @param i any value; -100 by default, as PyTorch
         * @return this builder
         */
        public Builder ignoreIndex(long i) {
            this.ignoreIndex = i;
            return this;
        }

        /**
         * The checked options.
         *
         * @return the spec
         * @throws InvalidInputException if alpha is set with reduction mean
         */
        public DivergenceSpec build() {
            if (mixes() && reduction == Reduction.MEAN) {
                throw new InvalidInputException(
                        "with cross-entropy mixed in, reduction is none, sum or batchmean (the mean over rows that remain); 'mean' (over rows · C) has no meaning for the mix");
            }
            return new DivergenceSpec(this);
        }

        private boolean mixes() {
            return !Double.isNaN(alpha);
        }
    }
}
