package dev.xent.cpu;

/**
 * The per-row float32 primitives of the fast CPU path. Two implementations: {@link VectorRowMath} (jdk.incubator.vector)
 * and {@link ScalarRowMath}; both follow Java's Math.max, so NaN propagates as it does in PyTorch.
 */
interface RowMath {
    /**
     * out[0] = max over a[off, off+len) and out[1] = sum of exp(a[i] - out[0]), which is at least 1 up to rounding.
     * A NaN anywhere makes both NaN; a row of -inf (or len 0) gives out[0] = -inf.
     */
    void rowMaxAndSumExp(float[] a, int off, int len, float[] out);

    /** sum of w[i] * (m - a[off+i]) (w null: weights of one); used by label smoothing. */
    float sumWeightedGap(float[] a, int off, int len, float m, float[] w);

    /** Writes (a - m - logS) (log output) or exp(a - m) * invS (probabilities) into out[0, len). */
    void normalize(float[] a, int off, int len, float m, float logS, float invS, boolean logOutput, float[] out);

    String name();
}
