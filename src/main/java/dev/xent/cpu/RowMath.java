package dev.xent.cpu;

import dev.xent.Half;

/**
 * The per-row float32 primitives of the fast CPU path. Two implementations: {@link VectorRowMath} (jdk.incubator.vector)
 * and {@link ScalarRowMath}; both follow Java's Math.max, so NaN propagates as it does in PyTorch.
 */
interface RowMath {
    /**
     * out[0] = max over a[off, off+len) and out[1] = sum of exp(a[i] - out[0]), which is at least 1 up to rounding.
     * A NaN anywhere makes the sum NaN (the max too, or not); a row of -inf (or len 0) gives out[0] = -inf.
     */
    void rowMaxAndSumExp(float[] a, int off, int len, float[] out);

    /**
     * {@link #rowMaxAndSumExp} of the {@code len} little-endian floats of {@code b} from byte 0, with the same bits as
     * over an array of the same values; this default copies them into one first.
     */
    default void rowMaxAndSumExp(java.nio.ByteBuffer b, int len, float[] out) {
        float[] row = new float[len];
        b.asFloatBuffer().get(0, row, 0, len);
        rowMaxAndSumExp(row, 0, len, out);
    }

    /** {@link #rowMaxAndSumExp} of float16 (or, with bf16, bfloat16) bits; this default converts the row first. */
    default void rowMaxAndSumExpHalf(short[] a, boolean bf16, int off, int len, float[] out) {
        float[] row = new float[len];
        halfToFloat(a, off, row, 0, len, bf16);
        rowMaxAndSumExp(row, 0, len, out);
    }

    /**
     * For rows [0, rows) of c values each, contiguous from a[off]: max[r] and logS[r], as
     * {@link RowStats#rowStats} gives them one row at a time (which this default does).
     */
    default void manyRowStats(float[] a, int off, int rows, int c, float[] max, float[] logS) {
        float[] st = new float[2];
        for (int r = 0; r < rows; r++) {
            RowStats.rowStats(this, a, off + r * c, c, st);
            max[r] = st[0];
            logS[r] = st[1];
        }
    }

    /** dst[dstOff, dstOff+len) = src[off, off+len) as float16 (or, with bf16, bfloat16) bits, converted exactly. */
    default void halfToFloat(short[] src, int off, float[] dst, int dstOff, int len, boolean bf16) {
        for (int i = 0; i < len; i++)
            dst[dstOff + i] = bf16 ? Half.bf16ToFloat(src[off + i]) : Half.toFloat(src[off + i]);
    }

    /** The first k in [0, len) with a[off+k] == v, or -1 (v is not NaN). */
    default int firstIndexOf(float[] a, int off, int len, float v) {
        for (int k = 0; k < len; k++) if (a[off + k] == v) return k;
        return -1;
    }

    /** How many a[off+k] exceed v, plus how many equal it at k < ties: classes ranked above v's own at index ties. */
    default int countAbove(float[] a, int off, int len, float v, int ties) {
        int n = 0;
        for (int k = 0; k < len; k++) if (a[off + k] > v || (a[off + k] == v && k < ties)) n++;
        return n;
    }

    /**
     * sum of w[i] * (m - a[off+i]) (w null: weights of one); used by label smoothing and probability targets. The
     * terms share a sign, so float rounding drifts one way: the sum is kept in double (or in float over short chunks
     * added in double), which holds long rows of near-equal gaps (a masked vocabulary under a softcap) to float32's
     * precision.
     */
    double sumWeightedGap(float[] a, int off, int len, float m, float[] w);

    /** Writes (a - m - logS) (log output) or exp(a - m) * invS (probabilities) into out[outOff, outOff+len). */
    void normalize(
            float[] a, int off, int len, float m, float logS, float invS, boolean logOutput, float[] out, int outOff);

