package dev.xent;

/**
 * What a loss call computes besides the loss: the gradient with respect to the input (of the reduced loss; of the
 * sum for reduction 'none'), top-1 and top-k accuracy over non-ignored targets, and the predicted classes.
 */
public final class Outputs {
    public static final Outputs LOSS_ONLY = builder().build();

    private final boolean gradient;
    private final boolean accuracy;
    private final int topK;
    private final boolean predictions;
    private final Tensor gradOutput;

    private Outputs(Builder b) {
        if (b.gradOutput != null && !b.gradient) throw new InvalidInputException("an upstream gradient (grad_output) needs gradient(true)");
        this.gradOutput = b.gradOutput;
        this.gradient = b.gradient;
        this.accuracy = b.accuracy || b.topK > 0;
        this.topK = b.topK;
        this.predictions = b.predictions;
    }

    public boolean gradient() { return gradient; }

    /** Top-1 accuracy (also on whenever top-k is asked for). */
    public boolean accuracy() { return accuracy; }

    /** k of top-k accuracy, 0 for none. */
    public int topK() { return topK; }

    public boolean predictions() { return predictions; }

    public boolean any() { return gradient || accuracy || predictions; }

    /**
     * The upstream gradient the input's gradient is multiplied by, as autograd's {@code grad_output}: for reduction
     * 'none' one value per element of the losses (their shape), for 'mean' and 'sum' one value (any shape of one
     * element); null for 1 (the gradient of the reduced loss, of the sum for 'none').
     */
    public Tensor gradOutput() { return gradOutput; }

    public static Builder builder() { return new Builder(); }

    public static final class Builder {
        private boolean gradient, accuracy, predictions;
        private int topK;
        private Tensor gradOutput;

        public Builder gradient(boolean g) { gradient = g; return this; }

        public Builder accuracy(boolean a) { accuracy = a; return this; }

        /** Top-k accuracy: a target counts as a hit when fewer than k classes rank above it (ties: lower index first). */
        public Builder topK(int k) {
            if (k < 0) throw new InvalidInputException("top-k must be >= 1 (or 0 for none), got " + k);
            topK = k;
            return this;
        }

        public Builder predictions(boolean p) { predictions = p; return this; }

        /** The upstream gradient (see {@link Outputs#gradOutput()}); floating, checked against the losses' shape by the call. */
        public Builder gradOutput(Tensor go) {
            if (go != null && !go.dtype().isFloating()) throw new InvalidInputException("grad_output must be floating, got " + go.dtype().label());
            gradOutput = go;
            return this;
        }

        public Outputs build() { return new Outputs(this); }
    }
}
