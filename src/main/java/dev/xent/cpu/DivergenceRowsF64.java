package dev.xent.cpu;

import dev.xent.Divergence;
import dev.xent.DivergenceSpec;

/**
 * The distillation losses in float64 rows, for requests where either input is float64: the formulas of
 * {@link DivergenceRowsF32} in double, each row's log-probabilities formed from its max and log-sum (lp = (z − m) −
 * log Σ exp(z − m)). Terms whose weight P (or Q) is 0 add 0. One instance per thread.
 */
final class DivergenceRowsF64 {
    private final Divergence p;
    private final int c;
    private final double tau, alpha, beta;
    private final boolean mix, kd;
    private final double[] s, lq, lp, g;

    DivergenceRowsF64(Divergence p) {
        this.p = p;
        this.c = p.classes();
        DivergenceSpec spec = p.spec();
        this.tau = spec.temperature();
        this.alpha = spec.alpha();
        this.beta = spec.beta();
        this.mix = spec.mixesCrossEntropy();
        this.kd = spec.kind() == DivergenceSpec.Kind.KD;
        this.s = new double[c];
        this.lq = new double[c];
        this.lp = new double[c];
        this.g = new double[c];
    }

    /** Rows [lo, hi) of the block: loss, divergence and cross-entropy terms per row, and the gradient rows (or null). */
    void run(int lo, int hi, double[] loss, double[] div, double[] ce, double[] grad) {
        double scale = p.gradientScale();
        for (int r = lo; r < hi; r++) {
            long y = p.target() == null ? -1 : p.target().getLong(r);
            if (p.target() != null && p.isIgnored(y)) {
                loss[r] = div[r] = ce[r] = 0;
                if (grad != null) java.util.Arrays.fill(grad, r * c, (r + 1) * c, 0);
                continue;
            }
            p.student().readDoubles((long) r * c, 1, s, 0, c);
            p.teacher().readDoubles((long) r * c, 1, lp, 0, c);
            for (int k = 0; k < c; k++) lq[k] = s[k] / tau;
            for (int k = 0; k < c; k++) lp[k] /= tau;
            logSoftmax(lq);
            logSoftmax(lp);
            double d = kd || beta == 0 ? forwardKl() : beta == 1 ? reverseKl() : generalJsd();
            if (kd) d *= tau * tau;
            // the divergence's gradient with respect to the student's logits, before the mix and the scale
            double gs = kd ? tau : 1 / tau;
            double a = mix ? alpha : 1;
            if (grad != null) for (int k = 0; k < c; k++) grad[r * c + k] = scale * a * gs * g[k];
            double e = 0;
            if (mix) e = crossEntropy((int) y, grad, r * c, scale * (1 - alpha));
            div[r] = d;
            ce[r] = e;
            loss[r] = mix ? alpha * d + (1 - alpha) * e : d;
        }
    }

    /** x := log_softmax(x) as (x − m) − log Σ exp(x − m). */
    private static void logSoftmax(double[] x) {
        double m = Double.NEGATIVE_INFINITY, sum = 0;
        for (double v : x) m = Math.max(m, v);
        for (double v : x) sum += Math.exp(v - m);
        double logS = Math.log(sum);
        for (int k = 0; k < x.length; k++) x[k] = (x[k] - m) - logS;
    }

    /** Σ P (lp − lq); g = Q ΣP − P. */
    private double forwardKl() {
        double sum = 0, sumP = 0;
        for (int k = 0; k < c; k++) {
            double pk = Math.exp(lp[k]);
            sumP += pk;
            if (pk != 0) sum += pk * (lp[k] - lq[k]);
        }
        for (int k = 0; k < c; k++) g[k] = Math.exp(lq[k]) * sumP - Math.exp(lp[k]);
        return sum;
    }

    /** Σ Q (lq − lp); g = h − Q Σh with h = Q (lq − lp + 1). */
    private double reverseKl() {
        double sum = 0, sumH = 0;
        for (int k = 0; k < c; k++) {
            double qk = Math.exp(lq[k]);
            if (qk != 0) sum += qk * (lq[k] - lp[k]);
            g[k] = qk == 0 ? 0 : qk * (lq[k] - lp[k] + 1);
            sumH += g[k];
        }
        for (int k = 0; k < c; k++) g[k] -= Math.exp(lq[k]) * sumH;
        return sum;
    }

    /** β Σ P (lp − lm) + (1 − β) Σ Q (lq − lm), lm = log(β P + (1 − β) Q); g = h − Q Σh, h = (1 − β) Q (lq − lm). */
    private double generalJsd() {
        double logB = Math.log(beta), log1mB = Math.log1p(-beta);
        double sum = 0, sumH = 0;
        for (int k = 0; k < c; k++) {
            double pk = Math.exp(lp[k]), qk = Math.exp(lq[k]);
            double u = logB + lp[k], v = log1mB + lq[k], hi = Math.max(u, v);
            // log(e^u + e^v) without overflow; a class both give probability 0 stays at -inf, and adds nothing
            double lm = hi == Double.NEGATIVE_INFINITY ? hi : hi + Math.log1p(Math.exp(Math.min(u, v) - hi));
            if (pk != 0) sum += beta * pk * (lp[k] - lm);
            if (qk != 0) sum += (1 - beta) * qk * (lq[k] - lm);
            g[k] = qk == 0 ? 0 : (1 - beta) * qk * (lq[k] - lm);
            sumH += g[k];
        }
        for (int k = 0; k < c; k++) g[k] -= Math.exp(lq[k]) * sumH;
        return sum;
    }

    /** (m − s_y) + log Σ exp(s − m) on the unscaled student row; adds f · (softmax(s) − [k = y]) to the gradient. */
    private double crossEntropy(int y, double[] grad, int at, double f) {
        double m = Double.NEGATIVE_INFINITY, sum = 0;
        for (double v : s) m = Math.max(m, v);
        for (double v : s) sum += Math.exp(v - m);
        double logS = Math.log(sum);
        if (grad != null) {
            for (int k = 0; k < c; k++) grad[at + k] += f * Math.exp((s[k] - m) - logS);
            grad[at + y] -= f;
        }
        return (m - s[y]) + logS;
    }
}
