package dev.xent;

/**
 * The outcome of a loss: the reduced value (for 'sum' and 'mean') and the per-element losses, with the bookkeeping a
 * report needs. When the per-element losses, the gradient or the predictions were streamed to a {@link ResultSink},
 * the corresponding accessor returns null.
 */
public final class LossResult {
    private final Reduction reduction;
    private final double value;
    private final Tensor perElement;
    private final double weightSum;
    private final long validRows;
    private final String device;
    private final Extras extras;

    /**
     * What a call computes besides the loss (see {@link Outputs}), as counts so that the parts of a request (row
     * blocks, shards, partitions) merge exactly; absent parts are null or -1.
     *
     * @param gradient d loss / d input, or null
     * @param hits1 the count of rows whose target is the top-1 prediction, -1 when not computed
     * @param hitsK the count of rows whose target is in the top {@code topK}, -1 when not computed
     * @param topK k of top-k accuracy, 0 for none
     * @param predictions each row's predicted class, int64, or null
     * @param zPerRow each row's z-loss term (already in its loss), or null without z-loss
     * @param sumTerms the per-element values the reduction sums when they are finer than the per-element output
     *     (float64 terms of float32 losses), or null
     * @param lossSum the exact sum of the per-element losses (their z terms included), when the backend formed it;
     *     else null
     * @param lse each row's log-sum-exp (float64 for float64 logits, else float32), or null when not computed or
     *     streamed
     * @param entropy each row's predictive entropy (the dtype of {@code lse}), or null when not computed or streamed
     * @param entropySum the exact sum of the entropies of the rows whose target is not ignored, or null when not
     *     computed
     * @param entropyRows the rows {@code entropySum} holds, -1 when not computed
     */
    public record Extras(
            Tensor gradient,
            long hits1,
            long hitsK,
            int topK,
            Tensor predictions,
            Tensor zPerRow,
            Tensor sumTerms,
            dev.xent.stream.ExactSum lossSum,
            Tensor lse,
            Tensor entropy,
            dev.xent.stream.ExactSum entropySum,
            long entropyRows) {
        /** Nothing besides the loss: no gradient, accuracy, predictions or z terms. */
        public static final Extras NONE = new Extras(null, -1, -1, 0, null, null);

        /**
         * Extras whose reduction sums the per-element losses themselves.
         *
         * @param gradient d loss / d input, or null
         * @param hits1 rows whose target is the top-1 prediction (-1: not computed)
         * @param hitsK rows whose target is in the top k (-1: not computed)
         * @param topK k of {@code hitsK}, 0 for none
         * @param predictions each row's predicted class, int64, or null
         * @param zPerRow each row's z-loss term (included in its loss), or null without z-loss
         */
        public Extras(Tensor gradient, long hits1, long hitsK, int topK, Tensor predictions, Tensor zPerRow) {
            this(gradient, hits1, hitsK, topK, predictions, zPerRow, null);
        }

        /**
         * Extras with the finer values a reduction sums.
         *
         * @param gradient d loss / d input, or null
         * @param hits1 rows whose target is the top-1 prediction (-1: not computed)
         * @param hitsK rows whose target is in the top k (-1: not computed)
         * @param topK k of {@code hitsK}, 0 for none
         * @param predictions each row's predicted class, int64, or null
         * @param zPerRow each row's z-loss term (included in its loss), or null without z-loss
         * @param sumTerms the per-element values the reduction sums, when they are finer than the per-element output
         *     (float64 terms of float32 losses), or null
         */
        public Extras(
                Tensor gradient,
                long hits1,
                long hitsK,
                int topK,
                Tensor predictions,
                Tensor zPerRow,
                Tensor sumTerms) {
            this(gradient, hits1, hitsK, topK, predictions, zPerRow, sumTerms, null, null, null, null, -1);
        }

        /**
         * The same extras with another gradient.
         *
         * @param g the gradient, or null
         * @return a copy with {@code g}
         */
        public Extras withGradient(Tensor g) {
            return copy(g, lossSum, lse, entropy, entropySum, entropyRows);
        }

        /**
         * The same extras with the exact sum of the per-element losses, formed by the backend beside them (in the
         * threads that wrote them): a reduction merges it instead of summing the losses again. It is not copied: the
         * caller must not change it afterwards.
         *
         * @param s the exact sum of the per-element losses, z terms included
         * @return a copy with {@code s}
         */
        public Extras withLossSum(dev.xent.stream.ExactSum s) {
            return copy(gradient, s, lse, entropy, entropySum, entropyRows);
        }

        /**
         * The same extras with the per-row statistics of {@link Outputs#rowStatistics()}. The sum is not copied: the
         * caller must not change it afterwards.
         *
         * @param lse each row's log-sum-exp, or null where they went to a sink
         * @param entropy each row's predictive entropy, or null where they went to a sink
         * @param entropySum the exact sum of the entropies of the rows whose target is not ignored
         * @param entropyRows how many rows that sum holds
         * @return a copy with them
         */
        public Extras withRowStatistics(
                Tensor lse, Tensor entropy, dev.xent.stream.ExactSum entropySum, long entropyRows) {
            return copy(gradient, lossSum, lse, entropy, entropySum, entropyRows);
        }

        /**
         * This record with the components the with-methods replace (the ones a backend adds after the row pass
         * that counted hits and z terms); the rest are kept. One place that spells out all twelve, so a new
         * component is added to the canonical constructor and here, nowhere else.
         */
        private Extras copy(
                Tensor gradient,
                dev.xent.stream.ExactSum lossSum,
                Tensor lse,
                Tensor entropy,
                dev.xent.stream.ExactSum entropySum,
                long entropyRows) {
            return new Extras(
                    gradient,
                    hits1,
                    hitsK,
                    topK,
                    predictions,
                    zPerRow,
                    sumTerms,
                    lossSum,
                    lse,
                    entropy,
                    entropySum,
                    entropyRows);
        }
    }

