package dev.xent.reference;

import dev.xent.Backend;
import dev.xent.DType;
import dev.xent.Half;
import dev.xent.LossKind;
import dev.xent.LossProblem;
import dev.xent.LossResult;
import dev.xent.Outputs;
import dev.xent.Reduction;
import dev.xent.Tensor;

/**
 * The training outputs, row by row, in double precision: the loss with z-loss and softcap, the gradient with respect
 * to the input, top-1 / top-k hits and predicted classes. Rows are independent, so the reference runs all rows in
 * order and the CPU path runs ranges of rows on its threads; sums are then taken in row order.
 *
 * <p>Gradient of the reduced loss (of the sum for 'none'), with p = softmax of the (capped) logits, rs = 1/W for
 * 'mean' (else 1) and zs = 1/(non-ignored rows) for 'mean' (else 1):
 * class indices: rs·[(1−ε)·w_y·(p_j − δ_jy) + (ε/C)·(p_j·Σw − w_j)] + zs·2·s·lse·p_j;
 * probabilities: rs·[p_j·Σ_c w_c·t'_c − w_j·t'_j] + zs·2·s·lse·p_j; NLL: −rs·w_y·δ_jy; ignored rows: 0;
 * with a softcap, times 1 − tanh²(x_j / cap).
 */
public final class TrainingRows {
    private final LossProblem p;
    private final DType gradType;
    private final double divisor;
    private final long valid;
    private final double[] perRow, zRow, ceRow; // the loss with z, z, the loss without z
    private final byte[] hit1, hitK;
    private final long[] pred;
    private final double[] grad64;
    private final float[] grad32;
    private final short[] grad16;
    private final double[] lse, entropy; // with row statistics, per row
    private final boolean[] counted; // with row statistics: the rows whose target is not ignored

    /**
     * Sizes the outputs; the problem's target pre-pass ({@link LossProblem#totals()}) has checked every target.
     *
     * @param p the request or block; its rows (and its input's elements, with a gradient) must fit arrays
     * @param gradType the gradient's dtype: F64, F32, F16 or BF16 (the arithmetic is float64 either way)
     * @throws dev.xent.InvalidInputException if the rows or the gradient do not fit Java arrays, or a target is out
     *     of range (from the pre-pass)
     */
    public TrainingRows(LossProblem p, DType gradType) {
        this.p = p;
        this.gradType = gradType;
        int rows = Backend.checkRowsFit(p);
        this.divisor = p.totals().divisor();
        this.valid = p.totals().validRows();
        this.perRow = new double[rows];
        this.zRow = new double[rows];
        this.ceRow = new double[rows];
        Outputs o = p.outputs();
        this.hit1 = o.accuracy() ? new byte[rows] : null;
        this.hitK = o.topK() > 0 ? new byte[rows] : null;
        this.pred = o.predictions() ? new long[rows] : null;
        this.lse = o.rowStatistics() ? new double[rows] : null;
        this.entropy = o.rowStatistics() ? new double[rows] : null;
        this.counted = o.rowStatistics() ? new boolean[rows] : null;
        int numel = o.gradient() ? Backend.checkElementsFit(p.input()) : 0;
        this.grad64 = o.gradient() && gradType == DType.F64 ? new double[numel] : null;
        this.grad32 = o.gradient() && gradType == DType.F32 ? new float[numel] : null;
        this.grad16 = o.gradient() && (gradType == DType.F16 || gradType == DType.BF16) ? new short[numel] : null;
    }

