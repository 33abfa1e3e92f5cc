package dev.xent.stream;

import dev.xent.DType;
import dev.xent.InvalidInputException;
import dev.xent.Reduction;
import dev.xent.Tensor;

/**
 * The chain rule's last step, as autograd applies {@code grad_output}: a block's gradient of the reduced loss (of the
 * sum for 'none') times the upstream gradient, per loss element for 'none', one factor otherwise. Each element is
 * multiplied in float64 and rounded to the gradient's dtype: for float32 and float64 gradients that is PyTorch's
 * product; a float16 or bfloat16 gradient, already rounded once, is rounded a second time.
 */
final class Upstream {
    private Upstream() {}

    /** Checks {@code go} against the losses' shape: theirs for 'none', one element for 'mean' and 'sum'. */
    static void check(Tensor go, Reduction red, long[] lossShape) {
        if (go == null) return;
        if (red == Reduction.NONE) {
            if (!java.util.Arrays.equals(go.shape(), lossShape)) {
                throw new InvalidInputException("grad_output for reduction 'none' must have the losses' shape "
                        + Tensor.shapeString(lossShape) + ", got " + Tensor.shapeString(go.shape()));
            }
        } else if (go.numel() != 1) {
            throw new InvalidInputException("grad_output for reduction '" + red.label() + "' is one value, got shape "
                    + Tensor.shapeString(go.shape()));
        }
    }

    /**
     * {@code grad} (a block whose element e belongs to loss element lossOf(e)) times go: for rows of C classes laid out
     * (n, C, inner), element e is loss firstLoss + (e / (C · inner)) · inner + e % inner; {@code classes} 1 and
     * {@code inner} 1 make it elementwise. One factor (go of one element) for scalar reductions.
     */
    static Tensor apply(Tensor grad, Tensor go, Reduction red, long firstLoss, long classes, long inner) {
        if (go == null || grad == null) return grad;
        int n = (int) grad.numel();
        double[] g = new double[n];
        grad.readDoubles(0, 1, g, 0, n);
        if (red != Reduction.NONE) {
            double f = go.getDouble(0);
            for (int i = 0; i < n; i++) g[i] *= f;
        } else {
            long slab = classes * inner;
            long losses = n / slab * inner;
            double[] f = new double[(int) losses];
            go.readDoubles(firstLoss, 1, f, 0, f.length);
            for (int i = 0; i < n; i++) g[i] *= f[(int) (i / slab * inner + i % inner)];
        }
        Tensor out = Tensor.of(g, grad.shape());
        return grad.dtype() == DType.F64 ? out : out.to(grad.dtype());
    }
}
