package dev.xent.cpu;

import dev.xent.LossKind;
import dev.xent.LossProblem;
import dev.xent.Reduction;

/**
 * Per-row float64 loss for one range of rows of a float64 input, with whatever else the request asks (gradient,
 * accuracy, top-k, predictions, z-loss, softcap): plain two-pass loops in double. The CPU's own arithmetic for the
 * values the reference path defines, held to it by the contract tests.
 */
final class DoubleRows {
    private final LossProblem p;
    private final int c;
    private final double[] x, xc, t, g;
    private final double eps, zs, cap, rs, zScale, weightTotal;
    private final double[] grad; // the gradient (the input's layout), or null
    private final Metrics metrics; // accuracy, top-k, predictions, or null
    private final double[] zRow, ceRow; // with z-loss: each row's z term, and its loss without it
    private double[] lseOut, entropyOut; // with row statistics: each row's log-sum-exp and entropy
    private final EntropySum entropySum = new EntropySum(); // the entropies of this range's counted rows

    /** The plain loss: no gradient, metrics or z terms. */
    DoubleRows(LossProblem p) {
        this(p, null, null, null, null);
    }

    /**
     * @param grad where the gradient goes (the input's layout), or null
     * @param metrics where accuracy, top-k and predictions go, or null
     * @param zRow with z-loss, where each row's z term goes (else null)
     * @param ceRow with z-loss, where each row's loss without it goes (else null)
     */
    DoubleRows(LossProblem p, double[] grad, Metrics metrics, double[] zRow, double[] ceRow) {
        this.p = p;
        this.c = p.classes();
        this.x = new double[c];
        this.cap = p.spec().softcap();
        this.xc = cap > 0 ? new double[c] : x;
        this.t = p.probabilityTarget() ? new double[c] : null;
        this.grad = grad;
        this.g = grad != null ? new double[c] : null;
        this.metrics = metrics;
        this.zRow = zRow;
        this.ceRow = ceRow;
        this.eps = p.spec().labelSmoothing();
        this.zs = p.spec().zLossScale();
        boolean mean = p.spec().reduction() == Reduction.MEAN;
        this.rs = grad != null && mean ? 1 / p.totals().divisor() : 1;
        this.zScale = grad != null && mean && zs != 0 ? 1.0 / p.totals().validRows() : 1;
        double w = 0;
        for (int k = 0; k < c; k++) w += p.weight(k);
        this.weightTotal = w;
    }

    void run(int lo, int hi, double[] out, BadTarget bad) {
        for (int r = lo; r < hi; r++) {
            long start = p.rowStart(r);
            p.input().readDoubles(start, p.inner(), x, 0, c);
            if (cap > 0) for (int k = 0; k < c; k++) xc[k] = cap * Math.tanh(x[k] / cap);
            long y = -1;
            if (!p.probabilityTarget()) {
                y = p.targetOf(r);
                boolean ignored = p.isIgnored(y);
                if (!ignored && (y < 0 || y >= c)) {
                    bad.report(r, y);
                    continue;
                }
                if (metrics != null) metrics.row(r, x, ignored ? -1 : (int) y);
                if (ignored && (p.kind() == LossKind.NLL || lseOut == null)) {
                    out[r] = 0;
                    if (g != null) store(start, 0);
                    continue;
                }
                if (p.kind() == LossKind.NLL) {
                    out[r] = -p.weight(y) * x[(int) y];
                    if (g != null) {
                        java.util.Arrays.fill(g, 0);
                        g[(int) y] = -rs * p.weight(y);
                        store(start, 1);
                    }
                    continue;
                }
            } else if (metrics != null) {
                metrics.row(r, x, -1);
            }
            double m = Double.NEGATIVE_INFINITY, s = 0;
            for (int k = 0; k < c; k++) m = Math.max(m, xc[k]);
            for (int k = 0; k < c; k++) s += Math.exp(xc[k] - m);
            double logS = Math.log(s), lse = m + logS;
            if (lseOut != null) {
                statistics(r, m, logS, lse, p.probabilityTarget() || !p.isIgnored(y));
                if (!p.probabilityTarget() && p.isIgnored(y)) {
                    out[r] = 0;
                    if (g != null) store(start, 0);
                    continue;
                }
            }
            double l, mixTotal = 0;
            if (p.probabilityTarget()) {
                p.target().readDoubles(start, p.inner(), t, 0, c);
                l = 0;
                for (int k = 0; k < c; k++) {
                    double tk = (eps > 0 ? t[k] * (1 - eps) + eps / c : t[k]) * p.weight(k);
                    t[k] = tk;
                    mixTotal += tk;
                    l += tk * ((m - xc[k]) + logS);
                }
            } else {
                l = p.weight(y) * ((m - xc[(int) y]) + logS);
                if (eps > 0) {
                    double smooth = 0;
                    for (int k = 0; k < c; k++) smooth += p.weight(k) * ((m - xc[k]) + logS);
                    l = (1 - eps) * l + eps / c * smooth;
                }
            }
            double z = zs != 0 ? zs * lse * lse : 0;
            out[r] = l + z;
            if (zRow != null) {
                zRow[r] = z;
                ceRow[r] = l;
            }
            if (g == null) continue;
            double zg = zScale * 2 * zs * lse;
            for (int k = 0; k < c; k++) {
                double pk = Math.exp((xc[k] - m) - logS);
                double gk;
                if (p.probabilityTarget()) {
                    gk = rs * (pk * mixTotal - t[k]);
                } else {
                    double wy = p.weight(y);
                    gk = (1 - eps) * wy * (pk - (k == y ? 1 : 0));
                    if (eps > 0) gk += eps / c * (pk * weightTotal - p.weight(k));
                    gk *= rs;
                }
                g[k] = gk + zg * pk;
            }
            store(start, 1);
        }
    }

    /** Sets where each row's log-sum-exp and entropy go ({@link dev.xent.Outputs#rowStatistics()}). */
    DoubleRows rowStatistics(double[] lse, double[] entropy) {
        this.lseOut = lse;
        this.entropyOut = entropy;
        return this;
    }

    /** {@return the entropies of this instance's rows whose target is not ignored} */
    EntropySum entropySum() {
        return entropySum;
    }

    /** Row r's lse, and its entropy logS − Σ e (x − m) / S over the (capped) row, e = exp(x − m). */
    private void statistics(int r, double m, double logS, double lse, boolean counted) {
        double sx = 0;
        for (int k = 0; k < c; k++) {
            double e = Math.exp(xc[k] - m);
            if (e != 0) sx += e * (xc[k] - m);
        }
        double h = logS - sx * Math.exp(-logS);
        lseOut[r] = lse;
        entropyOut[r] = h;
        if (counted) entropySum.add(h);
    }

    /** Row gradient g (times {@code keep}: 0 writes zeros), through the softcap's slope, into the gradient. */
    private void store(long start, double keep) {
        for (int k = 0; k < c; k++) {
            double v = keep == 0 ? 0 : g[k];
            if (cap > 0 && keep != 0) {
                double th = Math.tanh(x[k] / cap);
                v *= 1 - th * th;
            }
            grad[(int) (start + k * p.inner())] = v;
        }
    }
}
