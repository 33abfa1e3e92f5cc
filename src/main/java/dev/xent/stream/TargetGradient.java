package dev.xent.stream;

import dev.xent.Backend;
import dev.xent.InvalidInputException;
import dev.xent.LossProblem;
import dev.xent.Reduction;
import dev.xent.RowLayout;
import dev.xent.Tensor;

/**
 * The gradient of cross-entropy with respect to probability targets, as autograd gives it for
 * {@code F.cross_entropy(x, t, weight, reduction, label_smoothing)}: with t' = (1 − ε) t + ε / C,
 * l = −Σ_c w_c t'_c log p_c, so d l / d t_c = −(1 − ε) w_c log p_c, divided by the row count for 'mean' (the gradient
 * of the sum for 'none'). float64 row by row; the targets' shape.
 */
final class TargetGradient {
    private TargetGradient() {}

    /**
     * d loss / d target for rows [0, rows) of {@code p} (a block, or the whole request), laid out as the target.
     *
     * @param p a cross-entropy problem with probability targets
     * @return a new float64 tensor of the target's shape
     * @throws InvalidInputException for class-index targets, or more elements than one Java array holds
     */
    public static Tensor crossEntropy(LossProblem p) {
        if (!p.probabilityTarget())
            throw new InvalidInputException(
                    "a gradient with respect to the targets needs probability targets (class indices have none)");
        int n = Backend.checkElementsFit(p.input());
        RowLayout rl = p.layout();
        int c = rl.classes;
        double eps = p.spec().labelSmoothing();
        double scale = p.spec().reduction() == Reduction.MEAN ? 1.0 / p.totals().divisor() : 1;
        double[] w = p.weights(), xs = new double[c], g = new double[n];
        for (long r = 0; r < rl.rows(); r++) {
            long start = rl.rowStart(r);
            p.input().readDoubles(start, rl.inner, xs, 0, c);
            dev.xent.reference.ReferenceBackend.logSoftmaxInPlace(xs); // log p
            for (int k = 0; k < c; k++)
                g[(int) (start + k * rl.inner)] = -scale * (1 - eps) * (w == null ? 1 : w[k]) * xs[k];
        }
        return Tensor.of(g, p.input().shape());
    }
}
