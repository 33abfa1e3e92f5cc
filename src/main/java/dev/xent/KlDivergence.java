package dev.xent;

import dev.xent.stream.LossAccumulator;
import java.util.function.IntConsumer;

/**
 * A checked {@code F.kl_div(input, target, reduction, log_target)} request (or an element range of one,
 * {@link #block}): input holds log-probabilities, target probabilities (or log-probabilities with logTarget), of the
 * same shape. Element by element in float64, as PyTorch 1.13 forms it: l = xlogy(t, t) − t·x (0 where t = 0, NaN
 * where t is NaN), or with logTarget l = exp(t)·(t − x). Reductions: none (the input's shape), sum, mean (over every
 * element) and batchmean (over input.size(0); the sum for a 0-d input), PyTorch's recommended one. Gradient with
 * respect to the input: −t (or −exp(t)), divided likewise.
 */
public final class KlDivergence {
    private final Tensor x, t;
    private final Reduction reduction;
    private final boolean logTarget, gradient;
    private final long[] shape; // of the whole request
    private final long total; // its elements
    private final long first; // of this block in the whole request
    private Tensor gradOutput; // autograd's grad_output for the gradient, or null

    private KlDivergence(Tensor x, Tensor t, Reduction reduction, boolean logTarget, boolean gradient) {
        if (!x.dtype().isFloating() || !t.dtype().isFloating()) {
            throw new InvalidInputException("kl_div takes floating input and target, got "
                    + x.dtype().label() + " and " + t.dtype().label());
        }
        if (!x.sameShape(t)) {
            throw new InvalidInputException("target must have the input's shape: input " + Tensor.shapeString(x.shape())
                    + ", target " + Tensor.shapeString(t.shape()));
        }
        if (reduction == null) throw new InvalidInputException("reduction must not be null");
        this.x = x;
        this.t = t;
        this.reduction = reduction;
        this.logTarget = logTarget;
        this.gradient = gradient;
        this.shape = x.shape();
        this.total = x.numel();
        this.first = 0;
    }

    private KlDivergence(KlDivergence whole, long from, long count) {
        this.x = whole.x.flatRange(from, count);
        this.t = whole.t.flatRange(from, count);
        this.reduction = whole.reduction;
        this.logTarget = whole.logTarget;
        this.gradient = whole.gradient;
        this.shape = whole.shape;
        this.total = whole.total;
        this.first = whole.first + from;
        this.gradOutput = whole.gradOutput;
    }

    /**
     * Checks a request: floating dtypes and one shape.
     *
     * @param input log-probabilities, floating, any shape
     * @param target probabilities (log-probabilities with {@code logTarget}), floating, the input's shape
     * @param reduction none, sum, mean or batchmean
     * @param logTarget true when {@code target} holds log-probabilities ({@code log_target=True})
     * @param gradient true to compute d loss / d input as well
     * @return the checked request
     * @throws InvalidInputException for a non-floating dtype, a shape mismatch or a null reduction
     */
    public static KlDivergence of(
            Tensor input, Tensor target, Reduction reduction, boolean logTarget, boolean gradient) {
        return new KlDivergence(input, target, reduction, logTarget, gradient);
    }

    /**
     * This request with the gradient multiplied by {@code go} (autograd's grad_output: the input's shape for 'none',
     * one value otherwise; checked when the request runs). Needs the gradient.
     *
     * @param go the upstream gradient, or null for none (a factor of 1)
     * @return a copy of this request that carries {@code go}
     * @throws InvalidInputException if {@code go} is given and this request computes no gradient
     */
    public KlDivergence withGradOutput(Tensor go) {
        if (go != null && !gradient)
            throw new InvalidInputException("an upstream gradient (grad_output) needs the gradient");
        KlDivergence k = new KlDivergence(this, 0, size());
        k.gradOutput = go;
        return k;
    }

    /** {@return the upstream gradient, or null} */
    public Tensor gradOutput() {
        return gradOutput;
    }

    /**
     * Elements [from, from + count) of the flattened request as a request of their own (views, no copy). It keeps
     * the whole request's shape, so its {@link #divisor()} is the whole request's.
     *
     * @param from the first element, in [0, {@link #size()}]
     * @param count how many elements, at most {@code size() - from}
     * @return the block
     */
    public KlDivergence block(long from, long count) {
        return new KlDivergence(this, from, count);
    }

    /** {@return the element count of this request (of the block, for a block)} */
    public long size() {
        return x.numel();
    }

    /** {@return the input's shape (of the whole request), a copy} */
    public long[] shape() {
        return shape.clone();
    }

    /** {@return the log-probabilities of this request (the block's elements, flattened, for a block)} */
    public Tensor input() {
        return x;
    }

    /** {@return the reduction: none, sum, mean or batchmean} */
    public Reduction reduction() {
        return reduction;
    }

    /** {@return true when d loss / d input is computed too} */
    public boolean wantsGradient() {
        return gradient;
    }

    /** {@return what the sum is divided by: 1 (none, sum), every element (mean), or input.size(0) (batchmean; 1 for 0-d)} */
    public double divisor() {
        switch (reduction) {
            case MEAN:
                return total;
            case BATCHMEAN:
                return shape.length == 0 ? 1 : shape[0];
            default:
                return 1;
        }
    }

    /**
     * Computes this block's elements, {@code ranges} running the body over [0, chunks) chunks of 2^16 elements (in
     * order, or on a pool). Per-element losses and the gradient are float64 for float64 input and on the reference,
     * else float32 (the input's dtype for the gradient).
     *
     * @param device the backend's name, recorded in the result
     * @param ranges runs its second argument for every chunk index in [0, first argument), in any order or in
     *     parallel, and returns when all have run
     * @return this block's divergence, per-element values and gradient (when asked for)
     */
    public LossResult compute(String device, java.util.function.BiConsumer<Integer, IntConsumer> ranges) {
        double scale = 1 / divisor();
        long n = x.numel();
        long[] outShape = first == 0 && n == total ? shape : new long[] {n};
        return ElementwiseBlock.compute(
                x,
                t,
                gradient,
                outShape,
                x.dtype().computeType(),
                device,
                ranges,
                (i, xi, ti, per, grad) -> {
                    if (logTarget) {
                        double e = Math.exp(ti);
                        per[i] = e * (ti - xi);
                        if (grad != null) grad[i] = -e * scale;
                    } else {
                        per[i] = xlogy(ti, ti) - ti * xi;
                        if (grad != null) grad[i] = -ti * scale;
                    }
                },
                this::result);
    }

    /**
     * The result of the whole request from the accumulated per-element losses of its parts.
     *
     * @param acc the exact sum of every part's per-element values
     * @param perElement the per-element values, or null (not kept, or sent to a sink)
     * @param gradient the gradient, or null
     * @param device the backend's name
     * @return the divergence reduced as asked, with the given tensors
     */
    public LossResult result(LossAccumulator acc, Tensor perElement, Tensor gradient, String device) {
        return acc.result(reduction, divisor(), total, 0, perElement, gradient, null, device);
    }

    /** x · log(y) with 0 where x = 0 and y is not NaN, as torch.xlogy. */
    static double xlogy(double x, double y) {
        if (Double.isNaN(y)) return Double.NaN;
        if (x == 0) return 0;
        return x * Math.log(y);
    }
}
