package dev.xent.cpu;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Says when {@link VectorRowMath}'s short-row loops run compiled. Until C2 has compiled them, the Vector API runs in
 * the interpreter and in C1 code that allocates every vector: a cold {@code xent eval} of 10000 rows of 100 classes
 * spent a second there, against a tenth of that in scalar loops. So the first call starts one daemon thread that runs
 * the vector loops on a few synthetic rows, and its twin in {@link VectorTwin} beside them, until the vector loops
 * have been the faster for {@link #FAST_ROUNDS} rounds in a row; meanwhile callers take the twin, which gives the same
 * bits. Where the vector loops never become the faster (a JVM without C2), callers keep the twin.
 */
final class VectorWarmup {
    private VectorWarmup() {}

    /** Rounds in a row in which the vector loops must beat the twin on every width. */
    static final int FAST_ROUNDS = 20;
    /** How long the thread tries before it leaves the callers on the twin. */
    private static final long GIVE_UP_NANOS = TimeUnit.SECONDS.toNanos(120);

    private static volatile boolean shortRowsReady;
    private static final AtomicBoolean STARTED = new AtomicBoolean();
    private static final Object DONE = new Object();

    /** Whether the short-row vector loops are compiled; the first call starts the warm-up. */
    static boolean shortRowsReady() {
        if (shortRowsReady) return true;
        if (STARTED.compareAndSet(false, true)) {
            Thread t = new Thread(VectorWarmup::warm, "xent-vector-warmup");
            t.setDaemon(true);
            t.start();
        }
        return false;
    }

    /** Waits up to the given time for {@link #shortRowsReady} (benchmarks time the compiled loops); true if ready. */
    static boolean awaitShortRows(long timeout, TimeUnit unit) throws InterruptedException {
        long end = System.nanoTime() + unit.toNanos(timeout);
        synchronized (DONE) {
            while (!shortRowsReady()) {
                long left = end - System.nanoTime();
                if (left <= 0) return false;
                TimeUnit.NANOSECONDS.timedWait(DONE, left);
            }
        }
        return true;
    }

    private static void warm() {
        int lanes = VectorRowMath.LANES;
        // a width of each loop: the transposed group, the two passes with a masked tail, and without one
        int[] widths = {10, VectorRowMath.MEDIUM_ROW_MIN_VECTORS * lanes + 3, 8 * lanes};
        int rows = 64;
        SplittableRandom random = new SplittableRandom(1);
        float[][] data = new float[widths.length][];
        for (int w = 0; w < widths.length; w++) {
            data[w] = new float[rows * widths[w]];
            for (int i = 0; i < data[w].length; i++) data[w][i] = (float) (random.nextGaussian() * 4);
        }
        float[] max = new float[rows], logS = new float[rows];
        VectorRowMath math = new VectorRowMath();
        long start = System.nanoTime();
        int fast = 0;
        while (fast < FAST_ROUNDS) {
            if (System.nanoTime() - start > GIVE_UP_NANOS) return;
            boolean faster = true;
            for (int w = 0; w < widths.length; w++) {
                long t0 = System.nanoTime();
                math.manyRowStatsVector(data[w], 0, rows, widths[w], max, logS);
                long t1 = System.nanoTime();
                VectorTwin.manyRowStats(data[w], 0, rows, widths[w], max, logS);
                long t2 = System.nanoTime();
                faster &= t1 - t0 < t2 - t1;
            }
            fast = faster ? fast + 1 : 0;
        }
        shortRowsReady = true;
        synchronized (DONE) {
            DONE.notifyAll();
        }
    }
}
