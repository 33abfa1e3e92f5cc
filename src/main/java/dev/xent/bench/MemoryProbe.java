package dev.xent.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The machine's memory read rate as the loss sees it: every thread sums its share of a 1 GiB float array (far larger
 * than any cache), median of several passes. The loss's floor on the CPU is one read of the logits at this rate.
 */
public final class MemoryProbe {
    private MemoryProbe() {}

    /** Bytes read per second. */
    public static double readBytesPerSecond(int threads) throws Exception {
        int n = 1 << 28; // 1 GiB of floats
        float[] a = new float[n];
        java.util.stream.IntStream.range(0, n).parallel().forEach(i -> a[i] = (i % 977) * 1e-3f); // non-zero, non-constant: nothing to shortcut
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            double[] times = new double[7];
            for (int rep = 0; rep < times.length; rep++) {
                long t0 = System.nanoTime();
                List<Future<Float>> fs = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int lo = (int) ((long) n * t / threads), hi = (int) ((long) n * (t + 1) / threads);
                    fs.add(pool.submit(() -> Sums.sum(a, lo, hi)));
                }
                float total = 0;
                for (Future<Float> f : fs) total += f.get();
                times[rep] = (System.nanoTime() - t0) / 1e9;
                if (Float.isNaN(total)) throw new IllegalStateException("impossible sum");
            }
            Arrays.sort(times);
            return 4.0 * n / times[times.length / 2];
        } finally {
            pool.shutdownNow();
        }
    }
}
