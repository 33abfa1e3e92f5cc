package dev.xent;

import dev.xent.stream.BlockStream;

/**
 * The entry point: PyTorch's {@code F.cross_entropy}, {@code F.nll_loss}, {@code F.log_softmax} and {@code F.softmax}
 * on one backend. Thread-safe; close it to release the backend's threads or device memory.
 *
 * <pre>{@code
 * try (Xent xent = Xent.open(Device.AUTO)) {
 *     Tensor logits = Tensor.of(new float[] {3.2f, 1.3f, 0.2f, 0.8f}, 1, 4);
 *     Tensor target = Tensor.of(new long[] {0}, 1);
 *     double loss = xent.crossEntropy(logits, target, LossSpec.DEFAULT).value();
 * }
 * }</pre>
 */
public final class Xent implements AutoCloseable {
    private final Backend backend;

    private Xent(Backend backend) { this.backend = backend; }

    /** Opens {@code device} (see {@link BackendSelector} for how AUTO resolves). */
    public static Xent open(Device device) { return new Xent(BackendSelector.open(device)); }

    /** Wraps a backend the caller built; closing this closes it. */
    public static Xent on(Backend backend) { return new Xent(backend); }

    public Backend backend() { return backend; }

    /** The backend in use: reference, cpu or cuda. */
    public String deviceName() { return backend.name(); }

    /**
     * {@code F.cross_entropy(logits, target, weight, ignore_index, reduction, label_smoothing)}. Logits (C), (N, C) or
     * (N, C, d1..dk); target of class indices (int32/int64, the logits' shape less the class axis) or of class
     * probabilities (floating, the logits' shape).
     */
    public LossResult crossEntropy(Tensor logits, Tensor target, LossSpec spec) {
        return loss(LossKind.CROSS_ENTROPY, logits, target, spec, Outputs.LOSS_ONLY, null);
    }

    /** Cross-entropy with a gradient, accuracy or predictions as {@code outputs} asks (see {@link LossResult}). */
    public LossResult crossEntropy(Tensor logits, Tensor target, LossSpec spec, Outputs outputs) {
        return loss(LossKind.CROSS_ENTROPY, logits, target, spec, outputs, null);
    }

    /** {@code F.nll_loss(logProbs, target, weight, ignore_index, reduction)}: the input already holds log-probabilities. */
    public LossResult nllLoss(Tensor logProbs, Tensor target, LossSpec spec) {
        return loss(LossKind.NLL, logProbs, target, spec, Outputs.LOSS_ONLY, null);
    }

    /** NLL with a gradient (with respect to the log-probabilities), accuracy or predictions. */
    public LossResult nllLoss(Tensor logProbs, Tensor target, LossSpec spec, Outputs outputs) {
        return loss(LossKind.NLL, logProbs, target, spec, outputs, null);
    }

    /**
     * Cross-entropy or NLL of inputs of any size (memory-mapped files, shards): computed in row blocks, with memory
     * bounded by the block size. With a {@code sink}, per-element losses, the gradient and the predictions go to it
     * block by block (and the result's tensors are null); without one they are gathered in memory and must fit Java
     * arrays. The reduced value, accuracy and z-loss are exact sums over all rows, the same for any blocking.
     */
    public LossResult loss(LossKind kind, Tensor input, Tensor target, LossSpec spec, Outputs outputs, ResultSink sink) {
        return BlockStream.loss(backend, LossProblem.of(kind, input, target, spec, outputs), sink);
    }

    /** A checked request ({@link LossProblem#of}) in row blocks, per-element outputs to {@code sink} (null: in memory). */
    public LossResult loss(LossProblem problem, ResultSink sink) { return BlockStream.loss(backend, problem, sink); }

    /** A checked binary cross-entropy request ({@link BinaryCrossEntropy#of}) in element blocks. */
    public LossResult bce(BinaryCrossEntropy problem, ResultSink sink) { return BlockStream.bce(backend, problem, sink); }

    /** {@code F.binary_cross_entropy_with_logits(input, target, weight, pos_weight, reduction)}; target has the input's shape. */
    public LossResult bceWithLogits(Tensor input, Tensor target, BceSpec spec, Outputs outputs) {
        return bceWithLogits(input, target, spec, outputs, null);
    }

    /** Binary cross-entropy with logits in element blocks; per-element losses and gradient to {@code sink} if given. */
    public LossResult bceWithLogits(Tensor input, Tensor target, BceSpec spec, Outputs outputs, ResultSink sink) {
        return BlockStream.bce(backend, BinaryCrossEntropy.of(input, target, spec, outputs), sink);
    }

    /**
     * {@code F.kl_div(input, target, reduction, log_target)}: input of log-probabilities, target of probabilities (or
     * log-probabilities), one shape; reductions none, sum, mean, batchmean; the gradient with respect to the input.
     */
    public LossResult klDiv(Tensor input, Tensor target, Reduction reduction, boolean logTarget, boolean gradient) {
        return BlockStream.klDiv(backend, KlDivergence.of(input, target, reduction, logTarget, gradient), null);
    }

    /** A checked kl_div request in element blocks, per-element values and the gradient to {@code sink} (null: in memory). */
    public LossResult klDiv(KlDivergence problem, ResultSink sink) { return BlockStream.klDiv(backend, problem, sink); }

    /**
     * A distillation loss between student and teacher logits (N, C) ({@link DivergenceSpec}: kd, the Hinton recipe
     * with an optional cross-entropy mix; jsd, Liger-Kernel's generalized Jensen-Shannon divergence), in row blocks.
     * {@code target} (class indices, shape (N)) may be null unless alpha is set; its ignore_index rows drop out.
     */
    public DivergenceResult divergence(Tensor student, Tensor teacher, Tensor target, DivergenceSpec spec, boolean gradient) {
        return BlockStream.divergence(backend, Divergence.of(student, teacher, target, spec, gradient), null);
    }

    /** A checked distillation request in row blocks, per-row values and the gradient to {@code sink} (null: in memory). */
    public DivergenceResult divergence(Divergence problem, ResultSink sink) { return BlockStream.divergence(backend, problem, sink); }

    /** {@code F.log_softmax(x, dim)}, in x's dtype (float32 arithmetic at least). */
    public Tensor logSoftmax(Tensor x, int dim) { return BlockStream.softmax(backend, x, dim, true, null); }

    /** {@code F.softmax(x, dim)}, in x's dtype (float32 arithmetic at least). */
    public Tensor softmax(Tensor x, int dim) { return BlockStream.softmax(backend, x, dim, false, null); }

    /** softmax or log_softmax of {@code x} in row blocks, the output to {@code sink}'s {@link ResultSink#values}. */
    public void softmax(Tensor x, int dim, boolean log, ResultSink sink) {
        BlockStream.softmax(backend, x, dim, log, java.util.Objects.requireNonNull(sink, "sink"));
    }

    @Override public void close() { backend.close(); }
}
