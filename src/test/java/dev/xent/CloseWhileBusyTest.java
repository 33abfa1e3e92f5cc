package dev.xent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.xent.cpu.CpuBackend;
import java.util.Arrays;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * close() while other threads are inside calls: each caller either finishes its call with the right value or gets an
 * IllegalStateException saying the instance is closed; none stays blocked (a pool shut down under a caller used to
 * drop the work that caller then waited for). After close() every call fails the same way, small or large. Callers
 * are daemon threads joined with a deadline, so a hang fails the test instead of blocking the build.
 */
class CloseWhileBusyTest {
    /** 512 x 4096 = 2^21 elements: over the CPU backend's threshold for handing rows to its pool. */
    private static final int ROWS = 512, CLASSES = 4096, CALLERS = 8, TRIALS = 4;

    private static final long DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(30);

    private static final Tensor[] BIG = problem(ROWS, CLASSES, 1), SMALL = problem(2, 5, 2);
    private static final LossProblem BIG_PROBLEM =
            LossProblem.of(LossKind.CROSS_ENTROPY, BIG[0], BIG[1], LossSpec.DEFAULT);

    @Test
    void xentCloseWaitsForCallsInFlightAndRefusesLaterOnes() throws InterruptedException {
        double expected;
        try (Xent x = Xent.on(new CpuBackend(4, Settings.cpuVector()))) {
            expected = x.crossEntropy(BIG[0], BIG[1], LossSpec.DEFAULT).value();
        }
        for (int trial = 0; trial < TRIALS; trial++) {
            Xent xent = Xent.on(new CpuBackend(4, Settings.cpuVector()));
            stress(
                    "trial " + trial + " (Xent)",
                    () -> xent.crossEntropy(BIG[0], BIG[1], LossSpec.DEFAULT).value(),
                    expected,
                    xent::close);
            assertRefused(() -> xent.crossEntropy(SMALL[0], SMALL[1], LossSpec.DEFAULT));
            assertRefused(() -> xent.crossEntropy(BIG[0], BIG[1], LossSpec.DEFAULT));
            assertRefused(() -> xent.nllLoss(SMALL[0], SMALL[1], LossSpec.DEFAULT));
            assertRefused(() -> xent.logSoftmax(SMALL[0], 1));
            assertRefused(() -> xent.softmax(BIG[0], 1));
            assertRefused(() -> xent.bceWithLogits(SMALL[0], SMALL[0], BceSpec.DEFAULT, Outputs.LOSS_ONLY));
            xent.close(); // a second close is harmless
        }
    }

    @Test
    void backendClosedUnderItsCallersFailsThemClearly() throws InterruptedException {
        double expected;
        try (CpuBackend cpu = new CpuBackend(4, Settings.cpuVector())) {
            expected = cpu.loss(BIG_PROBLEM).value();
        }
        for (int trial = 0; trial < TRIALS; trial++) {
            CpuBackend cpu = new CpuBackend(4, Settings.cpuVector());
            stress(
                    "trial " + trial + " (CpuBackend)",
                    () -> cpu.loss(BIG_PROBLEM).value(),
                    expected,
                    cpu::close);
            assertRefused(() -> cpu.loss(LossProblem.of(LossKind.CROSS_ENTROPY, SMALL[0], SMALL[1], LossSpec.DEFAULT)));
            assertRefused(() -> cpu.loss(BIG_PROBLEM));
            assertRefused(() -> cpu.softmax(SMALL[0], 1, true));
        }
    }

    interface Call {
        double run();
    }

    /** CALLERS threads call in a loop; once each has finished a call, close; every caller must end on the closed error. */
    private static void stress(String what, Call call, double expected, Runnable close) throws InterruptedException {
        AtomicInteger finished = new AtomicInteger(), refused = new AtomicInteger();
        Queue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
        Thread[] callers = new Thread[CALLERS];
        for (int i = 0; i < CALLERS; i++) {
            callers[i] = new Thread(
                    () -> {
                        try {
                            while (true) {
                                double v = call.run();
                                if (Double.doubleToLongBits(v) != Double.doubleToLongBits(expected)) {
                                    unexpected.add(new AssertionError(
                                            "a call in flight at close() returned " + v + ", not " + expected));
                                }
                                finished.incrementAndGet();
                            }
                        } catch (IllegalStateException e) {
                            if (String.valueOf(e.getMessage()).contains("closed")) refused.incrementAndGet();
                            else unexpected.add(e);
                        } catch (Throwable t) {
                            unexpected.add(t);
                        }
                    },
                    "close-stress-" + i);
            callers[i].setDaemon(true); // a stranded caller must not keep the test JVM alive
            callers[i].start();
        }
        long end = System.nanoTime() + DEADLINE_NANOS;
        while (finished.get() < CALLERS && System.nanoTime() < end && unexpected.isEmpty()) Thread.sleep(1);
        close.run();
        for (Thread t : callers) {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime())));
            if (t.isAlive()) {
                fail(what + ": " + t.getName() + " still inside a call after close() (" + finished.get()
                        + " calls finished, " + refused.get() + " refused); it waits at "
                        + Arrays.toString(t.getStackTrace()));
            }
        }
        if (!unexpected.isEmpty()) {
            AssertionError e = new AssertionError(
                    what + ": " + unexpected.size() + " unexpected failure(s), the first: " + unexpected.peek());
            unexpected.forEach(e::addSuppressed);
            throw e;
        }
        assertEquals(CALLERS, refused.get(), what + ": every caller ends on the closed error");
        assertTrue(finished.get() >= CALLERS, what + ": calls finished before close");
    }

    private static void assertRefused(Executable call) {
        IllegalStateException e = assertThrows(IllegalStateException.class, call, "a call after close()");
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    private static Tensor[] problem(int rows, int classes, long seed) {
        Random r = new Random(seed);
        float[] x = new float[rows * classes];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        long[] y = new long[rows];
        for (int i = 0; i < rows; i++) y[i] = r.nextInt(classes);
        return new Tensor[] {Tensor.of(x, rows, classes), Tensor.of(y, rows)};
    }
}