    private final double zLoss;

    /**
     * A plain loss: no extras, row count unknown, no z-loss.
     *
     * @param reduction how {@code value} was reduced
     * @param value the reduced loss, NaN for 'none'
     * @param perElement the per-element losses, or null (sent to a sink)
     * @param weightSum the divisor 'mean' uses
     * @param device the backend that computed it
     */
    public LossResult(Reduction reduction, double value, Tensor perElement, double weightSum, String device) {
        this(reduction, value, perElement, weightSum, -1, device, Extras.NONE, Double.NaN);
    }

    /**
     * A loss with everything a report shows.
     *
     * @param reduction how {@code value} was reduced
     * @param value the reduced loss, NaN for 'none'
     * @param perElement the per-element losses, or null (sent to a sink)
     * @param weightSum the divisor 'mean' uses
     * @param validRows rows with a non-ignored target (the accuracy's denominator), -1 when not known
     * @param device the backend that computed it
     * @param extras the gradient, accuracy counts, predictions and z terms
     * @param zLoss the z-loss part of {@code value}, reduced the same way (NaN when none)
     */
    public LossResult(
            Reduction reduction,
            double value,
            Tensor perElement,
            double weightSum,
            long validRows,
            String device,
            Extras extras,
            double zLoss) {
        this.reduction = reduction;
        this.value = value;
        this.perElement = perElement;
        this.weightSum = weightSum;
        this.validRows = validRows;
        this.device = device;
        this.extras = extras;
        this.zLoss = zLoss;
    }

    /** {@return the gradient of the reduced loss (of the sum, for 'none') with respect to the input: its shape and dtype; or null} */
    public Tensor gradient() {
        return extras.gradient();
    }

    /** {@return top-1 accuracy over non-ignored class-index targets (NaN if not asked for, or none counted)} */
    public double accuracy() {
        return extras.hits1() < 0 ? Double.NaN : (double) extras.hits1() / validRows;
    }

    /** {@return top-k accuracy for k = {@link #topK()} (NaN if not asked for)} */
    public double topkAccuracy() {
        return extras.hitsK() < 0 ? Double.NaN : (double) extras.hitsK() / validRows;
    }

    /** {@return k of {@link #topkAccuracy()}, 0 when not asked for} */
    public int topK() {
        return extras.topK();
    }

    /** {@return the predicted class (argmax over the class axis, first maximum on ties) per target position, int64; or null} */
    public Tensor predictions() {
        return extras.predictions();
    }

    /** {@return the z-loss part of {@link #value()}, reduced the same way (NaN when the scale is 0 or reduction is 'none')} */
    public double zLoss() {
        return zLoss;
    }

    /**
     * {@return the mean predictive entropy −Σ p log p over the rows whose target is not ignored (every row for
     * probability targets), NaN when not asked for ({@link Outputs#rowStatistics()}) or when no row counts}
     */
    public double meanEntropy() {
        return extras.entropyRows() < 0 ? Double.NaN : extras.entropySum().value() / extras.entropyRows();
    }

    /** {@return each row's log-sum-exp when asked for ({@link Outputs#rowStatistics()}) and not streamed to a sink; else null} */
    public Tensor lse() {
        return extras.lse();
    }

    /** {@return each row's predictive entropy when asked for and not streamed to a sink; else null} */
    public Tensor entropy() {
        return extras.entropy();
    }

    /** {@return what besides the loss this result carries, as counts} */
    public Extras extras() {
        return extras;
    }

    /** {@return the count of rows with a non-ignored target (every row for probability targets); -1 where not known} */
    public long validRows() {
        return validRows;
    }

    /**
     * The same result with other extras.
     *
     * @param e the extras
     * @return a copy carrying {@code e}
     */
    public LossResult withExtras(Extras e) {
        return new LossResult(reduction, value, perElement, weightSum, validRows, device, e, zLoss);
    }

    /**
     * The same result reported as computed on another device (when a backend hands work to another).
     *
     * @param d the device's name
     * @return a copy naming {@code d}
     */
    public LossResult onDevice(String d) {
        return new LossResult(reduction, value, perElement, weightSum, validRows, d, extras, zLoss);
    }

    /** {@return how {@link #value()} was reduced: none, sum or mean (batchmean for kl_div)} */
    public Reduction reduction() {
        return reduction;
    }

    /** {@return the reduced loss for 'sum' and 'mean' (NaN for an all-ignored or empty 'mean'); NaN for 'none'} */
    public double value() {
        return value;
    }

    /** {@return true when {@link #value()} is a reduced loss (reduction 'sum' or 'mean')} */
    public boolean isScalar() {
        return reduction != Reduction.NONE;
    }

    /**
     * Per-element losses in the target's shape (class indices) or the input's shape less the class axis
     * (probabilities); 0 where ignored. Null when they went to a {@link ResultSink}.
     *
     * @return the losses, or null
     */
    public Tensor perElement() {
        return perElement;
    }

    /** {@return the divisor 'mean' uses: the summed weight of non-ignored targets, or the row count for probability targets} */
    public double weightSum() {
        return weightSum;
    }

    /** {@return the backend that computed this: reference, cpu or cuda} */
    public String device() {
        return device;
    }

    @Override
    public String toString() {
        return "LossResult{" + reduction.label() + "=" + value + ", device=" + device + "}";
    }
}
