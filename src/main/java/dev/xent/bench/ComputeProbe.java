package dev.xent.bench;

import dev.xent.LossSpec;
import dev.xent.Tensor;
import dev.xent.Xent;
import dev.xent.cpu.CpuBackend;
import dev.xent.internal.Futures;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * How fast the CPU loss computes when memory is not in the way: every thread at once takes the float32 loss of its
 * own {@link #ROWS} x {@link #CLASSES} logits (256 KiB, resident in its core's L2) on a one-thread backend, the same
 * row loop as the timed runs. On the shared machines here this rate moves too (one core: 0.10 to 0.15 ns per value
 * within minutes, measured 2026-11-23, presumably other guests on the same physical cores), and when it is slow the
 * loss cannot keep up with memory however fast that reads: a benchmark takes a pass beside each memory-probe pass so
 * that a run's result can be read against both.
 */
public final class ComputeProbe implements AutoCloseable {
    /** Rows and classes of each thread's logits, and loss calls per pass. */
    public static final int ROWS = 2, CLASSES = 32000, CALLS = 50;

    private final int threads;
    private final ExecutorService pool;
    private final List<Xent> perThread = new ArrayList<>();
    private final List<Tensor> logits = new ArrayList<>();
    private final Tensor target;

    /**
     * Makes each thread's logits and its one-thread backend.
     *
     * @param threads how many threads compute at once
     * @param useVectorApi whether the backends take the Vector API loops (when the module is present)
     */
    public ComputeProbe(int threads, boolean useVectorApi) {
        this.threads = threads;
        SplittableRandom r = new SplittableRandom(7);
        for (int t = 0; t < threads; t++) {
            float[] a = new float[ROWS * CLASSES];
            for (int i = 0; i < a.length; i++) a[i] = (float) (r.nextDouble() * 8 - 4);
            logits.add(Tensor.of(a, ROWS, CLASSES));
            perThread.add(Xent.on(new CpuBackend(1, useVectorApi)));
        }
        long[] tg = new long[ROWS];
        for (int i = 0; i < ROWS; i++) tg[i] = (i * 7919L) % CLASSES;
        target = Tensor.of(tg, ROWS);
        this.pool = Futures.daemonPool(threads, "xent-compute-probe");
    }

    /**
     * One pass, all threads at once. Each call's fixed cost is in it, so it reads above the row loop's own cost.
     *
     * @return nanoseconds per logit on the slowest thread
     * @throws Exception if a thread's calls failed or the wait was interrupted
     */
    public double passNanosPerValue() throws Exception {
        List<Future<Long>> fs = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Xent x = perThread.get(t);
            Tensor in = logits.get(t);
            fs.add(pool.submit(() -> {
                double sink = 0;
                x.crossEntropy(in, target, LossSpec.DEFAULT); // its data back in this core's caches
                long t0 = System.nanoTime();
                for (int k = 0; k < CALLS; k++)
                    sink += x.crossEntropy(in, target, LossSpec.DEFAULT).value();
                long ns = System.nanoTime() - t0;
                if (Double.isNaN(sink)) throw new IllegalStateException("impossible loss");
                return ns;
            }));
        }
        long slowest = 0;
        for (Future<Long> f : fs) slowest = Math.max(slowest, f.get());
        return (double) slowest / CALLS / ((long) ROWS * CLASSES);
    }

    @Override
    public void close() {
        pool.shutdownNow();
        for (Xent x : perThread) x.close();
    }
}
