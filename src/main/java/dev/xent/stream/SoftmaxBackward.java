package dev.xent.stream;

import dev.xent.Backend;
import dev.xent.DType;
import dev.xent.InvalidInputException;
import dev.xent.RowLayout;
import dev.xent.Tensor;

/**
 * The backward of {@code F.softmax} and {@code F.log_softmax} along a dim, given the input x and the upstream gradient
 * go (x's shape), in float64 row by row as autograd forms it from the forward's output: with y = softmax(x) along
 * dim, softmax's gx = y ⊙ (go − Σ go·y) and log_softmax's gx = go − y · Σ go (Σ over dim). The result has x's dtype
 * (float64 arithmetic, rounded once); a 0-d x is one row of one value.
 */
final class SoftmaxBackward {
    private SoftmaxBackward() {}

    /**
     * gx for x and go of one shape (a block along axis 0, or the whole), in memory.
     *
     * @param x the forward's input, floating
     * @param go the upstream gradient, floating, x's shape
     * @param dim the axis the forward normalized, negative counting from the last
     * @param log true for log_softmax's backward, false for softmax's
     * @return gx, x's shape and dtype
     * @throws InvalidInputException for a non-floating dtype, a shape mismatch, a dim out of range, or more elements
     *     than one Java array holds
     */
    public static Tensor compute(Tensor x, Tensor go, int dim, boolean log) {
        if (!x.dtype().isFloating() || !go.dtype().isFloating()) {
            throw new InvalidInputException("softmax backward takes floating input and grad_output, got "
                    + x.dtype().label() + " and " + go.dtype().label());
        }
        if (!x.sameShape(go)) {
            throw new InvalidInputException("grad_output must have the input's shape: input "
                    + Tensor.shapeString(x.shape()) + ", grad_output " + Tensor.shapeString(go.shape()));
        }
        if (x.rank() == 0) {
            if (dim != 0 && dim != -1)
                throw new InvalidInputException("dim " + dim + " is out of range for a 0-d input (0 or -1)");
            return compute(x.reshape(1), go.reshape(1), 0, log).reshape();
        }
        RowLayout rl = RowLayout.along(x.shape(), dim);
        int n = Backend.checkElementsFit(x), c = rl.classes;
        double[] out = new double[n], xs = new double[c], gs = new double[c];
        for (long r = 0; r < rl.rows(); r++) {
            long start = rl.rowStart(r);
            x.readDoubles(start, rl.inner, xs, 0, c);
            go.readDoubles(start, rl.inner, gs, 0, c);
            double m = Double.NEGATIVE_INFINITY;
            for (double v : xs) m = Math.max(m, v);
            double s = 0;
            for (double v : xs) s += Math.exp(v - m);
            double dot = 0, sumGo = 0;
            for (int k = 0; k < c; k++) {
                xs[k] = Math.exp(xs[k] - m) / s; // y
                dot += gs[k] * xs[k];
                sumGo += gs[k];
            }
            for (int k = 0; k < c; k++) {
                double v = log ? gs[k] - xs[k] * sumGo : xs[k] * (gs[k] - dot);
                out[(int) (start + k * rl.inner)] = v;
            }
        }
        Tensor t = Tensor.of(out, x.shape());
        return x.dtype() == DType.F64 ? t : t.to(x.dtype());
    }
}
