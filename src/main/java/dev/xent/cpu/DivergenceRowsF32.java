package dev.xent.cpu;

import dev.xent.Divergence;
import dev.xent.DivergenceSpec;

/**
 * The distillation losses in float32 rows on {@link RowMath}: the formulas of
 * the reference path (its DivergenceRows), each pass a vector loop: the two rows' stats, then one pass for KL
 * (kd, and jsd with β = 0 or 1: {@link RowMath#klTerms}) or {@link RowMath#jsdTerms}; the
 * distributions only when a gradient is asked, with ΣP and ΣQ taken as 1 there. Per-row values are
 * float32; the reduced value sums them exactly. One instance per thread.
 */
final class DivergenceRowsF32 {
    private final Divergence p;
    private final RowMath math;
    private final int c;
    private final float tau, invTau, alpha, beta;
    private final boolean mix, kd;
    private final float[] s, t, zs, zt, lq, lp, pp, qq, h, stats = new float[2];

    DivergenceRowsF32(Divergence p, RowMath math) {
        this.p = p;
        this.math = math;
        this.c = p.classes();
        DivergenceSpec spec = p.spec();
        this.tau = (float) spec.temperature();
        this.invTau = (float) (1 / spec.temperature());
        this.alpha = (float) spec.alpha();
        this.beta = (float) spec.beta();
        this.mix = spec.mixesCrossEntropy();
        this.kd = spec.kind() == DivergenceSpec.Kind.KD;
        this.s = new float[c];
        this.t = new float[c];
        this.zs = tau == 1 ? s : new float[c];
        this.zt = tau == 1 ? t : new float[c];
        boolean logs = p.wantsGradient() && !kd && beta == 1; // reverse KL's gradient reads log-probabilities
        this.lq = logs || mix ? new float[c] : null; // with the mix, softmax(s) for its gradient
        this.lp = logs ? new float[c] : null;
        this.pp = p.wantsGradient() ? new float[c] : null;
        this.qq = p.wantsGradient() ? new float[c] : null;
        this.h = p.wantsGradient() && !kd && beta != 0 ? new float[c] : null;
    }

    /** Rows [lo, hi) of the block: loss, divergence and cross-entropy terms per row, and the gradient rows (or null). */
    void run(int lo, int hi, float[] loss, double[] div, double[] ce, float[] grad0) {
        float scale = (float) p.gradientScale();
        for (int r = lo; r < hi; r++) {
            long y = p.target() == null ? -1 : p.target().getLong(r);
            if (p.target() != null && p.isIgnored(y)) {
                loss[r] = 0;
                div[r] = ce[r] = 0;
                if (grad0 != null) java.util.Arrays.fill(grad0, r * c, (r + 1) * c, 0f);
                continue;
            }
            p.student().readFloats((long) r * c, 1, s, 0, c);
            p.teacher().readFloats((long) r * c, 1, t, 0, c);
            if (tau != 1) {
                math.shiftAndScale(s, zs, c, invTau);
                math.shiftAndScale(t, zt, c, invTau);
            }
            RowStats.rowStats(math, zs, 0, c, stats);
            float mS = stats[0], lS = stats[1];
            RowStats.rowStats(math, zt, 0, c, stats);
            float mT = stats[0], lT = stats[1];
            float k = lT - lS; // log P − log Q = (zt − mT) − (zs − mS) − k
            boolean grad = grad0 != null;
            float d;
            if (kd || beta == 0) {
                d = math.klTerms(zt, zs, c, mT, mS, (float) Math.exp(-lT), k);
                if (kd) d *= tau * tau;
            } else if (beta == 1) {
                d = math.klTerms(zs, zt, c, mS, mT, (float) Math.exp(-lS), -k);
            } else {
                d = math.jsdTerms(zt, zs, c, mT, lT, mS, lS, beta, h);
            }
            if (grad) { // the distributions the gradient needs
                math.normalize(zs, 0, c, mS, lS, (float) Math.exp(-lS), false, qq, 0);
                if (kd || beta == 0) math.normalize(zt, 0, c, mT, lT, (float) Math.exp(-lT), false, pp, 0);
                if (!kd && beta == 1) {
                    math.normalize(zt, 0, c, mT, lT, 0, true, lp, 0);
                    math.normalize(zs, 0, c, mS, lS, 0, true, lq, 0);
                }
            }
            float e = mix ? crossEntropy((int) y) : 0; // leaves softmax(s) in lq when mixing (the divergence is done)
            div[r] = d;
            ce[r] = e;
            loss[r] = mix ? alpha * d + (1 - alpha) * e : d;
            if (grad) gradient(grad0, r * c, scale, (int) y);
        }
    }

    /** (m − s_y) + log Σ exp(s − m) on the unscaled student row; softmax(s) into lq for the gradient. */
    private float crossEntropy(int y) {
        RowStats.rowStats(math, s, 0, c, stats);
        float m = stats[0], logS = stats[1];
        math.normalize(s, 0, c, m, logS, (float) Math.exp(-logS), false, lq, 0);
        return (float) ((double) (m - s[y]) + logS);
    }

    private void gradient(float[] grad, int at, float scale, int y) {
        float a = mix ? alpha : 1;
        if (kd || beta == 0) { // kd: T (Q − P); forward KL: (Q − P) / T
            float f = scale * a * (kd ? tau : invTau);
            for (int k = 0; k < c; k++) grad[at + k] = f * (qq[k] - pp[k]);
        } else { // (h − Q Σh) / T, h = Q (lq − lp + 1) for β = 1, else from jsdTerms
            if (beta == 1) for (int k = 0; k < c; k++) h[k] = qq[k] == 0 ? 0 : qq[k] * (lq[k] - lp[k] + 1);
            double sumH = 0;
            for (int k = 0; k < c; k++) sumH += h[k];
            float sh = (float) sumH, f = scale * invTau;
            for (int k = 0; k < c; k++) grad[at + k] = f * (h[k] - qq[k] * sh);
        }
        if (mix) {
            float f = scale * (1 - alpha);
            for (int k = 0; k < c; k++) grad[at + k] += f * lq[k];
            grad[at + y] -= f;
        }
    }
}
