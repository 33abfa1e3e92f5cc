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

    private Outputs(Builder b) {
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

    public static Builder builder() { return new Builder(); }

    public static final class Builder {
        private boolean gradient, accuracy, predictions;
        private int topK;

        public Builder gradient(boolean g) { gradient = g; return this; }

        public Builder accuracy(boolean a) { accuracy = a; return this; }

        /** Top-k accuracy: a target counts as a hit when fewer than k classes rank above it (ties: lower index first). */
        public Builder topK(int k) {
            if (k < 0) throw new InvalidInputException("top-k must be >= 1 (or 0 for none), got " + k);
            topK = k;
            return this;
        }

        public Builder predictions(boolean p) { predictions = p; return this; }

        public Outputs build() { return new Outputs(this); }
    }
}
