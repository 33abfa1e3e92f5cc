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

    /**
     * In one pass: out[0] = max over a[off, off+len), out[1] = sum of exp(a[i] - ref). Valid while the block's max
     * is at most ref + 60 (the caller re-sums the block otherwise), so exp cannot overflow.
     */
    default void maxAndSumExp(float[] a, int off, int len, float ref, float[] out) {
        out[0] = max(a, off, len);
        out[1] = sumExp(a, off, len, ref);
    }

    /** sum of w[i] * (m - a[off+i]) (w null: weights of one); used by label smoothing. */
    float sumWeightedGap(float[] a, int off, int len, float m, float[] w);

    /** Writes (a - m - logS) (log output) or exp(a - m) * invS (probabilities) into out[0, len). */
    void normalize(float[] a, int off, int len, float m, float logS, float invS, boolean logOutput, float[] out);

    String name();
}
