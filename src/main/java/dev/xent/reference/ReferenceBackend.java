package dev.xent.reference;

import dev.xent.Backend;
import dev.xent.DType;
import dev.xent.LossKind;
import dev.xent.LossProblem;
import dev.xent.LossResult;
import dev.xent.RowLayout;
import dev.xent.Tensor;

/**
 * The yardstick: PyTorch's formulas written out plainly, one row at a time, in double precision. Nothing here is
 * clever, so every other path is tested against it. Outputs are float64.
 */
public final class ReferenceBackend implements Backend {

    @Override
    public String name() {
        return "reference";
    }

    @Override
    public LossResult loss(LossProblem p) {
        int rows = Backend.checkRowsFit(p);
        p.totals(); // every target checked, and W known, before any logit is read
        if (p.needsTrainingPath()) {
            TrainingRows t = new TrainingRows(p, DType.F64);
            t.run(0, rows);
            return t.result(name(), true);
        }
        int c = p.classes();
        double eps = p.spec().labelSmoothing();
        double[] x = new double[c];
        double[] t = p.probabilityTarget() ? new double[c] : null;
        double[] out = new double[rows];
        for (int r = 0; r < rows; r++) {
            long start = p.rowStart(r);
            p.input().readDoubles(start, p.inner(), x, 0, c);
            double[] logp = p.kind() == LossKind.NLL ? x : logSoftmax(x);
            if (p.probabilityTarget()) {
                p.target().readDoubles(start, p.inner(), t, 0, c);
                double l = 0;
                for (int k = 0; k < c; k++) {
                    double tk = eps > 0 ? t[k] * (1 - eps) + eps / c : t[k];
                    l -= logp[k] * tk * p.weight(k);
                }
                out[r] = l;
                continue;
            }
            long y = p.targetOf(r);
            if (p.isIgnored(y)) continue; // contributes 0 and is not counted
            if (y < 0 || y >= c) throw p.badTarget(r, y);
            double l = -p.weight(y) * logp[(int) y];
            if (eps > 0) { // PyTorch adds the smoothing term only when epsilon > 0
                double smooth = 0;
                for (int k = 0; k < c; k++) smooth -= logp[k] * p.weight(k);
                l = (1 - eps) * l + eps / c * smooth;
            }
            out[r] = l;
        }
        return p.finish(Tensor.of(out, rows), name());
    }

    @Override
    public Tensor softmax(Tensor input, int dim, boolean logOutput) {
        RowLayout rl = RowLayout.along(input.shape(), dim);
        double[] out = new double[Backend.checkElementsFit(input)];
        double[] x = new double[rl.classes];
        for (long r = 0; r < rl.rows(); r++) {
            long start = rl.rowStart(r);
            input.readDoubles(start, rl.inner, x, 0, rl.classes);
            double[] lp = logSoftmax(x);
            for (int k = 0; k < rl.classes; k++)
                out[(int) (start + k * rl.inner)] = logOutput ? lp[k] : Math.exp(lp[k]);
        }
        return Tensor.of(out, input.shape());
    }

    /** log_softmax of one row: (x - max) - log(sum exp(x - max)). NaN anywhere, or a row of -inf, gives NaN throughout. */
    static double[] logSoftmax(double[] x) {
        double[] lp = x.clone();
        logSoftmaxInPlace(lp);
        return lp;
    }

    /**
     * {@link #logSoftmax} of the row x, written over it: x − max − log Σ exp(x − max).
     *
     * @param x one row of logits; a row of -inf, or one holding NaN or +inf, becomes all NaN
     */
    public static void logSoftmaxInPlace(double[] x) {
        double m = Double.NEGATIVE_INFINITY;
        for (double v : x) m = Math.max(m, v);
        double s = 0;
        for (double v : x) s += Math.exp(v - m);
        double logS = Math.log(s);
        for (int k = 0; k < x.length; k++) x[k] = (x[k] - m) - logS;
    }

    @Override
    public void close() {}
}
