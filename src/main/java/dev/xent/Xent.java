package dev.xent;

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
        return backend.loss(LossProblem.of(LossKind.CROSS_ENTROPY, logits, target, spec));
    }

    /** Cross-entropy with a gradient, accuracy or predictions as {@code outputs} asks (see {@link LossResult}). */
    public LossResult crossEntropy(Tensor logits, Tensor target, LossSpec spec, Outputs outputs) {
        return backend.loss(LossProblem.of(LossKind.CROSS_ENTROPY, logits, target, spec, outputs));
    }

    /** NLL with a gradient (with respect to the log-probabilities), accuracy or predictions. */
    public LossResult nllLoss(Tensor logProbs, Tensor target, LossSpec spec, Outputs outputs) {
        return backend.loss(LossProblem.of(LossKind.NLL, logProbs, target, spec, outputs));
    }

    /** {@code F.nll_loss(logProbs, target, weight, ignore_index, reduction)}: the input already holds log-probabilities. */
    public LossResult nllLoss(Tensor logProbs, Tensor target, LossSpec spec) {
        return backend.loss(LossProblem.of(LossKind.NLL, logProbs, target, spec));
    }

    /** {@code F.binary_cross_entropy_with_logits(input, target, weight, pos_weight, reduction)}; target has the input's shape. */
    public LossResult bceWithLogits(Tensor input, Tensor target, BceSpec spec, Outputs outputs) {
        return backend.bceWithLogits(input, target, spec == null ? BceSpec.DEFAULT : spec, outputs == null ? Outputs.LOSS_ONLY : outputs);
    }

    /** {@code F.log_softmax(x, dim)}, in x's dtype (float32 arithmetic at least). */
    public Tensor logSoftmax(Tensor x, int dim) { return backend.softmax(x, dim, true); }

    /** {@code F.softmax(x, dim)}, in x's dtype (float32 arithmetic at least). */
    public Tensor softmax(Tensor x, int dim) { return backend.softmax(x, dim, false); }

    @Override public void close() { backend.close(); }
}
