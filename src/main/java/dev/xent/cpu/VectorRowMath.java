package dev.xent.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link RowMath} on the Vector API at the machine's preferred width. Loaded only when jdk.incubator.vector is in the
 * boot layer (see {@link CpuBackend}); two accumulators per loop keep more than one vector operation in flight.
 */
final class VectorRowMath implements RowMath {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    @Override public float max(float[] a, int off, int len) {
        FloatVector m0 = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY), m1 = m0;
        int i = 0;
        for (; i + 2 * L <= len; i += 2 * L) {
            m0 = m0.max(FloatVector.fromArray(S, a, off + i));
            m1 = m1.max(FloatVector.fromArray(S, a, off + i + L));
        }
        for (; i + L <= len; i += L) m0 = m0.max(FloatVector.fromArray(S, a, off + i));
        if (i < len) { // the tail in one masked step: lanes past the end read as -inf
            VectorMask<Float> in = S.indexInRange(i, len);
            m1 = m1.max(FloatVector.fromArray(S, a, off + i, in).blend(Float.NEGATIVE_INFINITY, in.not()));
        }
        return m0.max(m1).reduceLanes(VectorOperators.MAX);
    }

    @Override public float sumExp(float[] a, int off, int len, float m) {
        FloatVector mv = FloatVector.broadcast(S, m);
        FloatVector s0 = FloatVector.zero(S), s1 = s0;
        int i = 0;
        for (; i + 2 * L <= len; i += 2 * L) {
            s0 = s0.add(expNonPositive(FloatVector.fromArray(S, a, off + i).sub(mv)));
            s1 = s1.add(expNonPositive(FloatVector.fromArray(S, a, off + i + L).sub(mv)));
        }
        for (; i + L <= len; i += L) s0 = s0.add(expNonPositive(FloatVector.fromArray(S, a, off + i).sub(mv)));
        if (i < len) { // the tail in one masked step
            VectorMask<Float> in = S.indexInRange(i, len);
            s1 = s1.add(expNonPositive(FloatVector.fromArray(S, a, off + i, in).sub(mv)), in);
        }
        return s0.add(s1).reduceLanes(VectorOperators.ADD);
    }

    @Override public void maxAndSumExp(float[] a, int off, int len, float ref, float[] out) {
        FloatVector rv = FloatVector.broadcast(S, ref);
        FloatVector m0 = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY), m1 = m0, s0 = FloatVector.zero(S), s1 = s0;
        int i = 0;
        for (; i + 2 * L <= len; i += 2 * L) {
            FloatVector x0 = FloatVector.fromArray(S, a, off + i), x1 = FloatVector.fromArray(S, a, off + i + L);
            m0 = m0.max(x0);
            m1 = m1.max(x1);
            s0 = s0.add(expNonPositive(x0.sub(rv)));
            s1 = s1.add(expNonPositive(x1.sub(rv)));
        }
        if (i < len) {
            out[0] = Math.max(m0.max(m1).reduceLanes(VectorOperators.MAX), max(a, off + i, len - i));
            out[1] = s0.add(s1).reduceLanes(VectorOperators.ADD) + sumExp(a, off + i, len - i, ref);
        } else {
            out[0] = m0.max(m1).reduceLanes(VectorOperators.MAX);
            out[1] = s0.add(s1).reduceLanes(VectorOperators.ADD);
        }
    }

    private static final FloatVector MAGIC = FloatVector.broadcast(S, 0x1.8p23f); // 1.5 * 2^23: adding it rounds to an integer

    /**
     * exp(d) for d <= 60 (d = x - reference; 2^k stays a normal float up to k = 87), for sums only: 30% faster here than VectorOperators.EXP because it needs no
     * float-int conversion, which JDK 17 does not compile to one instruction. d * log2(e) = k + f with k = round (by the
     * 1.5 * 2^23 trick, whose low mantissa bits then hold k) and |f| <= 1/2; 2^f by its degree-6 Taylor polynomial
     * (relative error <= 1.2e-7), times 2^k by adding k to the exponent bits. Relative error <= 4e-6 over [-87, 0]
     * (from rounding d * log2 e for large |d|, where terms are below 1e-30 of the sum). NaN stays NaN; d below
     * -87 (and -inf) give 2^-126 instead of 0, which no sum of at least one exp(0) = 1 can notice.
     */
    static FloatVector expNonPositive(FloatVector d) {
        FloatVector t = d.mul(1.4426950408889634f).max(-126f);
        FloatVector big = t.add(MAGIC);
        FloatVector f = t.sub(big.sub(MAGIC));
        FloatVector p = f.fma(1.5403530393381606e-4f, 1.3333558146428443e-3f).fma(f, FloatVector.broadcast(S, 9.618129107628477e-3f))
                .fma(f, FloatVector.broadcast(S, 5.550410866482158e-2f)).fma(f, FloatVector.broadcast(S, 2.402265069591007e-1f))
                .fma(f, FloatVector.broadcast(S, 6.931471805599453e-1f)).fma(f, FloatVector.broadcast(S, 1f));
        return p.reinterpretAsInts().add(big.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23)).reinterpretAsFloats();
    }

    @Override public float sumWeightedGap(float[] a, int off, int len, float m, float[] w) {
        FloatVector mv = FloatVector.broadcast(S, m);
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i + L <= len; i += L) {
            FloatVector gap = mv.sub(FloatVector.fromArray(S, a, off + i));
            acc = w == null ? acc.add(gap) : gap.fma(FloatVector.fromArray(S, w, i), acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < len; i++) s += (w == null ? 1f : w[i]) * (m - a[off + i]);
        return s;
    }

    @Override public void normalize(float[] a, int off, int len, float m, float logS, float invS, boolean logOutput, float[] out) {
        FloatVector mv = FloatVector.broadcast(S, m);
        int i = 0;
        for (; i + L <= len; i += L) {
            FloatVector d = FloatVector.fromArray(S, a, off + i).sub(mv);
            (logOutput ? d.sub(logS) : d.lanewise(VectorOperators.EXP).mul(invS)).intoArray(out, i);
        }
        for (; i < len; i++) out[i] = logOutput ? (a[off + i] - m) - logS : (float) Math.exp(a[off + i] - m) * invS;
    }

    @Override public String name() { return "vector(" + S.vectorBitSize() + "-bit)"; }
}
