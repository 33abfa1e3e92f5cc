package dev.xent;

/**
 * Where the per-element results of a request go when they are not to be held in memory: the block stream hands each
 * row block's part over as soon as the block is computed, in row order, from one thread at a time (not always the
 * caller's). Positions are in the whole request. Parts a sink leaves at their default are dropped, not kept. A sink
 * that throws stops the request: the exception reaches the caller and no later block is delivered.
 */
public interface ResultSink {
    /** Per-element losses of rows [firstRow, firstRow + values.numel()) (the target's flattened shape). */
    default void losses(long firstRow, Tensor values) {}

    /** Gradient elements [firstElement, firstElement + values.numel()) of the flattened input. */
    default void gradient(long firstElement, Tensor values) {}

    /** Predicted classes of rows [firstRow, firstRow + values.numel()). */
    default void predictions(long firstRow, Tensor values) {}

    /** Output elements [firstElement, ...) of a softmax or log_softmax. */
    default void values(long firstElement, Tensor values) {}

    /** Called after each block with the elements of the input read so far, out of {@code total}. */
    default void progress(long done, long total) {}
}
