package dev.xent;

import dev.xent.stream.LossAccumulator;
import java.util.function.BiConsumer;
import java.util.function.IntConsumer;

/**
 * The shared frame of the elementwise losses (BCE with logits, kl_div) over one block: input and target read in
 * chunks of 2^16 elements (in order, or on a pool), each element's float64 loss and gradient formed by the loss's
 * body, then the block's result: per-element losses float64 for float64 input and on the reference, else float32;
 * the reduction sums the float64 terms, not their float32 roundings.
 */
final class ElementwiseBlock {
    private ElementwiseBlock() {}

    /** One element: index i of the block, its input x and target t; writes per[i] and, when grad is not null, grad[i]. */
    interface Body {
        void element(int i, double x, double t, double[] per, double[] grad);
    }

    /** The whole request's result from the accumulated losses of its parts. */
    interface Result {
        LossResult of(LossAccumulator acc, Tensor perElement, Tensor gradient, String device);
    }

    /**
     * The block of x and t (same shape, {@code n} elements), its gradient in {@code gradType} off the reference;
     * {@code outShape} the shape of its per-element results.
     */
    static LossResult compute(
            Tensor x,
            Tensor t,
            boolean gradient,
            long[] outShape,
            DType gradType,
            String device,
            BiConsumer<Integer, IntConsumer> ranges,
            Body body,
            Result result) {
        int n = Backend.checkElementsFit(x);
        double[] per = new double[n];
        double[] grad = gradient ? new double[n] : null;
        int chunk = 1 << 16, chunks = (n + chunk - 1) / chunk;
        ranges.accept(chunks, k -> {
            int lo = k * chunk, hi = Math.min(n, (k + 1) * chunk);
            double[] xs = new double[hi - lo], ts = new double[hi - lo];
            x.readDoubles(lo, 1, xs, 0, hi - lo);
            t.readDoubles(lo, 1, ts, 0, hi - lo);
            for (int i = lo; i < hi; i++) body.element(i, xs[i - lo], ts[i - lo], per, grad);
        });
        boolean reference = device.equals("reference");
        Tensor per64 = Tensor.of(per, outShape);
        Tensor perT = x.dtype() == DType.F64 || reference ? per64 : per64.to(DType.F32);
        Tensor gradT = grad == null
                ? null
                : reference
                        ? Tensor.of(grad, outShape)
                        : Tensor.of(grad, outShape).to(gradType);
        LossResult.Extras extras = new LossResult.Extras(null, -1, -1, 0, null, null, per64);
        LossAccumulator acc = new LossAccumulator();
        acc.add(perT, extras);
        return result.of(acc, perT, gradT, device).withExtras(extras.withGradient(gradT));
    }
}
