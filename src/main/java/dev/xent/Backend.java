package dev.xent;

/**
 * A place where losses are computed: the reference path, the fast CPU path or a CUDA device. Implementations are
 * thread-safe; {@link #close()} releases what they own (threads, device memory, contexts).
 */
public interface Backend extends AutoCloseable {
    /** Short name: reference, cpu or cuda. */
    String name();

    /** Cross-entropy or NLL for a checked problem. Throws {@link InvalidInputException} for a bad target. */
    LossResult loss(LossProblem problem);

    /** log_softmax (or softmax when {@code logOutput} is false) along {@code dim}, in the input's dtype (float32 at least internally). */
    Tensor softmax(Tensor input, int dim, boolean logOutput);

    /**
     * {@code F.binary_cross_entropy_with_logits} of a checked request (or an element block of one), in memory; the
     * default runs it element by element in float64, in order.
     */
    default LossResult bce(BinaryCrossEntropy p) {
        return p.compute(name(), (chunks, body) -> {
            for (int k = 0; k < chunks; k++) body.accept(k);
        });
    }

    /** {@code F.kl_div} of a checked request (or an element block of one), in memory; the default runs it in order on this thread. */
    default LossResult klDiv(KlDivergence p) {
        return p.compute(name(), (chunks, body) -> {
            for (int k = 0; k < chunks; k++) body.accept(k);
        });
    }

    /**
     * A row block of a distillation loss ({@link Divergence}), in memory; the default runs the float64 formulas of
     * {@link dev.xent.reference.DivergenceRows} row by row on the calling thread.
     */
    default Divergence.Part divergence(Divergence p) { return dev.xent.reference.DivergenceRows.part(p); }

    /** The row count of {@code p} as an int, or an error if its per-row results cannot fit Java arrays. */
    static int checkRowsFit(LossProblem p) {
        if (p.rows() > Tensor.MAX_ARRAY_ELEMENTS) {
            throw new InvalidInputException(p.rows() + " rows do not fit one array of per-row results: call through Xent, which"
                    + " computes row blocks");
        }
        return (int) p.rows();
    }

    /** The element count of {@code t} as an int, or an error if an output of its shape cannot fit one Java array. */
    static int checkElementsFit(Tensor t) {
        if (t.numel() > Tensor.MAX_ARRAY_ELEMENTS) {
            throw new InvalidInputException(t + " has " + t.numel() + " elements: too many for one Java array; call through Xent,"
                    + " which computes row blocks");
        }
        return (int) t.numel();
    }

    @Override void close();
}
