package dev.xent;

import dev.xent.stream.LossAccumulator;
import java.util.function.IntConsumer;

/**
 * A checked {@code F.binary_cross_entropy_with_logits} request (or an element range of one, {@link #block}), computed
 * element by element in float64, exactly as PyTorch 1.13 forms it: with pos_weight,
 * l = (1 − t)·x + lw·(log1p(exp(−|x|)) + max(−x, 0)), lw = (pw − 1)·t + 1; without,
 * l = (1 − t)·x + mv + log(exp(−mv) + exp(−x − mv)), mv = max(−x, 0); then times weight. 'mean' divides by the
 * element count of the whole request. Gradient: weight·((1 − t) − lw·σ(−x)), divided likewise. Elements are
 * independent: the reference runs them in order, the CPU path in parallel ranges.
 */
public final class BinaryCrossEntropy {
    /** Broadcast weights up to this many elements are read into an array once; larger ones are read where they lie. */
    private static final long SMALL_WEIGHTS = 1 << 20;

    private final Tensor x, t;
    private final BceSpec spec;
    private final Outputs outputs;
    private final long[] shape; // of the whole request
    private final long total; // elements of the whole request ('mean' divides by it)
    private final long first; // of this problem in the whole request
    private final long[] wMap, pMap; // broadcast strides, or null
    private final Weights w, pw;

    private BinaryCrossEntropy(Tensor x, Tensor t, BceSpec spec, Outputs outputs) {
        if (!x.dtype().isFloating() || !t.dtype().isFloating()) {
            throw new InvalidInputException("binary_cross_entropy_with_logits takes floating input and target, got "
                    + x.dtype().label() + " and " + t.dtype().label());
        }
        if (!x.sameShape(t)) {
            throw new InvalidInputException("target must have the input's shape: input " + Tensor.shapeString(x.shape())
                    + ", target " + Tensor.shapeString(t.shape()));
        }
        if (outputs.accuracy() || outputs.predictions())
            throw new InvalidInputException("accuracy and predictions are for class targets, not binary cross-entropy");
        this.x = x;
        this.t = t;
        this.spec = spec;
        this.outputs = outputs;
        this.shape = x.shape();
        this.total = x.numel();
        this.first = 0;
        this.wMap = spec.weight() == null ? null : broadcast(spec.weight(), shape, "weight");
        this.pMap = spec.posWeight() == null ? null : broadcast(spec.posWeight(), shape, "pos_weight");
        this.w = spec.weight() == null ? null : new Weights(spec.weight());
        this.pw = spec.posWeight() == null ? null : new Weights(spec.posWeight());
    }

    private BinaryCrossEntropy(BinaryCrossEntropy whole, long from, long count) {
        this.x = whole.x.flatRange(from, count);
        this.t = whole.t.flatRange(from, count);
        this.spec = whole.spec;
        this.outputs = whole.outputs;
        this.shape = whole.shape;
        this.total = whole.total;
        this.first = whole.first + from;
        this.wMap = whole.wMap;
        this.pMap = whole.pMap;
        this.w = whole.w;
        this.pw = whole.pw;
    }

    /**
     * Checks a request: shapes, dtypes, and that weight and pos_weight broadcast to the input.
     *
     * @param x the logits, floating, any shape
     * @param t the targets, floating, x's shape (probabilities in [0, 1], not checked, as PyTorch)
     * @param spec the reduction and weights; null for {@link BceSpec#DEFAULT}
     * @param outputs what to compute besides the loss: only the gradient applies; null for the loss alone
     * @return the checked request
     * @throws InvalidInputException for a non-floating dtype, a shape mismatch, weights that do not broadcast, or
     *     accuracy or predictions asked for
     */
    public static BinaryCrossEntropy of(Tensor x, Tensor t, BceSpec spec, Outputs outputs) {
        return new BinaryCrossEntropy(
                x, t, spec == null ? BceSpec.DEFAULT : spec, outputs == null ? Outputs.LOSS_ONLY : outputs);
    }

    /**
     * Elements [from, from + count) of this problem's flattened input as a problem of their own (views, no copy).
     * It keeps the whole request's shape, element count and broadcast weights, so 'mean' divides by the whole count.
     *
     * @param from the first element, in [0, {@link #size()}]
     * @param count how many elements, at most {@code size() - from}
     * @return the block
     */
    public BinaryCrossEntropy block(long from, long count) {
        return new BinaryCrossEntropy(this, from, count);
    }

    /** {@return the element count of this problem (of the block, for a block)} */
    public long size() {
        return x.numel();
    }

    /** {@return the element count of the whole request: the 'mean' divisor} */
    public long totalElements() {
        return total;
    }

    /** {@return the input's shape (of the whole request), a copy} */
    public long[] shape() {
        return shape.clone();
    }

    /** {@return the logits of this problem (the block's elements, flattened, for a block)} */
    public Tensor input() {
        return x;
    }

    /** {@return the reduction and weights} */
    public BceSpec spec() {
        return spec;
    }

    /** {@return what is computed besides the loss (the gradient or nothing)} */
    public Outputs outputs() {
        return outputs;
    }

    /** A weight tensor, read into an array when small. */
    private static final class Weights {
        final Tensor tensor;
        final double[] values;

        Weights(Tensor t) {
            this.tensor = t;
            this.values = t.numel() <= SMALL_WEIGHTS ? t.toDoubleArray() : null;
        }

