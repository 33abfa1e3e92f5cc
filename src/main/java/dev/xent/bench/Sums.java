package dev.xent.bench;

import dev.xent.cpu.CpuBackend;

/** A sum over a float range: vectorised when the Vector API is present (as the loss is), scalar otherwise. */
final class Sums {
    private Sums() {}

    static float sum(float[] a, int lo, int hi) {
        return CpuBackend.vectorModulePresent() ? VectorSums.sum(a, lo, hi) : scalar(a, lo, hi);
    }

    private static float scalar(float[] a, int lo, int hi) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = lo;
        for (; i + 4 <= hi; i += 4) {
            s0 += a[i];
            s1 += a[i + 1];
            s2 += a[i + 2];
            s3 += a[i + 3];
        }
        for (; i < hi; i++) s0 += a[i];
        return s0 + s1 + s2 + s3;
    }
}