    /**
     * {@link #rowMaxAndSumExp}, and where it returns true, also each value's exp(x − refs[block]) in e[eOff...] (blocks
     * of {@link VectorRowMath#BLOCK}) for {@link #gradientFromKept}; where it returns false, e and refs are not to be
     * used (this default computes the stats alone).
     */
    default boolean rowMaxAndSumExpKeeping(
            float[] a, int off, int len, float[] out, float[] e, int eOff, float[] refs) {
        rowMaxAndSumExp(a, off, len, out);
        return false;
    }

    /** {@link #gradientRow} in place over what {@link #rowMaxAndSumExpKeeping} kept; only after it returned true. */
    default void gradientFromKept(
            float[] e, int off, int len, float[] refs, float m, float invS, float coefA, float coefB, float[] u) {
        throw new IllegalStateException("nothing kept");
    }

    /**
     * One row of the cross-entropy gradient before its target's own term: out[outOff + j] = coefA p_j − coefB u_j, with
     * p_j = exp(a_j − m) · invS as {@link #normalize} forms it and u_j = 1 where u is null, each product and the
     * difference rounded to float32 as written (so every implementation gives the bits of this one).
     */
    default void gradientRow(
            float[] a,
            int off,
            int len,
            float m,
            float invS,
            float coefA,
            float coefB,
            float[] u,
            float[] out,
            int outOff) {
        normalize(a, off, len, m, 0, invS, false, out, outOff);
        for (int k = 0; k < len; k++) out[outOff + k] = coefA * out[outOff + k] - coefB * (u == null ? 1f : u[k]);
    }

    /**
     * Σ w ((a[i] − ma) − (b[i] − mb) − k) with w = exp(a[i] − ma) · invS over i in [0, len), a term whose w is 0 adding
     * 0 (0 · log 0 taken as its limit, even where b[i] is -inf): with a, b logits over T, ma, mb their row maxima,
     * invS = exp(−la) and k = la − lb (l the log-sums), this is KL(softmax a ‖ softmax b) = Σ P (log P − log Q), formed
     * from differences to each row's max, so that huge logits keep their precision and equal rows give exactly 0.
     * NaN in a or in the stats gives NaN.
     */
    float klTerms(float[] a, float[] b, int len, float ma, float mb, float invS, float k);

    /**
     * The generalized Jensen-Shannon terms of one row from the teacher's and the student's logits over T (zt, zs) and
     * their row stats (max m and log-sum l), 0 < beta < 1: with lp = zt − mT − lT, lq = zs − mS − lS, P = exp lp,
     * Q = exp lq, Σ β P (lp − lm) + (1 − β) Q (lq − lm), lm = log(β P + (1 − β) Q), each product 0 where its probability
     * is 0; writes h[i] = (1 − β) Q (lq − lm) (0 where Q is 0) when h is not null.
     */
    float jsdTerms(float[] zt, float[] zs, int len, float mT, float lT, float mS, float lS, float beta, float[] h);

    /** z[i] = (x[i] − max x) · invT over [0, len): logits over T, shifted first so that huge ones keep their differences. */
    default void shiftAndScale(float[] x, float[] z, int len, float invT) {
        float m = Float.NEGATIVE_INFINITY;
        for (int k = 0; k < len; k++) m = Math.max(m, x[k]);
        if (Float.isInfinite(m)) m = 0; // a row of -inf (or with +inf) is left to the stats, which make it NaN
        for (int k = 0; k < len; k++) z[k] = (x[k] - m) * invT;
    }

    String name();

    /**
     * Σ exp(x − m) · (x − m) over a row whose max is m, in double: the entropy's second term. A value of probability 0
     * (x = −inf) adds 0, as 0 log 0 = 0.
     *
     * @param a the row's array
     * @param off where the row starts
     * @param c its length
     * @param m its max
     * @return the sum
     */
    default double sumExpTimesGap(float[] a, int off, int c, float m) {
        double s = 0;
        for (int k = 0; k < c; k++) {
            float d = a[off + k] - m;
            double e = Math.exp(d);
            if (e != 0) s += e * d;
        }
        return s;
    }
}
