package dev.xent;

/**
 * A place where losses are computed: the reference path, the fast CPU path or a CUDA device. Implementations are
 * thread-safe; {@link #close()} releases what they own (threads, device memory, contexts).
 */
public interface Backend extends AutoCloseable {
    /** {@return the short name: reference, cpu or cuda} */
    String name();

    /**
     * Cross-entropy or NLL for a checked problem, in memory: its per-row outputs must fit Java arrays
     * ({@link #checkRowsFit}); {@link Xent} splits larger ones into row blocks first.
     *
     * @param problem a request checked by {@link LossProblem#of}, or a row block of one
     * @return the loss and the outputs {@code problem} asks for, computed on this backend
     * @throws InvalidInputException for a bad target (a class index out of range, say)
     */
    LossResult loss(LossProblem problem);

    /**
     * log_softmax (or softmax when {@code logOutput} is false) along {@code dim}, in the input's dtype (float32 at least internally).
     *
     * @param input a floating tensor whose output fits one Java array ({@link #checkElementsFit})
     * @param dim the axis to normalize, negative counting from the last
     * @param logOutput true for log_softmax, false for softmax
     * @return a new tensor of the input's shape and dtype
     */
    Tensor softmax(Tensor input, int dim, boolean logOutput);

    /**
     * {@code F.binary_cross_entropy_with_logits} of a checked request (or an element block of one), in memory; the
     * default runs it element by element in float64, in order.
     *
     * @param p the request, from {@link BinaryCrossEntropy#of} or its {@link BinaryCrossEntropy#block}
     * @return the loss, with per-element losses and the gradient where {@code p}'s outputs ask for them
     */
    default LossResult bce(BinaryCrossEntropy p) {
        return p.compute(name(), (chunks, body) -> {
            for (int k = 0; k < chunks; k++) body.accept(k);
        });
    }

    /**
     * {@code F.kl_div} of a checked request (or an element block of one), in memory; the default runs it in order on this thread.
     *
     * @param p the request, from {@link KlDivergence#of} or its {@link KlDivergence#block}
     * @return the divergence, with per-element values and the gradient where {@code p} asks for them
     */
    default LossResult klDiv(KlDivergence p) {
        return p.compute(name(), (chunks, body) -> {
            for (int k = 0; k < chunks; k++) body.accept(k);
        });
    }

    /**
     * A row block of a distillation loss ({@link Divergence}), in memory; the default runs the float64 formulas of
     * {@link dev.xent.reference.DivergenceRows} row by row on the calling thread.
     *
     * @param p the request, from {@link Divergence#of} or its {@link Divergence#block}
     * @return the block's per-row values, gradient and exact sums, which the block stream merges across blocks
     */
    default Divergence.Part divergence(Divergence p) {
        return dev.xent.reference.DivergenceRows.part(p);
    }

    /**
     * The row count of {@code p} as an int, or an error if its per-row results cannot fit Java arrays.
     *
     * @param p the problem a backend is about to compute in memory
     * @return {@code p.rows()}, at most {@link Tensor#MAX_ARRAY_ELEMENTS}
     * @throws InvalidInputException if {@code p} has more rows than that
     */
    static int checkRowsFit(LossProblem p) {
        if (p.rows() > Tensor.MAX_ARRAY_ELEMENTS) {
            throw new InvalidInputException(
                    p.rows() + " rows do not fit one array of per-row results: call through Xent, which"
                            + " computes row blocks");
        }
        return (int) p.rows();
    }

    /**
     * The element count of {@code t} as an int, or an error if an output of its shape cannot fit one Java array.
     *
     * @param t the tensor whose shape an output will have
     * @return {@code t.numel()}, at most {@link Tensor#MAX_ARRAY_ELEMENTS}
     * @throws InvalidInputException if {@code t} has more elements than that
     */
    static int checkElementsFit(Tensor t) {
        if (t.numel() > Tensor.MAX_ARRAY_ELEMENTS) {
            throw new InvalidInputException(t + " has " + t.numel()
                    + " elements: too many for one Java array; call through Xent," + " which computes row blocks");
        }
        return (int) t.numel();
    }

    @Override
    void close();
}
