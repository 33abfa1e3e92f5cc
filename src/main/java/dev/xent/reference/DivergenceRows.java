package dev.xent.reference;

import dev.xent.Divergence;
import dev.xent.DivergenceSpec;
import dev.xent.Tensor;
import dev.xent.stream.ExactSum;

/**
 * The distillation losses in float64, row by row, as the formulas read (the yardstick of the faster paths), with
 * z = logits / T, lp = log_softmax(z_teacher), lq = log_softmax(z_student), P = exp(lp), Q = exp(lq):
 * <ul>
 *   <li>kd: T² Σ_c P (lp − lq); d/ds = T (Q ΣP − P);</li>
 *   <li>jsd, β = 0: Σ P (lp − lq); d/dz = Q ΣP − P. β = 1: Σ Q (lq − lp); d/dz = h − Q Σh, h = Q (lq − lp + 1);
 *       otherwise β Σ P (lp − lm) + (1 − β) Σ Q (lq − lm), lm = log(β P + (1 − β) Q) (formed as a log-sum-exp, so a
 *       class both give probability 0 stays finite); d/dz = h − Q Σh with h = (1 − β) Q (lq − lm); d/ds = d/dz / T;</li>
 *   <li>cross-entropy (kd with alpha, on the unscaled student logits): lse(s) − s_y; d/ds = softmax(s) − [c = y].</li>
 * </ul>
 * A term whose weight P (or Q) is 0 adds 0. The gradient is of the reduced loss (rows times {@link Divergence#gradientScale}).
 */
public final class DivergenceRows {
    private final Divergence p;
    private final int c;
    private final double tau, alpha, beta;
    private final boolean mix;
    private final DivergenceSpec.Kind kind;
    private final double[] s, t, lq, lp, g, gce;

    /**
     * A row computer for {@code p}, with its own scratch rows (one instance per thread).
     *
     * @param p the request or block whose rows {@link #run} computes
     */
    public DivergenceRows(Divergence p) {
        this.p = p;
        this.c = p.classes();
        this.tau = p.spec().temperature();
        this.alpha = p.spec().alpha();
        this.beta = p.spec().beta();
        this.mix = p.spec().mixesCrossEntropy();
        this.kind = p.spec().kind();
        this.s = new double[c];
        this.t = new double[c];
        this.lq = new double[c];
        this.lp = new double[c];
        this.g = new double[c];
        this.gce = mix ? new double[c] : null;
    }

    /**
     * The part of {@code p} computed row by row in order on the calling thread.
     *
     * @param p a request or block whose rows fit arrays ({@link Divergence#rowsInMemory()})
     * @return its per-row losses, gradient (if asked) and exact sums, all float64
     */
    public static Divergence.Part part(Divergence p) {
        int n = p.rowsInMemory();
        double[] loss = new double[n], div = new double[n], ce = new double[n];
        double[] grad = p.wantsGradient() ? new double[n * p.classes()] : null;
        new DivergenceRows(p).run(0, n, loss, div, ce, grad);
        return finish(p, loss, div, ce, grad);
    }

    /**
     * The part from per-row float64 results (float64 tensors, as the reference gives them).
     *
     * @param p the request or block the rows belong to
     * @param loss each row's loss (the arrays are kept, not copied)
     * @param div each row's divergence term
     * @param ce each row's cross-entropy term (0 without alpha)
     * @param grad the gradient rows, rows · C values, or null
     * @return the part: the tensors over these arrays and the exact sums of {@code div} and {@code ce}
     */
    public static Divergence.Part finish(Divergence p, double[] loss, double[] div, double[] ce, double[] grad) {
        ExactSum d = new ExactSum(), e = new ExactSum();
        d.addAll(div, 0, div.length);
        e.addAll(ce, 0, ce.length);
        return new Divergence.Part(
                Tensor.of(loss, loss.length), grad == null ? null : Tensor.of(grad, loss.length, p.classes()), d, e);
    }

