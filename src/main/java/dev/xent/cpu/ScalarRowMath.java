package dev.xent.cpu;

/** Plain loops: the path when the Vector API module is absent, and a second implementation to test the first against. */
final class ScalarRowMath implements RowMath {
    /**
     * Two plain passes: the max, then the sum, in double (Math.exp is double anyway): one float accumulator over a long
     * row drifted by 1e-6 relative, which a gradient element that nearly cancels turns into an error past float32
     * tolerance (seen at 4099 classes).
     */
    @Override
    public void rowMaxAndSumExp(float[] a, int off, int len, float[] out) {
        float m = Float.NEGATIVE_INFINITY;
        double s = 0;
        for (int i = off; i < off + len; i++) m = Math.max(m, a[i]);
        if (m != Float.NEGATIVE_INFINITY) for (int i = off; i < off + len; i++) s += Math.exp(a[i] - m);
        out[0] = m;
        out[1] = (float) s;
    }

    @Override
    public double sumWeightedGap(float[] a, int off, int len, float m, float[] w) {
        double s = 0;
        for (int i = 0; i < len; i++) s += (w == null ? 1f : w[i]) * (m - a[off + i]);
        return s;
    }

    @Override
    public void normalize(
            float[] a, int off, int len, float m, float logS, float invS, boolean logOutput, float[] out, int outOff) {
        for (int i = 0; i < len; i++)
            out[outOff + i] = logOutput ? (a[off + i] - m) - logS : (float) Math.exp(a[off + i] - m) * invS;
    }

    @Override
    public float klTerms(float[] a, float[] b, int len, float ma, float mb, float invS, float k) {
        float s = 0;
        for (int i = 0; i < len; i++) {
            float da = a[i] - ma;
            float w = (float) Math.exp(da) * invS;
            if (w != 0) s += w * ((da - (b[i] - mb)) - k);
        }
        return s;
    }

    @Override
    public float jsdTerms(
            float[] zt, float[] zs, int len, float mT, float lT, float mS, float lS, float beta, float[] h) {
        float s = 0;
        for (int i = 0; i < len; i++) {
            float lp = (zt[i] - mT) - lT, lq = (zs[i] - mS) - lS;
            float p = (float) Math.exp(lp), q = (float) Math.exp(lq);
            float lm = (float) Math.log(beta * p + (1 - beta) * q);
            float tq = q != 0 ? (1 - beta) * q * (lq - lm) : 0;
            if (p != 0) s += beta * p * (lp - lm);
            s += tq;
            if (h != null) h[i] = tq;
        }
        return s;
    }

    @Override
    public String name() {
        return "scalar";
    }
}
