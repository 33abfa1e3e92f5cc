package dev.xent.cpu;

/**
 * The per-row float32 primitives of the fast CPU path. Two implementations: {@link VectorRowMath} (jdk.incubator.vector)
 * and {@link ScalarRowMath}; both follow Java's Math.max, so NaN propagates as it does in PyTorch.
 */
interface RowMath {
    /** max over a[off, off+len); NaN if any element is NaN; -inf for len 0. */
    float max(float[] a, int off, int len);

    /** sum of exp(a[i] - m) over a[off, off+len). */
    float sumExp(float[] a, int off, int len, float m);

    /** sum of w[i] * (m - a[off+i]) (w null: weights of one); used by label smoothing. */
    float sumWeightedGap(float[] a, int off, int len, float m, float[] w);

    /** Writes (a - m - logS) (log output) or exp(a - m) * invS (probabilities) into out[0, len). */
    void normalize(float[] a, int off, int len, float m, float logS, float invS, boolean logOutput, float[] out);

    String name();
}
