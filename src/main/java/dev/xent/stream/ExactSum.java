package dev.xent.stream;

import java.math.BigInteger;

/**
 * An error-free sum of doubles (and floats): every addend is kept exactly, in fixed point, and the total is rounded
 * once, to the nearest double, when asked for. The result therefore does not depend on the order of the additions or
 * on how they were split into partial sums and {@link #add(ExactSum) merged}: any blocking of the rows, any thread
 * count, any partitioning gives the same bits. NaN, or +inf with -inf, gives NaN; one kind of infinity gives it.
 *
 * <p>Addends are filed by their exponent field: a double's 53-bit significand goes to two signed 64-bit counters of
 * its exponent (the high 26 and the low 27 bits), a float's 24-bit one to one counter of its exponent, so each add is
 * a few integer instructions and no counter can overflow before 2^36 additions (checked). Not thread-safe: give each
 * thread its own and merge.
 */
public final class ExactSum implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    private static final int LOW_BITS = 27;
    private static final long LOW_MASK = (1L << LOW_BITS) - 1;
    /** Additions after which the counters are folded into {@link #folded} (far beyond any real row count). */
    private static final long FOLD_EVERY = 1L << 35;

    /**
     * The high 26 and low 27 bits of the doubles' significands, by exponent field 0..2046; made when the first double
     * arrives: sums of floats (the per-row losses of float32 inputs) then cost 2 KiB instead of 34, which small calls,
     * making several sums each, notice.
     */
    private long[] hi, lo;
    /** The floats' significands, by exponent field 0..254. */
    private final long[] single = new long[255];
    /** What the counters held when last folded, in units of 2^-1074. */
    private BigInteger folded = BigInteger.ZERO;
    /** Additions since the last fold. */
    private long adds;
    /** NaN, +inf and -inf addends, counted apart. */
    private long nans, posInf, negInf;

    /**
     * Adds {@code v} exactly.
     *
     * @param v any double, NaN and infinities included
     */
    public void add(double v) {
        long bits = Double.doubleToRawLongBits(v);
        int e = (int) (bits >>> 52) & 0x7ff;
        if (e == 0x7ff) {
            special(v);
            return;
        }
        long m = bits & 0xfffffffffffffL;
        if (e != 0) m |= 1L << 52;
        if (hi == null) makeDoubleCounters();
        if (bits < 0) m = -m;
        hi[e] += m >> LOW_BITS; // arithmetic shift: hi * 2^27 + lo == m for either sign
        lo[e] += m & LOW_MASK;
        if (++adds >= FOLD_EVERY) fold();
    }

    /**
     * Adds {@code v} exactly (a float is a double; this path is cheaper).
     *
     * @param v any float, NaN and infinities included
     */
    public void add(float v) {
        int bits = Float.floatToRawIntBits(v);
        int e = (bits >>> 23) & 0xff;
        if (e == 0xff) {
            special(v);
            return;
        }
        long m = bits & 0x7fffff;
        if (e != 0) m |= 1 << 23;
        single[e] += bits < 0 ? -m : m;
        if (++adds >= FOLD_EVERY) fold();
    }

    /**
     * Adds every element of {@code a[off, off + len)}.
     *
     * @param a the values
     * @param off the first one's index
     * @param len how many
     */
    public void addAll(float[] a, int off, int len) {
        for (int i = off; i < off + len; i++) add(a[i]);
    }

    /**
     * Adds every element of {@code a[off, off + len)}.
     *
     * @param a the values
     * @param off the first one's index
     * @param len how many
     */
    public void addAll(double[] a, int off, int len) {
        for (int i = off; i < off + len; i++) add(a[i]);
    }

    /**
     * Adds another sum's addends (which stays as it was).
     *
     * @param o the other sum
     */
    public void add(ExactSum o) {
        if (o.hi != null) {
            if (hi == null) makeDoubleCounters();
            for (int e = 0; e < hi.length; e++) {
                hi[e] += o.hi[e];
                lo[e] += o.lo[e];
            }
        }
        for (int e = 0; e < single.length; e++) single[e] += o.single[e];
        folded = folded.add(o.folded);
        nans += o.nans;
        posInf += o.posInf;
        negInf += o.negInf;
        adds += o.adds;
        if (adds >= FOLD_EVERY) fold();
    }

    /**
     * Subtracts another sum's addends: this becomes the exact difference.
     *
     * @param o the other sum (which stays as it was)
     */
    public void subtract(ExactSum o) {
        ExactSum neg = new ExactSum();
        neg.add(o);
        neg.negate();
        add(neg);
    }

    private void negate() {
        fold();
        folded = folded.negate();
        long p = posInf;
        posInf = negInf;
        negInf = p;
    }

    private void special(double v) {
        if (Double.isNaN(v)) nans++;
        else if (v > 0) posInf++;
        else negInf++;
    }

    /** Moves the counters into the big integer (rarely: every 2^35 additions, and for a result). */
    private void fold() {
        BigInteger total = folded;
        for (int e = 0; hi != null && e < hi.length; e++) {
            if (hi[e] == 0 && lo[e] == 0) continue;
            BigInteger m = BigInteger.valueOf(hi[e]).shiftLeft(LOW_BITS).add(BigInteger.valueOf(lo[e]));
            total = total.add(
                    m.shiftLeft(Math.max(e, 1) - 1)); // value m * 2^(max(e,1) - 1075) = (m << max(e,1)-1) * 2^-1074
            hi[e] = 0;
            lo[e] = 0;
        }
        for (int e = 0; e < single.length; e++) {
            if (single[e] == 0) continue;
            total = total.add(BigInteger.valueOf(single[e])
                    .shiftLeft(Math.max(e, 1) + 924)); // 2^(max(e,1) - 150) = 2^(max(e,1)+924) * 2^-1074
            single[e] = 0;
        }
        folded = total;
        adds = 0;
    }

    private void makeDoubleCounters() {
        hi = new long[2047];
        lo = new long[2047];
    }

    /** {@return the number of NaN addends} */
    public long nanCount() {
        return nans;
    }

    /** {@return the exact sum rounded once to the nearest double (ties to even); NaN and infinities as IEEE addition has them} */
    public double value() {
        if (nans > 0 || (posInf > 0 && negInf > 0)) return Double.NaN;
        if (posInf > 0) return Double.POSITIVE_INFINITY;
        if (negInf > 0) return Double.NEGATIVE_INFINITY;
        ExactSum copy = new ExactSum();
        copy.add(this);
        copy.fold();
        return round(copy.folded);
    }

    /** b * 2^-1074, rounded to nearest even. */
    static double round(BigInteger b) {
        int sign = b.signum();
        if (sign == 0) return 0.0;
        BigInteger a = b.abs();
        int n = a.bitLength();
        long bits;
        if (n <= 53) {
            bits = a.longValue(); // below 2^53 units of 2^-1074, the bits of the double are the count itself
        } else {
            int shift = n - 53;
            long m = a.shiftRight(shift).longValue(); // 53 bits: [2^52, 2^53)
            boolean half = a.testBit(shift - 1);
            boolean sticky = a.getLowestSetBit() < shift - 1;
            if (half && (sticky || (m & 1) == 1)) m++;
            long exponent = shift + 1; // biased: m * 2^(shift - 1074) with m in [2^52, 2^53)
            if (m == 1L << 53) {
                m >>= 1;
                exponent++;
            }
            bits = exponent >= 0x7ff ? 0x7ffL << 52 : exponent << 52 | (m & 0xfffffffffffffL);
        }
        double magnitude = Double.longBitsToDouble(bits);
        return sign < 0 ? -magnitude : magnitude;
    }
}