    /**
     * Computes rows [lo, hi); safe to run disjoint ranges on different threads.
     *
     * @param lo the first row
     * @param hi the row after the last
     */
    public void run(int lo, int hi) {
        int c = p.classes();
        double eps = p.spec().labelSmoothing(),
                zs = p.spec().zLossScale(),
                cap = p.spec().softcap();
        boolean mean = p.spec().reduction() == Reduction.MEAN;
        double rs = mean ? 1 / divisor : 1, zScale = mean ? 1.0 / valid : 1;
        double[] x = new double[c],
                xc = new double[c],
                logp = new double[c],
                t = p.probabilityTarget() ? new double[c] : null;
        double[] g = p.outputs().gradient() ? new double[c] : null;
        double weightTotal = 0;
        for (int k = 0; k < c; k++) weightTotal += p.weight(k);
        for (int r = lo; r < hi; r++) {
            long start = p.rowStart(r);
            p.input().readDoubles(start, p.inner(), x, 0, c);
            for (int k = 0; k < c; k++) xc[k] = cap > 0 ? cap * Math.tanh(x[k] / cap) : x[k];
            int best = argmax(x);
            if (pred != null) pred[r] = best;
            double lse = Double.NaN;
            if (p.kind() == LossKind.NLL) {
                System.arraycopy(xc, 0, logp, 0, c);
            } else {
                double m = Double.NEGATIVE_INFINITY, s = 0;
                for (double v : xc) m = Math.max(m, v);
                for (double v : xc) s += Math.exp(v - m);
                double logS = Math.log(s);
                lse = m + logS;
                for (int k = 0; k < c; k++) logp[k] = (xc[k] - m) - logS;
                if (this.lse != null) {
                    this.lse[r] = lse;
                    double h = 0; // -Σ p log p, a class of probability 0 adding 0
                    for (int k = 0; k < c; k++) {
                        double pk = Math.exp(logp[k]);
                        if (pk != 0) h -= pk * logp[k];
                    }
                    entropy[r] = Double.isNaN(lse) ? Double.NaN : h;
                    counted[r] = p.probabilityTarget() || !p.isIgnored(p.targetOf(r));
                }
            }
            double z = zs > 0 ? zs * lse * lse : 0;
            if (g != null) java.util.Arrays.fill(g, 0);
            if (p.probabilityTarget()) {
                p.target().readDoubles(start, p.inner(), t, 0, c);
                double l = 0, a = 0;
                for (int k = 0; k < c; k++) {
                    double tk = eps > 0 ? t[k] * (1 - eps) + eps / c : t[k];
                    t[k] = tk * p.weight(k);
                    l -= logp[k] * tk * p.weight(k);
                    a += t[k];
                }
                perRow[r] = l + z;
                zRow[r] = z;
                ceRow[r] = l;
                if (g != null)
                    for (int k = 0; k < c; k++)
                        g[k] = rs * (Math.exp(logp[k]) * a - t[k]) + zScale * 2 * zs * lse * Math.exp(logp[k]);
            } else {
                long y = p.targetOf(r);
                if (p.isIgnored(y)) {
                    store(start, g, x, cap, true);
                    continue;
                }
                int yi = (int) y;
                double wy = p.weight(yi);
                if (hit1 != null) hit1[r] = (byte) (best == yi ? 1 : 0);
                if (hitK != null) hitK[r] = (byte) (rank(x, yi) < p.outputs().topK() ? 1 : 0);
                double l = -wy * logp[yi];
                if (p.kind() == LossKind.CROSS_ENTROPY && eps > 0) {
                    double smooth = 0;
                    for (int k = 0; k < c; k++) smooth -= logp[k] * p.weight(k);
                    l = (1 - eps) * l + eps / c * smooth;
                }
                perRow[r] = l + z;
                zRow[r] = z;
                ceRow[r] = l;
                if (g != null) {
                    if (p.kind() == LossKind.NLL) {
                        g[yi] = -rs * wy;
                    } else {
                        for (int k = 0; k < c; k++) {
                            double pk = Math.exp(logp[k]);
                            double gk = (1 - eps) * wy * (pk - (k == yi ? 1 : 0));
                            if (eps > 0) gk += eps / c * (pk * weightTotal - p.weight(k));
                            g[k] = rs * gk + zScale * 2 * zs * lse * pk;
                        }
                    }
                }
            }
            store(start, g, x, cap, false);
        }
    }

    /** Writes one row of gradient (zeros for an ignored row), through the softcap's derivative. */
    private void store(long start, double[] g, double[] x, double cap, boolean zero) {
        if (g == null) return;
        for (int k = 0; k < g.length; k++) {
            double v = zero ? 0 : g[k];
            if (cap > 0 && !zero) {
                double th = Math.tanh(x[k] / cap);
                v *= 1 - th * th;
            }
            int at = (int) (start + k * p.inner());
            if (grad64 != null) grad64[at] = v;
            else if (grad32 != null) grad32[at] = (float) v;
            else grad16[at] = gradType == DType.F16 ? Half.fromFloat((float) v) : Half.bf16FromFloat((float) v);
        }
    }

    /** Index of the first maximum; NaN counts as the maximum (as torch.argmax). */
    static int argmax(double[] x) {
        int best = 0;
        for (int k = 1; k < x.length; k++) {
            if (Double.isNaN(x[best])) break;
            if (x[k] > x[best] || Double.isNaN(x[k])) best = k;
        }
        return best;
    }

    /** Classes ranked above y: larger logits, and equal logits at lower indices. */
    static int rank(double[] x, int y) {
        int above = 0;
        for (int k = 0; k < x.length; k++) if (x[k] > x[y] || (x[k] == x[y] && k < y)) above++;
        return above;
    }

    /**
     * Packages the result: per-row losses as float64 or float32, the z terms and hit counts for the reduction.
     * Call it once every row has been run.
     *
     * @param device the backend's name
     * @param perRowAsDouble true for float64 per-row losses, false to round them to float32
     * @return the result, reduced as the problem's spec says
     */
    public LossResult result(String device, boolean perRowAsDouble) {
        int rows = perRow.length;
        long h1 = 0, hk = 0; // ignored rows hold 0
        for (int r = 0; r < rows; r++) {
            if (hit1 != null) h1 += hit1[r];
            if (hitK != null) hk += hitK[r];
        }
        Tensor per;
        if (perRowAsDouble) per = Tensor.of(perRow, rows);
        else {
            float[] f = new float[rows];
            for (int r = 0; r < rows; r++) f[r] = (float) perRow[r];
            per = Tensor.of(f, rows);
        }
        Tensor gradient = grad64 != null
                ? Tensor.of(grad64, p.input().shape())
                : grad32 != null
                        ? Tensor.of(grad32, p.input().shape())
                        : grad16 != null
                                ? Tensor.ofHalfBits(gradType, grad16, p.input().shape())
                                : null;
        boolean z = p.spec().zLossScale() != 0;
        LossResult.Extras extras = new LossResult.Extras(
                gradient,
                hit1 != null ? h1 : -1,
                hitK != null ? hk : -1,
                p.outputs().topK(),
                pred != null ? Tensor.of(pred, p.outputShape()) : null,
                // the reduction sums the loss without z apart from z: exact even where l + z overflows
                z ? Tensor.of(zRow, rows) : null,
                z ? Tensor.of(ceRow, rows) : null);
        if (lse != null) {
            dev.xent.stream.ExactSum h = new dev.xent.stream.ExactSum();
            long n = 0;
            for (int r = 0; r < rows; r++)
                if (counted[r]) {
                    h.add(entropy[r]);
                    n++;
                }
            extras = extras.withRowStatistics(Tensor.of(lse, rows), Tensor.of(entropy, rows), h, n);
        }
        return p.finish(per, device, extras);
    }
}
