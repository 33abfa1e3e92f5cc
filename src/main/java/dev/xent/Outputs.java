package dev.xent;

/**
 * What a loss call computes besides the loss: the gradient with respect to the input (of the reduced loss; of the
 * sum for reduction 'none'), top-1 and top-k accuracy over non-ignored targets, and the predicted classes.
 */
public final class Outputs {
    /** Nothing besides the loss. */
    public static final Outputs LOSS_ONLY = builder().build();

    private final boolean gradient;
    private final boolean accuracy;
    private final int topK;
    private final boolean predictions;
    private final boolean rowStatistics;
    private final Tensor gradOutput;

    private Outputs(Builder b) {
        if (b.gradOutput != null && !b.gradient)
            throw new InvalidInputException("an upstream gradient (grad_output) needs gradient(true)");
        this.gradOutput = b.gradOutput;
        this.gradient = b.gradient;
        this.accuracy = b.accuracy || b.topK > 0;
        this.topK = b.topK;
        this.predictions = b.predictions;
        this.rowStatistics = b.rowStatistics;
    }

    /** {@return true when the gradient with respect to the input is computed} */
    public boolean gradient() {
        return gradient;
    }

    /** {@return true when top-1 accuracy is computed (also whenever top-k is asked for)} */
    public boolean accuracy() {
        return accuracy;
    }

    /** {@return k of top-k accuracy, 0 for none} */
    public int topK() {
        return topK;
    }

    /** {@return true when each row's predicted class is returned} */
    public boolean predictions() {
        return predictions;
    }

    /** {@return true when anything besides the loss is asked for} */
    public boolean any() {
        return gradient || accuracy || predictions || rowStatistics;
    }

    /**
     * The upstream gradient the input's gradient is multiplied by, as autograd's {@code grad_output}: for reduction
     * 'none' one value per element of the losses (their shape), for 'mean' and 'sum' one value (any shape of one
     * element); null for 1 (the gradient of the reduced loss, of the sum for 'none').
     *
     * @return the upstream gradient, or null
     */
    public Tensor gradOutput() {
        return gradOutput;
    }

    /**
     * {@return true when each row's log-sum-exp lse = m + log Σ exp(x − m) (as Cut Cross-Entropy returns it) and
     * predictive entropy −Σ p log p = lse − Σ p x are computed in the loss's pass, of the logits the loss sees (capped
     * when a softcap is set), with their mean over the rows whose target is not ignored; cross-entropy only}
     */
    public boolean rowStatistics() {
        return rowStatistics;
    }

    /** {@return a builder that asks for nothing besides the loss} */
    public static Builder builder() {
        return new Builder();
    }

    /** Collects what to compute; {@link #build} checks that an upstream gradient comes with the gradient. */
    public static final class Builder {
        private boolean gradient, accuracy, predictions, rowStatistics;
        private int topK;
        private Tensor gradOutput;

        /**
         * Asks for the gradient with respect to the input.
         *
         * @param g true to compute it
         * @return this builder
         */
        public Builder gradient(boolean g) {
            gradient = g;
            return this;
        }

        /**
         * Asks for top-1 accuracy over non-ignored class-index targets.
         *
         * @param a true to compute it
         * @return this builder
         */
        public Builder accuracy(boolean a) {
            accuracy = a;
            return this;
        }

        /**
         * Top-k accuracy: a target counts as a hit when fewer than k classes rank above it (ties: lower index first).
         *
         * @param k at least 1, at most C (checked by the call); 0 for none
         * @return this builder
         * @throws InvalidInputException if {@code k} is negative
         */
        public Builder topK(int k) {
            if (k < 0) throw new InvalidInputException("top-k must be >= 1 (or 0 for none), got " + k);
            topK = k;
            return this;
        }

        /**
         * Asks for each row's log-sum-exp and predictive entropy, and their mean (see {@link Outputs#rowStatistics()}).
         *
         * @param r true to compute them
         * @return this builder
         */
        public Builder rowStatistics(boolean r) {
            rowStatistics = r;
            return this;
        }

        /**
         * Asks for each row's predicted class (argmax, first maximum on ties).
         *
         * @param p true to return them
         * @return this builder
         */
        public Builder predictions(boolean p) {
            predictions = p;
            return this;
        }

        /**
         * The upstream gradient (see {@link Outputs#gradOutput()}); floating, checked against the losses' shape by the call.
         *
         * @param go the upstream gradient, or null for none
         * @return this builder
         * @throws InvalidInputException if {@code go} is not floating
         */
        public Builder gradOutput(Tensor go) {
            if (go != null && !go.dtype().isFloating())
                throw new InvalidInputException(
                        "grad_output must be floating, got " + go.dtype().label());
            gradOutput = go;
            return this;
        }

        /**
         * The checked request.
         *
         * @return the outputs
         * @throws InvalidInputException if an upstream gradient is set without the gradient
         */
        public Outputs build() {
            return new Outputs(this);
        }
    }
}