        double at(long i) {
            return values != null ? values[(int) i] : tensor.getDouble(i);
        }
    }

    /**
     * Computes this problem's elements, {@code ranges} running the body over [0, chunks) chunks of 2^16 elements (in
     * order, or on a pool). Per-element losses are float64 for float64 input (and on the reference), else float32;
     * the gradient is float64 on the reference, else the input's dtype.
     *
     * @param device the backend's name, recorded in the result
     * @param ranges runs its second argument for every chunk index in [0, first argument), in any order or in
     *     parallel, and returns when all have run
     * @return this problem's loss, per-element losses and gradient (as {@link #outputs()} asks)
     */
    public LossResult compute(String device, java.util.function.BiConsumer<Integer, IntConsumer> ranges) {
        double scale = spec.reduction() == Reduction.MEAN ? 1.0 / total : 1;
        long n = x.numel();
        long[] outShape = first == 0 && n == total ? shape : new long[] {n};
        return ElementwiseBlock.compute(
                x,
                t,
                outputs.gradient(),
                outShape,
                x.dtype(),
                device,
                ranges,
                (i, xi, ti, per, grad) -> {
                    long at = first + i;
                    double wi = w == null ? 1 : w.at(index(wMap, shape, at));
                    double l, lw = 1;
                    if (pw != null) {
                        lw = (pw.at(index(pMap, shape, at)) - 1) * ti + 1;
                        l = (1 - ti) * xi + lw * (Math.log1p(Math.exp(-Math.abs(xi))) + Math.max(-xi, 0));
                    } else {
                        double mv = Math.max(-xi, 0);
                        l = (1 - ti) * xi + mv + Math.log(Math.exp(-mv) + Math.exp(-xi - mv));
                    }
                    per[i] = l * wi;
                    if (grad != null) grad[i] = scale * wi * ((1 - ti) - lw * sigmoidOfNegative(xi));
                },
                this::result);
    }

    /**
     * d loss / d target of this block's elements, as autograd gives it: with pos_weight pw,
     * weight · (−x + (pw − 1) · (log1p(exp(−|x|)) + max(−x, 0))), without, weight · (−x); divided by the whole
     * request's element count for 'mean' (the gradient of the sum for 'none'). float64, the target's shape for a
     * whole request, flat for a block.
     *
     * @return a new float64 tensor, one value per element of this problem
     * @throws InvalidInputException if the problem has more elements than one Java array holds
     */
    public Tensor targetGradient() {
        int n = Backend.checkElementsFit(x);
        double[] g = new double[n];
        double scale = spec.reduction() == Reduction.MEAN ? 1.0 / total : 1;
        double[] xs = new double[Math.min(n, 1 << 16)];
        for (int lo = 0; lo < n; lo += xs.length) {
            int k = Math.min(xs.length, n - lo);
            x.readDoubles(lo, 1, xs, 0, k);
            for (int i = 0; i < k; i++) {
                double xi = xs[i];
                long at = first + lo + i;
                double wi = w == null ? 1 : w.at(index(wMap, shape, at));
                double d = -xi;
                if (pw != null)
                    d += (pw.at(index(pMap, shape, at)) - 1) * (Math.log1p(Math.exp(-Math.abs(xi))) + Math.max(-xi, 0));
                g[lo + i] = scale * wi * d;
            }
        }
        return Tensor.of(g, first == 0 && n == total ? shape : new long[] {n});
    }

    /**
     * The result of the whole request from the accumulated per-element losses of its parts.
     *
     * @param acc the exact sum of every part's per-element losses
     * @param perElement the per-element losses, or null (not kept, or sent to a sink)
     * @param gradient the gradient, or null
     * @param device the backend's name
     * @return the loss reduced as the spec says, with the given tensors
     */
    public LossResult result(LossAccumulator acc, Tensor perElement, Tensor gradient, String device) {
        return acc.result(spec.reduction(), total, total, 0, perElement, gradient, null, device);
    }

    /** σ(−x) = 1 / (1 + e^x), formed without overflow on either side. */
    static double sigmoidOfNegative(double x) {
        if (x >= 0) {
            double e = Math.exp(-x);
            return e / (1 + e);
        }
        return 1 / (1 + Math.exp(x));
    }

    /** Strides mapping the input's multi-index to the broadcast tensor's flat index (0 where it broadcasts). */
    static long[] broadcast(Tensor b, long[] shape, String what) {
        long[] bs = b.shape();
        if (bs.length > shape.length)
            throw new InvalidInputException(what + " of shape " + Tensor.shapeString(bs) + " does not broadcast to "
                    + Tensor.shapeString(shape));
        long[] strides = new long[shape.length];
        long stride = 1;
        for (int d = shape.length - 1, e = bs.length - 1; d >= 0; d--, e--) {
            long size = e >= 0 ? bs[e] : 1;
            if (size != 1 && size != shape[d]) {
                throw new InvalidInputException(what + " of shape " + Tensor.shapeString(bs) + " does not broadcast to "
                        + Tensor.shapeString(shape));
            }
            strides[d] = size == 1 ? 0 : stride;
            stride *= size;
        }
        return strides;
    }

    static long index(long[] strides, long[] shape, long flat) {
        long at = 0;
        for (int d = shape.length - 1; d >= 0; d--) {
            long i = flat % shape[d];
            flat /= shape[d];
            at += i * strides[d];
        }
        return at;
    }
}
