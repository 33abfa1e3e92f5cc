package dev.xent.cpu;

/**
 * Scalar copies of {@link VectorRowMath}'s short-row stats that give its bits exactly, lane by lane: the same
 * operations (one rounding per FMA through {@link Math#fma}, integer max and min of the bits, the same constants) in
 * the same order. Until C2 has compiled the vector loops, the Vector API runs in the interpreter and in C1 code that
 * allocates every vector, over 100 times slower than this scalar code; {@link VectorWarmup} says when the vector
 * loops are ready, and because the bits are the same, which of the two ran never shows in a result.
 * {@code VectorTwinTest} holds the two equal bit for bit.
 */
final class VectorTwin {
    private VectorTwin() {}

    private static final int L = VectorRowMath.LANES;
    private static final int GAP_CAP_BITS = Float.floatToRawIntBits(87f);
    private static final float NEG_LOG2E = (float) (-1 / Math.log(2));
    private static final float MAGIC = 0x1.8p23f;
    private static final float LN2_HI = 0.693145751953125f, LN2_LO = 1.428606765330187e-6f;

    /** {@link VectorRowMath#manyRowStats} for rows of at most {@link VectorRowMath#MANY_ROWS_MAX_CLASSES} classes. */
    static void manyRowStats(float[] a, int off, int rows, int c, float[] max, float[] logS) {
        if (c >= VectorRowMath.MEDIUM_ROW_MIN_VECTORS * L) mediumRowStats(a, off, rows, c, max, logS);
        else transposedRowStats(a, off, rows, c, max, logS);
    }

    /** The transposed group: each lane is one row, so each row is one scalar pass of the lane's operations. */
    private static void transposedRowStats(float[] a, int off, int rows, int c, float[] max, float[] logS) {
        for (int r = 0; r < rows; r++) {
            int at = off + r * c, hi = Integer.MIN_VALUE, lo = Integer.MAX_VALUE;
            for (int k = 0; k < c; k++) {
                int bits = Float.floatToRawIntBits(a[at + k]);
                hi = Math.max(hi, bits);
                lo = Math.min(lo, bits);
            }
            float m = Float.intBitsToFloat(hi >= 0 ? hi : lo);
            float s = m - m;
            for (int k = 0; k < c; k++) s = s + expOfNegated(m - a[at + k]);
            max[r] = m;
            logS[r] = logOfPositive(Math.max(s, 1f));
        }
    }

    /** The two-pass rows: lane l sums the values at l, l + L, ... and then the row's last L values, masked. */
    private static void mediumRowStats(float[] a, int off, int rows, int c, float[] max, float[] logS) {
        int full = c - c % L;
        float[] lanes = new float[L];
        for (int r = 0; r < rows; r++) {
            int at = off + r * c, hi = Integer.MIN_VALUE, lo = Integer.MAX_VALUE;
            for (int k = 0; k < c; k++) { // the vector passes see every value (the last ones twice): the same max
                int bits = Float.floatToRawIntBits(a[at + k]);
                hi = Math.max(hi, bits);
                lo = Math.min(lo, bits);
            }
            float m = Float.intBitsToFloat(hi >= 0 ? hi : lo);
            for (int l = 0; l < L; l++) {
                float s = m - m;
                for (int i = 0; i < full; i += L) s = s + expOfNegated(m - a[at + i + l]);
                if (full < c) {
                    int gap = Float.floatToRawIntBits(m - a[at + c - L + l]);
                    s = s + expOfNegated(Float.intBitsToFloat(Math.max(gap, tailGap(c - full + l))));
                }
                lanes[l] = s;
            }
            max[r] = m;
            logS[r] = logOfPositive(Math.max(sumLanes(lanes), 1f));
        }
    }

    /** VectorRowMath's TAIL_GAP[k]: +inf bits for the lanes summed already, the smallest int for the new ones. */
    private static int tailGap(int k) {
        return k < L ? Float.floatToRawIntBits(Float.POSITIVE_INFINITY) : Integer.MIN_VALUE;
    }

    /** {@link VectorRowMath#sumLanes}: lane i plus lane i + w (wrapping), for w = L/2 down to 1; then lane 0. */
    static float sumLanes(float[] v) {
        float[] t = v.clone(), u = new float[L];
        for (int w = L / 2; w >= 1; w /= 2) {
            for (int i = 0; i < L; i++) u[i] = t[i] + t[(i + w) % L];
            float[] swap = t;
            t = u;
            u = swap;
        }
        return t[0];
    }

    /** One lane of {@link VectorRowMath#expOfNegated}. */
    static float expOfNegated(float g) {
        float gc = Float.intBitsToFloat(Math.min(Float.floatToRawIntBits(g), GAP_CAP_BITS));
        float big = Math.fma(gc, NEG_LOG2E, MAGIC);
        float f = Math.fma(gc, NEG_LOG2E, MAGIC - big);
        float p = Math.fma(f, 1.3264677254483104e-3f, 9.671495296061039e-3f);
        p = Math.fma(p, f, 5.550733581185341e-2f);
        p = Math.fma(p, f, 2.4022242426872253e-1f);
        p = Math.fma(p, f, 6.931470036506653e-1f);
        p = Math.fma(p, f, 1f);
        return Float.intBitsToFloat(Float.floatToRawIntBits(p) + (Float.floatToRawIntBits(big) << 23));
    }

    /** One lane of {@link VectorRowMath#logOfPositive}. */
    static float logOfPositive(float s) {
        int ix = Float.floatToRawIntBits(s) + (0x3f800000 - 0x3f3504f3);
        int e = (ix >> 23) - 127;
        float m = Float.intBitsToFloat((ix & 0x007fffff) + 0x3f3504f3);
        float z = (m - 1f) / (m + 1f), z2 = z * z;
        float q = Math.fma(z2, 1f / 9, 1f / 7);
        q = Math.fma(q, z2, 1f / 5);
        q = Math.fma(q, z2, 1f / 3);
        q = Math.fma(q, z2, 1f);
        float ef = (float) e;
        float ln = Math.fma(z + z, q, ef * LN2_LO) + ef * LN2_HI;
        return Float.isNaN(s) ? s : ln;
    }
}
