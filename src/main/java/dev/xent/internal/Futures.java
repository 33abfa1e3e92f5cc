package dev.xent.internal;

import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Pools of daemon workers, and waiting on work handed to them with the worker's own exception coming through unwrapped.
 * In {@code dev.xent.internal}: shared by the backends and streams, not part of the API.
 */
public final class Futures {
    private Futures() {}

    /**
     * A fixed pool of daemon threads named name-1, name-2, ...: it never keeps the JVM alive.
     *
     * @param threads the pool's size, at least 1
     * @param name the prefix of its threads' names
     * @return a new pool, which the caller shuts down
     */
    public static ExecutorService daemonPool(int threads, String name) {
        AtomicInteger n = new AtomicInteger();
        return Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Waits for every future in order; the first failure found is rethrown as the task threw it.
     *
     * @param futures the tasks' futures
     * @throws RuntimeException the task's own RuntimeException (or Error), unwrapped; a checked exception comes as
     *     the cause of an IllegalStateException
     * @throws IllegalStateException if interrupted while waiting (the interrupt flag is set again)
     */
    public static void awaitAll(List<? extends Future<?>> futures) {
        try {
            for (Future<?> f : futures) f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException) throw (RuntimeException) c;
            if (c instanceof Error) throw (Error) c;
            throw new IllegalStateException(c);
        }
    }
}
