package dev.xent.cpu;

import jdk.incubator.vector.FloatVector;
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
        float m = m0.max(m1).reduceLanes(VectorOperators.MAX);
        for (; i < len; i++) m = Math.max(m, a[off + i]);
        return m;
    }

    @Override public float sumExp(float[] a, int off, int len, float m) {
        FloatVector mv = FloatVector.broadcast(S, m);
        FloatVector s0 = FloatVector.zero(S), s1 = s0;
        int i = 0;
        for (; i + 2 * L <= len; i += 2 * L) {
            s0 = s0.add(FloatVector.fromArray(S, a, off + i).sub(mv).lanewise(VectorOperators.EXP));
            s1 = s1.add(FloatVector.fromArray(S, a, off + i + L).sub(mv).lanewise(VectorOperators.EXP));
        }
        for (; i + L <= len; i += L) s0 = s0.add(FloatVector.fromArray(S, a, off + i).sub(mv).lanewise(VectorOperators.EXP));
        float s = s0.add(s1).reduceLanes(VectorOperators.ADD);
        for (; i < len; i++) s += (float) Math.exp(a[off + i] - m);
        return s;
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
