package dev.xent;

import java.util.function.IntConsumer;

/**
 * {@code F.binary_cross_entropy_with_logits}, element by element in float64, exactly as PyTorch 1.13 forms it:
 * with pos_weight, l = (1 − t)·x + lw·(log1p(exp(−|x|)) + max(−x, 0)), lw = (pw − 1)·t + 1; without,
 * l = (1 − t)·x + mv + log(exp(−mv) + exp(−x − mv)), mv = max(−x, 0); then times weight. 'mean' divides by the
 * element count. Gradient: weight·((1 − t) − lw·σ(−x)), divided likewise. Elements are independent: the reference
 * runs them in order, the CPU path in parallel ranges.
 */
public final class BinaryCrossEntropy {
    private BinaryCrossEntropy() {}

    /** Computes the loss; {@code ranges} runs the body over [0, chunks) (in order, or on a pool). */
    public static LossResult compute(Tensor x, Tensor t, BceSpec spec, Outputs outputs, String device,
                                     java.util.function.BiConsumer<Integer, IntConsumer> ranges) {
        if (!x.dtype().isFloating() || !t.dtype().isFloating()) {
            throw new InvalidInputException("binary_cross_entropy_with_logits takes floating input and target, got " + x.dtype().label() + " and " + t.dtype().label());
        }
        if (!x.sameShape(t)) {
            throw new InvalidInputException("target must have the input's shape: input " + Tensor.shapeString(x.shape()) + ", target " + Tensor.shapeString(t.shape()));
        }
        if (outputs.accuracy() || outputs.predictions()) throw new InvalidInputException("accuracy and predictions are for class targets, not binary cross-entropy");
        long[] shape = x.shape();
        int n = Math.toIntExact(x.numel());
        long[] wMap = spec.weight() == null ? null : broadcast(spec.weight(), shape, "weight");
        long[] pMap = spec.posWeight() == null ? null : broadcast(spec.posWeight(), shape, "pos_weight");
        double[] w = spec.weight() == null ? null : spec.weight().toDoubleArray();
        double[] pw = spec.posWeight() == null ? null : spec.posWeight().toDoubleArray();
        double[] per = new double[n];
        double[] grad = outputs.gradient() ? new double[n] : null;
        double scale = spec.reduction() == Reduction.MEAN ? 1.0 / n : 1;
        int chunk = 1 << 16, chunks = (n + chunk - 1) / chunk;
        ranges.accept(chunks, k -> {
            for (int i = k * chunk; i < Math.min(n, (k + 1) * chunk); i++) {
                double xi = x.getDouble(i), ti = t.getDouble(i);
                double wi = w == null ? 1 : w[(int) index(wMap, shape, i)];
                double l, lw = 1;
                if (pw != null) {
                    lw = (pw[(int) index(pMap, shape, i)] - 1) * ti + 1;
                    l = (1 - ti) * xi + lw * (Math.log1p(Math.exp(-Math.abs(xi))) + Math.max(-xi, 0));
                } else {
                    double mv = Math.max(-xi, 0);
                    l = (1 - ti) * xi + mv + Math.log(Math.exp(-mv) + Math.exp(-xi - mv));
                }
                per[i] = l * wi;
                if (grad != null) grad[i] = scale * wi * ((1 - ti) - lw * sigmoidOfNegative(xi));
            }
        });
        double sum = 0;
        for (double v : per) sum += v;
        double value = spec.reduction() == Reduction.SUM ? sum : spec.reduction() == Reduction.MEAN ? sum / n : Double.NaN;
        boolean f64 = x.dtype() == DType.F64 || device.equals("reference");
        Tensor perT = f64 ? Tensor.of(per, shape) : Tensor.of(per, shape).to(DType.F32);
        Tensor gradT = grad == null ? null : device.equals("reference") ? Tensor.of(grad, shape) : Tensor.of(grad, shape).to(x.dtype());
        return new LossResult(spec.reduction(), value, perT, n, device, new LossResult.Extras(gradT, Double.NaN, Double.NaN, 0, null, Double.NaN));
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
        if (bs.length > shape.length) throw new InvalidInputException(what + " of shape " + Tensor.shapeString(bs) + " does not broadcast to " + Tensor.shapeString(shape));
        long[] strides = new long[shape.length];
        long stride = 1;
        for (int d = shape.length - 1, e = bs.length - 1; d >= 0; d--, e--) {
            long size = e >= 0 ? bs[e] : 1;
            if (size != 1 && size != shape[d]) {
                throw new InvalidInputException(what + " of shape " + Tensor.shapeString(bs) + " does not broadcast to " + Tensor.shapeString(shape));
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