    /**
     * Rows [lo, hi) of the block: loss, divergence and cross-entropy terms per row, and the gradient rows (or null).
     * Disjoint ranges may run on different threads, each with its own instance.
     *
     * @param lo the first row
     * @param hi the row after the last
     * @param loss receives each row's loss at its row index
     * @param div receives each row's divergence term
     * @param ce receives each row's cross-entropy term
     * @param grad receives the gradient rows (row r at r · C), or null for none
     */
    public void run(int lo, int hi, double[] loss, double[] div, double[] ce, double[] grad) {
        double scale = p.gradientScale();
        for (int r = lo; r < hi; r++) {
            long y = p.target() == null ? -1 : p.target().getLong(r);
            if (p.target() != null && p.isIgnored(y)) {
                loss[r] = div[r] = ce[r] = 0;
                if (grad != null) java.util.Arrays.fill(grad, r * c, (r + 1) * c, 0);
                continue;
            }
            p.student().readDoubles((long) r * c, 1, s, 0, c);
            p.teacher().readDoubles((long) r * c, 1, t, 0, c);
            for (int k = 0; k < c; k++) {
                lq[k] = s[k] / tau;
                lp[k] = t[k] / tau;
            }
            ReferenceBackend.logSoftmaxInPlace(lq);
            ReferenceBackend.logSoftmaxInPlace(lp);
            double d = kind == DivergenceSpec.Kind.KD ? kd() : jsd();
            div[r] = d;
            double e = 0;
            if (mix) e = crossEntropy((int) y);
            ce[r] = e;
            loss[r] = mix ? alpha * d + (1 - alpha) * e : d;
            if (grad != null) {
                for (int k = 0; k < c; k++) {
                    double v = mix ? alpha * g[k] + (1 - alpha) * gce[k] : g[k];
                    grad[r * c + k] = scale * v;
                }
            }
        }
    }

    /** T² Σ P (lp − lq); g = d/ds = T (Q ΣP − P). */
    private double kd() {
        double sum = 0, sumP = 0;
        for (int k = 0; k < c; k++) {
            double pk = Math.exp(lp[k]);
            sumP += pk;
            if (pk != 0) sum += pk * (lp[k] - lq[k]);
        }
        for (int k = 0; k < c; k++) g[k] = tau * (Math.exp(lq[k]) * sumP - Math.exp(lp[k]));
        return tau * tau * sum;
    }

    private double jsd() {
        double sum = 0;
        if (beta == 0) {
            double sumP = 0;
            for (int k = 0; k < c; k++) {
                double pk = Math.exp(lp[k]);
                sumP += pk;
                if (pk != 0) sum += pk * (lp[k] - lq[k]);
            }
            for (int k = 0; k < c; k++) g[k] = (Math.exp(lq[k]) * sumP - Math.exp(lp[k])) / tau;
            return sum;
        }
        double logB = Math.log(beta), log1mB = Math.log1p(-beta);
        double sumH = 0;
        for (int k = 0; k < c; k++) {
            double pk = Math.exp(lp[k]), qk = Math.exp(lq[k]);
            double h;
            if (beta == 1) {
                if (qk != 0) sum += qk * (lq[k] - lp[k]);
                h = qk == 0 ? 0 : qk * (lq[k] - lp[k] + 1);
            } else {
                double a = logB + lp[k], b = log1mB + lq[k];
                double hi = Math.max(a, b);
                double lm = hi == Double.NEGATIVE_INFINITY ? hi : hi + Math.log1p(Math.exp(Math.min(a, b) - hi));
                if (pk != 0) sum += beta * pk * (lp[k] - lm);
                if (qk != 0) sum += (1 - beta) * qk * (lq[k] - lm);
                h = qk == 0 ? 0 : (1 - beta) * qk * (lq[k] - lm);
            }
            g[k] = h;
            sumH += h;
        }
        for (int k = 0; k < c; k++) g[k] = (g[k] - Math.exp(lq[k]) * sumH) / tau;
        return sum;
    }

    /** lse(s) − s_y on the unscaled student logits (in s); gce = softmax(s) − [c = y]. */
    private double crossEntropy(int y) {
        double m = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < c; k++) m = Math.max(m, s[k]);
        double sum = 0;
        for (int k = 0; k < c; k++) sum += Math.exp(s[k] - m);
        double logS = Math.log(sum);
        for (int k = 0; k < c; k++) gce[k] = Math.exp(s[k] - m) / sum;
        gce[y] -= 1;
        return (m - s[y]) + logS;
    }
}
