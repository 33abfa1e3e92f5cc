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

    /** {@code F.binary_cross_entropy_with_logits}; the default runs it element by element in float64, in order. */
    default LossResult bceWithLogits(Tensor input, Tensor target, BceSpec spec, Outputs outputs) {
        return BinaryCrossEntropy.compute(input, target, spec, outputs, name(), (chunks, body) -> {
            for (int k = 0; k < chunks; k++) body.accept(k);
        });
    }

    @Override void close();
}
