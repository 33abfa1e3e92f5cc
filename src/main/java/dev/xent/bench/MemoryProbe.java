package dev.xent.bench;

import dev.xent.internal.Futures;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * The machine's memory read rate as the loss sees it: every thread sums its share of a 1 GiB float array (far larger
 * than any cache). The loss's floor on the CPU is one read of the logits at this rate.
 * <p>On the shared machines here the rate drifts by 2x within minutes (31 to 72 GB/s on the same 2 cores), so a
 * benchmark takes one {@link #passSeconds() pass} after each of its own timed runs and compares medians of both.
 */
public final class MemoryProbe implements AutoCloseable {
    private static final int N = 1 << 28; // 1 GiB of floats
    private final int threads;
    private final float[] a = new float[N];
    private final ExecutorService pool;
    private int writes;

    /**
     * Fills the 1 GiB array and starts the threads.
     *
     * @param threads how many threads read (and write) it at once
     */
    public MemoryProbe(int threads) {
        this.threads = threads;
        java.util.stream.IntStream.range(0, N)
                .parallel()
                .forEach(i -> a[i] = (i % 977) * 1e-3f); // non-constant: nothing to shortcut
        this.pool = Futures.daemonPool(threads, "xent-probe");
    }

    /** {@return the bytes one pass reads (or writes)} */
    public long bytesPerPass() {
        return 4L * N;
    }

    /**
     * Seconds for one pass over the array, all threads together.
     *
     * @return the pass's wall time in seconds
     * @throws Exception if a thread's part failed or the wait was interrupted
     */
    public double passSeconds() throws Exception {
        long t0 = System.nanoTime();
        List<Future<Float>> fs = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int lo = (int) ((long) N * t / threads), hi = (int) ((long) N * (t + 1) / threads);
            fs.add(pool.submit(() -> Sums.sum(a, lo, hi)));
        }
        float total = 0;
        for (Future<Float> f : fs) total += f.get();
        double s = (System.nanoTime() - t0) / 1e9;
        if (Float.isNaN(total)) throw new IllegalStateException("impossible sum");
        return s;
    }

    /**
     * Seconds for one pass that overwrites the array, all threads together: the rate at which an output as large as
     * the logits (a gradient, softmax) can be written, each cache line read for ownership first as plain stores do.
     *
     * @return the pass's wall time in seconds
     * @throws Exception if a thread's part failed or the wait was interrupted
     */
    public double writePassSeconds() throws Exception {
        float v = ++writes * 1e-3f; // a new value each pass: nothing to shortcut
        long t0 = System.nanoTime();
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int lo = (int) ((long) N * t / threads), hi = (int) ((long) N * (t + 1) / threads);
            fs.add(pool.submit(() -> java.util.Arrays.fill(a, lo, hi, v)));
        }
        for (Future<?> f : fs) f.get();
        return (System.nanoTime() - t0) / 1e9;
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
