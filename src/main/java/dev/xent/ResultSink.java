package dev.xent;

/**
 * Where the per-element results of a request go when they are not to be held in memory: the block stream hands each
 * row block's part over as soon as the block is computed, in row order, from one thread at a time (not always the
 * caller's). Positions are in the whole request. Parts a sink leaves at their default are dropped, not kept. A sink
 * that throws stops the request: the exception reaches the caller and no later block is delivered.
 */
public interface ResultSink {
    /**
     * Per-element losses of rows [firstRow, firstRow + values.numel()) (the target's flattened shape).
     *
     * @param firstRow the position of {@code values}' first element in the whole request's flattened losses
     * @param values the block's losses (per row; per element for BCE and kl_div)
     */
    default void losses(long firstRow, Tensor values) {}

    /**
     * Gradient elements [firstElement, firstElement + values.numel()) of the flattened input.
     *
     * @param firstElement the position of {@code values}' first element in the flattened input
     * @param values the block's gradient, in the input's layout
     */
    default void gradient(long firstElement, Tensor values) {}

    /**
     * Predicted classes of rows [firstRow, firstRow + values.numel()).
     *
     * @param firstRow the position of the block's first row in the whole request
     * @param values each row's predicted class, int64
     */
    default void predictions(long firstRow, Tensor values) {}

    /**
     * Output elements [firstElement, ...) of a softmax or log_softmax.
     *
     * @param firstElement the position of {@code values}' first element in the flattened output
     * @param values the block's output, in the output's dtype
     */
    default void values(long firstElement, Tensor values) {}

    /**
     * Called after each block with the elements of the input read so far, out of {@code total}.
     *
     * @param done input elements read so far
     * @param total input elements of the whole request
     */
    default void progress(long done, long total) {}

    /**
     * One block's per-row log-sum-exp and predictive entropy ({@link Outputs#rowStatistics()}).
     *
     * @param firstRow the block's first row in the whole request
     * @param lse each row's log-sum-exp
     * @param entropy each row's predictive entropy
     */
    default void rowStatistics(long firstRow, Tensor lse, Tensor entropy) {}
}
