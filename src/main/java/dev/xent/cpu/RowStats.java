package dev.xent.cpu;

/** A row's max and log-sum of exponentials in float32, on the vector or scalar loops: every CPU row kernel's start. */
final class RowStats {
    private RowStats() {}

    /**
     * Row max (out[0]) and log of the sum of exp(x - max) (out[1]), each logit read from memory once (see
     * {@link RowMath#rowMaxAndSumExp}). A row of -inf (or NaN anywhere) gives NaN, as in PyTorch.
     */
    static void rowStats(RowMath math, float[] a, int off, int len, float[] out) {
        math.rowMaxAndSumExp(a, off, len, out);
        logOfSum(out);
    }

    /** {@link #rowStats} of a row of float16 (or bfloat16) bits. */
    static void rowStatsHalf(RowMath math, short[] a, boolean bf16, int off, int len, float[] out) {
        math.rowMaxAndSumExpHalf(a, bf16, off, len, out);
        logOfSum(out);
    }

    static void logOfSum(float[] out) {
        // the sum holds exp(max - max) = 1, so it is at least 1; re-anchoring in float can round it just below, which
        // would make a near-certain row's loss slightly negative (Math.max keeps NaN)
        out[1] = out[0] == Float.NEGATIVE_INFINITY ? Float.NaN : (float) Math.log(Math.max(out[1], 1f));
    }
}
