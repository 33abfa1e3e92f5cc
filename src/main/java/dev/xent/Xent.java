package dev.xent;

import dev.xent.internal.BackendSelector;
import dev.xent.stream.BlockStream;
import dev.xent.stream.SoftmaxStream;

// Over 400 lines: The public facade: one small method per operation, most of the lines their Javadoc.
/**
 * The entry point: PyTorch's {@code F.cross_entropy}, {@code F.nll_loss}, {@code F.log_softmax} and {@code F.softmax}
 * on one backend. Thread-safe; close it to release the backend's threads or device memory (close waits for calls in
 * flight on other threads; calls after it throw IllegalStateException).
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

    private Xent(Backend backend) {
        this.backend = backend;
    }

    /**
     * Opens {@code device} (see {@link BackendSelector} for how AUTO resolves).
     *
     * @param device AUTO, CPU, CUDA or REFERENCE
     * @return a new instance, which the caller closes
     * @throws InvalidInputException if CUDA is asked for and not usable
     */
    public static Xent open(Device device) {
        return new Xent(BackendSelector.open(device));
    }

    /**
     * Wraps a backend the caller built; closing this closes it.
     *
     * @param backend the backend to compute on
     * @return a new instance that owns {@code backend}
     */
    public static Xent on(Backend backend) {
        return new Xent(backend);
    }

    /** {@return the backend this instance computes on (closed with it)} */
    public Backend backend() {
        return backend;
    }

    /** {@return the backend in use: reference, cpu or cuda} */
    public String deviceName() {
        return backend.name();
    }

    /**
     * {@code F.cross_entropy(logits, target, weight, ignore_index, reduction, label_smoothing)}. Logits (C), (N, C) or
     * (N, C, d1..dk); target of class indices (int32/int64, the logits' shape less the class axis) or of class
     * probabilities (floating, the logits' shape).
     *
     * @param logits floating, (C), (N, C) or (N, C, d1..dk)
     * @param target class indices or class probabilities, as above
     * @param spec the options; null for {@link LossSpec#DEFAULT}
     * @return the loss: the reduced value, or per-element losses for reduction none
     * @throws InvalidInputException for a shape, dtype or option that does not fit, or a class index out of range
     */
    public LossResult crossEntropy(Tensor logits, Tensor target, LossSpec spec) {
        return loss(LossKind.CROSS_ENTROPY, logits, target, spec, Outputs.LOSS_ONLY, null);
    }

    /**
     * Cross-entropy with a gradient, accuracy or predictions as {@code outputs} asks (see {@link LossResult}).
     *
     * @param logits floating, (C), (N, C) or (N, C, d1..dk)
     * @param target class indices or class probabilities, as for {@link #crossEntropy(Tensor, Tensor, LossSpec)}
     * @param spec the options; null for {@link LossSpec#DEFAULT}
     * @param outputs what to compute besides the loss; null for nothing
     * @return the loss and the outputs asked for
     * @throws InvalidInputException for a shape, dtype or option that does not fit, or a class index out of range
     */
    public LossResult crossEntropy(Tensor logits, Tensor target, LossSpec spec, Outputs outputs) {
        return loss(LossKind.CROSS_ENTROPY, logits, target, spec, outputs, null);
    }

    /**
     * {@code F.nll_loss(logProbs, target, weight, ignore_index, reduction)}: the input already holds log-probabilities.
     *
     * @param logProbs floating, (C), (N, C) or (N, C, d1..dk)
     * @param target class indices (int32 or int64), the input's shape less the class axis
     * @param spec the options (no label smoothing, z-loss or softcap); null for {@link LossSpec#DEFAULT}
     * @return the loss
     * @throws InvalidInputException for a shape, dtype or option that does not fit, or a class index out of range
     */
    public LossResult nllLoss(Tensor logProbs, Tensor target, LossSpec spec) {
        return loss(LossKind.NLL, logProbs, target, spec, Outputs.LOSS_ONLY, null);
    }

    /**
     * NLL with a gradient (with respect to the log-probabilities), accuracy or predictions.
     *
     * @param logProbs floating, (C), (N, C) or (N, C, d1..dk)
     * @param target class indices (int32 or int64), the input's shape less the class axis
     * @param spec the options; null for {@link LossSpec#DEFAULT}
     * @param outputs what to compute besides the loss; null for nothing
     * @return the loss and the outputs asked for
     * @throws InvalidInputException for a shape, dtype or option that does not fit, or a class index out of range
     */
    public LossResult nllLoss(Tensor logProbs, Tensor target, LossSpec spec, Outputs outputs) {
        return loss(LossKind.NLL, logProbs, target, spec, outputs, null);
    }

    /**
     * Cross-entropy or NLL of inputs of any size (memory-mapped files, shards): computed in row blocks, with memory
     * bounded by the block size. With a {@code sink}, per-element losses, the gradient and the predictions go to it
     * block by block (and the result's tensors are null); without one they are gathered in memory and must fit Java
     * arrays. The reduced value, accuracy and z-loss are exact sums over all rows, the same for any blocking.
     *
     * @param kind cross-entropy (logits) or NLL (log-probabilities)
     * @param input floating, (C), (N, C) or (N, C, d1..dk)
     * @param target class indices or class probabilities, as for {@link #crossEntropy(Tensor, Tensor, LossSpec)}
     * @param spec the options; null for {@link LossSpec#DEFAULT}
     * @param outputs what to compute besides the loss; null for nothing
     * @param sink where per-element results go block by block, or null to gather them in memory
     * @return the loss and the outputs asked for (null tensors for what went to {@code sink})
     * @throws InvalidInputException for a shape, dtype or option that does not fit, or a class index out of range
     */
    public LossResult loss(
            LossKind kind, Tensor input, Tensor target, LossSpec spec, Outputs outputs, ResultSink sink) {
        return call(() -> BlockStream.loss(backend, LossProblem.of(kind, input, target, spec, outputs), sink));
    }

    /**
     * A checked request ({@link LossProblem#of}) in row blocks, per-element outputs to {@code sink} (null: in memory).
     *
     * @param problem the request
     * @param sink where per-element results go block by block, or null to gather them in memory
     * @return the loss and the outputs asked for
     * @throws InvalidInputException for a class index out of range
     */
    public LossResult loss(LossProblem problem, ResultSink sink) {
        return call(() -> BlockStream.loss(backend, problem, sink));
    }

    /**
     * A checked binary cross-entropy request ({@link BinaryCrossEntropy#of}) in element blocks.
     *
     * @param problem the request
     * @param sink where per-element results go block by block, or null to gather them in memory
     * @return the loss, with per-element losses and the gradient where asked for
     */
    public LossResult bce(BinaryCrossEntropy problem, ResultSink sink) {
        return call(() -> BlockStream.bce(backend, problem, sink));
    }

    /**
     * {@code F.binary_cross_entropy_with_logits(input, target, weight, pos_weight, reduction)}; target has the input's shape.
     *
     * @param input the logits, floating, any shape
     * @param target floating, the input's shape
     * @param spec the reduction and weights; null for {@link BceSpec#DEFAULT}
     * @param outputs the gradient or nothing (accuracy and predictions do not apply); null for nothing
     * @return the loss
     * @throws InvalidInputException for a dtype or shape that does not fit, or weights that do not broadcast
     */
    public LossResult bceWithLogits(Tensor input, Tensor target, BceSpec spec, Outputs outputs) {
        return bceWithLogits(input, target, spec, outputs, null);
    }

    /**
     * Binary cross-entropy with logits in element blocks; per-element losses and gradient to {@code sink} if given.
     *
     * @param input the logits, floating, any shape
     * @param target floating, the input's shape
     * @param spec the reduction and weights; null for {@link BceSpec#DEFAULT}
     * @param outputs the gradient or nothing; null for nothing
     * @param sink where per-element results go block by block, or null to gather them in memory
     * @return the loss
     * @throws InvalidInputException for a dtype or shape that does not fit, or weights that do not broadcast
     */
    public LossResult bceWithLogits(Tensor input, Tensor target, BceSpec spec, Outputs outputs, ResultSink sink) {
        return call(() -> BlockStream.bce(backend, BinaryCrossEntropy.of(input, target, spec, outputs), sink));
    }

    /**
     * {@code F.kl_div(input, target, reduction, log_target)}: input of log-probabilities, target of probabilities (or
     * log-probabilities), one shape; reductions none, sum, mean, batchmean; the gradient with respect to the input.
     *
     * @param input log-probabilities, floating, any shape
     * @param target probabilities (log-probabilities with {@code logTarget}), floating, the input's shape
     * @param reduction none, sum, mean or batchmean
     * @param logTarget PyTorch's {@code log_target}
     * @param gradient true to compute d loss / d input too
     * @return the divergence
     * @throws InvalidInputException for a dtype or shape that does not fit
     */
    public LossResult klDiv(Tensor input, Tensor target, Reduction reduction, boolean logTarget, boolean gradient) {
        return call(
                () -> BlockStream.klDiv(backend, KlDivergence.of(input, target, reduction, logTarget, gradient), null));
    }

    /**
     * A checked kl_div request in element blocks, per-element values and the gradient to {@code sink} (null: in memory).
     *
     * @param problem the request ({@link KlDivergence#of})
     * @param sink where per-element results go block by block, or null to gather them in memory
     * @return the divergence
     */
    public LossResult klDiv(KlDivergence problem, ResultSink sink) {
        return call(() -> BlockStream.klDiv(backend, problem, sink));
    }

    /**
     * A distillation loss between student and teacher logits (N, C) ({@link DivergenceSpec}: kd, the Hinton recipe
     * with an optional cross-entropy mix; jsd, Liger-Kernel's generalized Jensen-Shannon divergence), in row blocks.
     * {@code target} (class indices, shape (N)) may be null unless alpha is set; its ignore_index rows drop out.
     *
     * @param student the student's logits, floating, (N, C)
     * @param teacher the teacher's logits, floating, the student's shape
     * @param target class indices, shape (N), or null
     * @param spec the loss and its options
     * @param gradient true to compute d loss / d student logits too
     * @return the loss, its parts and, where asked, the per-row values and gradient
     * @throws InvalidInputException for a dtype or shape that does not fit, or a class index out of range
     */
    public DivergenceResult divergence(
            Tensor student, Tensor teacher, Tensor target, DivergenceSpec spec, boolean gradient) {
        return call(
                () -> BlockStream.divergence(backend, Divergence.of(student, teacher, target, spec, gradient), null));
    }

    /**
     * A checked distillation request in row blocks, per-row values and the gradient to {@code sink} (null: in memory).
     *
     * @param problem the request ({@link Divergence#of})
     * @param sink where per-element results go block by block, or null to gather them in memory
     * @return the loss and its parts
     * @throws InvalidInputException for a class index out of range
     */
    public DivergenceResult divergence(Divergence problem, ResultSink sink) {
        return call(() -> BlockStream.divergence(backend, problem, sink));
    }

    /**
     * d loss / d target of {@code F.cross_entropy} with probability targets (the targets' shape, float64): what
     * autograd gives the targets, −(1 − ε) w_c log p_c per element, over the row count for 'mean'.
     *
     * @param logits floating, (C), (N, C) or (N, C, d1..dk)
     * @param target class probabilities, floating, the logits' shape
     * @param spec the options; null for {@link LossSpec#DEFAULT}
     * @return the gradient, float64, the targets' shape
     * @throws InvalidInputException for class-index targets, or a shape or dtype that does not fit
     */
    public Tensor crossEntropyTargetGradient(Tensor logits, Tensor target, LossSpec spec) {
        return call(
                () -> BlockStream.targetGradient(LossProblem.of(LossKind.CROSS_ENTROPY, logits, target, spec), null));
    }

    /**
     * d loss / d target of {@code F.binary_cross_entropy_with_logits} (the target's shape, float64).
     *
     * @param input the logits, floating, any shape
     * @param target floating, the input's shape
     * @param spec the reduction and weights; null for {@link BceSpec#DEFAULT}
     * @return the gradient
     * @throws InvalidInputException for a dtype or shape that does not fit, or weights that do not broadcast
     */
    public Tensor bceTargetGradient(Tensor input, Tensor target, BceSpec spec) {
        return call(
                () -> BlockStream.targetGradient(BinaryCrossEntropy.of(input, target, spec, Outputs.LOSS_ONLY), null));
    }

    /**
     * {@code F.log_softmax(x, dim)}, in x's dtype (float32 arithmetic at least).
     *
     * @param x floating, any shape
     * @param dim the axis, negative counting from the last
     * @return a new tensor of x's shape and dtype
     * @throws InvalidInputException for an integer x or a dim out of range
     */
    public Tensor logSoftmax(Tensor x, int dim) {
        return call(() -> SoftmaxStream.softmax(backend, x, dim, true, null));
    }

    /**
     * {@code F.softmax(x, dim)}, in x's dtype (float32 arithmetic at least).
     *
     * @param x floating, any shape
     * @param dim the axis, negative counting from the last
     * @return a new tensor of x's shape and dtype
     * @throws InvalidInputException for an integer x or a dim out of range
     */
    public Tensor softmax(Tensor x, int dim) {
        return call(() -> SoftmaxStream.softmax(backend, x, dim, false, null));
    }

    /**
     * {@code F.softmax(x, dim, dtype=dtype)} (log_softmax with {@code log}): x cast to {@code dtype} first, so integer
     * and bool inputs work, the output in {@code dtype}; a 0-d x gives 1 (log: 0), as PyTorch.
     *
     * @param x any dtype, any shape
     * @param dim the axis, negative counting from the last
     * @param log true for log_softmax
     * @param dtype a floating type, or null for x's own (then x must be floating)
     * @return a new tensor of x's shape in {@code dtype}
     * @throws InvalidInputException for a non-floating {@code dtype}, an integer x without one, or a dim out of range
     */
    public Tensor softmax(Tensor x, int dim, boolean log, DType dtype) {
        return call(() -> SoftmaxStream.softmax(backend, x, dim, log, dtype, null));
    }

    /**
     * {@link #softmax(Tensor, int, boolean, DType)} in row blocks, the output to {@code sink}'s {@link ResultSink#values}.
     *
     * @param x any dtype, any shape
     * @param dim the axis, negative counting from the last
     * @param log true for log_softmax
     * @param dtype a floating type, or null for x's own
     * @param sink where the output goes, block by block; not null
     * @throws InvalidInputException for a non-floating {@code dtype}, an integer x without one, or a dim out of range
     * @throws NullPointerException if {@code sink} is null
     */
    public void softmax(Tensor x, int dim, boolean log, DType dtype, ResultSink sink) {
        call(() -> SoftmaxStream.softmax(backend, x, dim, log, dtype, java.util.Objects.requireNonNull(sink, "sink")));
    }

    /**
     * The backward of {@code F.softmax(x, dim)} (of {@code F.log_softmax} with {@code log}): d/dx of the output
     * contracted with the upstream gradient {@code go} (x's shape), as autograd gives x.grad; float64 arithmetic, x's dtype.
     *
     * @param x the forward's input, floating
     * @param go the upstream gradient, floating, x's shape
     * @param dim the forward's axis, negative counting from the last
     * @param log true for log_softmax's backward
     * @return x's gradient, x's shape and dtype
     * @throws InvalidInputException for a dtype, shape or dim that does not fit
     */
    public Tensor softmaxBackward(Tensor x, Tensor go, int dim, boolean log) {
        return call(() -> SoftmaxStream.softmaxBackward(x, go, dim, log, null));
    }

    /**
     * {@link #softmaxBackward(Tensor, Tensor, int, boolean)} in blocks along axis 0, the gradient to {@code sink}'s
     * {@link ResultSink#gradient}.
     *
     * @param x the forward's input, floating
     * @param go the upstream gradient, floating, x's shape
     * @param dim the forward's axis, negative counting from the last
     * @param log true for log_softmax's backward
     * @param sink where the gradient goes, block by block; not null
     * @throws InvalidInputException for a dtype, shape or dim that does not fit
     * @throws NullPointerException if {@code sink} is null
     */
    public void softmaxBackward(Tensor x, Tensor go, int dim, boolean log, ResultSink sink) {
        call(() -> SoftmaxStream.softmaxBackward(x, go, dim, log, java.util.Objects.requireNonNull(sink, "sink")));
    }

    /**
     * softmax or log_softmax of {@code x} in row blocks, the output to {@code sink}'s {@link ResultSink#values}.
     *
     * @param x floating, any shape
     * @param dim the axis, negative counting from the last
     * @param log true for log_softmax
     * @param sink where the output goes, block by block; not null
     * @throws InvalidInputException for an integer x or a dim out of range
     * @throws NullPointerException if {@code sink} is null
     */
    public void softmax(Tensor x, int dim, boolean log, ResultSink sink) {
        call(() -> SoftmaxStream.softmax(backend, x, dim, log, java.util.Objects.requireNonNull(sink, "sink")));
    }

    // ------------------------------------------------------------------------------------------------ lifecycle
    // Every call counts itself in and out; close() refuses new calls at once, waits for those in flight, and only
    // then closes the backend, so no caller is left waiting on work that close() took away.

    private final Object lock = new Object();
    private final java.util.Map<Thread, Integer> inside = new java.util.HashMap<>(); // threads in a call, and how deep
    private boolean closed, backendClosing, backendClosed;

    private <T> T call(java.util.function.Supplier<T> body) {
        Thread me = Thread.currentThread();
        synchronized (lock) {
            if (closed) throw new IllegalStateException("this Xent is closed");
            inside.merge(me, 1, Integer::sum);
        }
        try {
            return body.get();
        } finally {
            synchronized (lock) {
                if (inside.merge(me, -1, Integer::sum) == 0) inside.remove(me);
                if (inside.isEmpty()) lock.notifyAll();
            }
        }
    }

    /**
     * Refuses new calls (they throw IllegalStateException "this Xent is closed"), waits for the calls other threads
     * are making to finish, then closes the backend. Idempotent; calling it from inside a call of this instance (a
     * {@link ResultSink}, say) is an IllegalStateException, since it would wait for itself.
     */
    @Override
    public void close() {
        boolean interrupted = false;
        synchronized (lock) {
            if (inside.containsKey(Thread.currentThread())) {
                throw new IllegalStateException("close() from inside a call of this Xent would wait for itself");
            }
            closed = true;
            while (!inside.isEmpty() || backendClosing) { // a second closer waits for the first to finish
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    interrupted = true; // a half-closed instance would help no one: finish, and keep the interrupt
                }
            }
            if (backendClosed) {
                if (interrupted) Thread.currentThread().interrupt();
                return;
            }
            backendClosing = true;
        }
        try {
            backend.close();
        } finally {
            synchronized (lock) {
                backendClosing = false;
                backendClosed = true;
                lock.notifyAll();
            }
            if (interrupted) Thread.currentThread().interrupt();
        }
    }
}
