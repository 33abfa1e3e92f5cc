package dev.xent.cuda;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;

import java.util.concurrent.atomic.AtomicLong;
import jcuda.driver.CUdeviceptr;

/**
 * Device memory with a count of live bytes. Every allocation xent makes goes through here, so a test can assert that
 * nothing is left (see the JUnit leak extension), and {@link #close()} fails loudly if something still is.
 */
public final class DeviceAllocator implements AutoCloseable {
    private static final AtomicLong PROCESS_LIVE = new AtomicLong();
    private final AtomicLong live = new AtomicLong();
    private final AtomicLong peak = new AtomicLong();
    private final String owner;

    public DeviceAllocator(String owner) { this.owner = owner; }

    /** Bytes allocated through any allocator in this JVM and not yet freed. */
    public static long processLiveBytes() { return PROCESS_LIVE.get(); }

    public CUdeviceptr allocate(long bytes) {
        CUdeviceptr p = new CUdeviceptr();
        cuMemAlloc(p, Math.max(bytes, 1)); // a zero-byte tensor still gets a distinct, freeable pointer
        long now = live.addAndGet(bytes);
        peak.accumulateAndGet(now, Math::max);
        PROCESS_LIVE.addAndGet(bytes);
        return p;
    }

    public void free(CUdeviceptr p, long bytes) {
        cuMemFree(p);
        live.addAndGet(-bytes);
        PROCESS_LIVE.addAndGet(-bytes);
    }

    public long liveBytes() { return live.get(); }

    /** The most bytes this allocator held at once. */
    public long peakBytes() { return peak.get(); }

    /** Throws if anything allocated here is still live: a leak is a bug, not something to tidy quietly. */
    @Override public void close() {
        long l = live.get();
        if (l != 0) throw new IllegalStateException(owner + ": closed with " + l + " bytes of device memory still allocated");
    }
}
