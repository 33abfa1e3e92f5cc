package dev.xent.cpu;

/** Plain loops: the path when the Vector API module is absent, and a second implementation to test the first against. */
final class ScalarRowMath implements RowMath {
    /** Two plain passes: the max, then the sum. */
    @Override public void rowMaxAndSumExp(float[] a, int off, int len, float[] out) {
        float m = Float.NEGATIVE_INFINITY, s = 0;
        for (int i = off; i < off + len; i++) m = Math.max(m, a[i]);
        if (m != Float.NEGATIVE_INFINITY) for (int i = off; i < off + len; i++) s += (float) Math.exp(a[i] - m);
        out[0] = m;
        out[1] = s;
    }

    @Override public float sumWeightedGap(float[] a, int off, int len, float m, float[] w) {
        float s = 0;
        for (int i = 0; i < len; i++) s += (w == null ? 1f : w[i]) * (m - a[off + i]);
        return s;
    }

    @Override public void normalize(float[] a, int off, int len, float m, float logS, float invS, boolean logOutput, float[] out) {
        for (int i = 0; i < len; i++) out[i] = logOutput ? (a[off + i] - m) - logS : (float) Math.exp(a[off + i] - m) * invS;
    }

    @Override public String name() { return "scalar"; }
}
