package dev.xent.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSynchronize;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemsetD32;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import jcuda.CudaException;
import jcuda.driver.CUdeviceptr;

/**
 * Device memory with a count of live bytes. Every allocation xent makes goes through here, so a test can assert that
 * nothing is left (see the JUnit leak extension), and {@link #close()} fails loudly if something still is (it frees
 * what was left, so the device does not stay short, and then throws). With {@code -Dxent.poison=true} every new
 * allocation is filled with NaN, so a kernel that leaves an output element unwritten is caught by the tests.
 */
public final class DeviceAllocator implements AutoCloseable {
    private static final AtomicLong PROCESS_LIVE = new AtomicLong();
    private static final int NAN_PATTERN = 0x7fc07fc0; // NaN as float32, and as float16 / bfloat16 halves
    private final Map<CUdeviceptr, Long> live = new ConcurrentHashMap<>();
    private final AtomicLong liveBytes = new AtomicLong();
    private final AtomicLong peak = new AtomicLong();
    private final String owner;

    /**
     * An allocator holding nothing yet.
     *
     * @param owner who allocates through it, for error messages
     */
    public DeviceAllocator(String owner) {
        this.owner = owner;
    }

    /** {@return bytes allocated through any allocator in this JVM and not yet freed} */
    public static long processLiveBytes() {
        return PROCESS_LIVE.get();
    }

    /**
     * Allocates device memory in the current context (filled with NaN under {@code -Dxent.poison=true}).
     *
     * @param bytes the size; 0 still gets a distinct pointer (of 4 bytes) that must be freed
     * @return the pointer, to be handed back to {@link #free}
     * @throws jcuda.CudaException if the driver cannot allocate it (out of memory, say)
     */
    public CUdeviceptr allocate(long bytes) {
        return allocate(bytes, "device memory");
    }

    /**
     * Allocates device memory in the current context (filled with NaN under {@code -Dxent.poison=true}); a failure
     * names what it was for, the bytes asked, and the bytes this allocator and the whole JVM hold.
     *
     * @param bytes the size; 0 still gets a distinct pointer (of 4 bytes) that must be freed
     * @param what what the memory is for, for the error message (a tensor's shape and dtype, a scratch buffer)
     * @return the pointer, to be handed back to {@link #free}
     * @throws jcuda.CudaException if the driver cannot allocate it (out of memory, say)
     */
    public CUdeviceptr allocate(long bytes, String what) {
        CUdeviceptr p = new CUdeviceptr();
        try {
            cuMemAlloc(p, Math.max(bytes, 4)); // a zero-byte tensor still gets a distinct, freeable pointer
        } catch (CudaException e) {
            throw new CudaException(
                    owner + ": cuMemAlloc of " + bytes + " bytes for " + what + " failed with " + liveBytes.get()
                            + " bytes live here (" + PROCESS_LIVE.get() + " in this JVM): " + e.getMessage(),
                    e);
        }
        if (dev.xent.Settings.poisonDeviceMemory()) {
            cuMemsetD32(p, NAN_PATTERN, Math.max(bytes, 4) / 4);
            cuCtxSynchronize(); // the memset runs on the legacy stream: finish it before any other stream touches p
        }
        live.put(p, bytes);
        long now = liveBytes.addAndGet(bytes);
        peak.accumulateAndGet(now, Math::max);
        PROCESS_LIVE.addAndGet(bytes);
        return p;
    }

    /**
     * Frees memory this allocator allocated.
     *
     * @param p the pointer {@link #allocate} returned
     * @param bytes the size it was allocated with
     * @throws IllegalStateException if {@code p} is not live in this allocator (freed twice, or someone else's)
     */
    public void free(CUdeviceptr p, long bytes) {
        if (live.remove(p) == null) throw new IllegalStateException(owner + ": free of a pointer it does not own");
        cuMemFree(p);
        liveBytes.addAndGet(-bytes);
        PROCESS_LIVE.addAndGet(-bytes);
    }

    /** {@return the bytes this allocator holds now} */
    public long liveBytes() {
        return liveBytes.get();
    }

    /** {@return the most bytes this allocator held at once} */
    public long peakBytes() {
        return peak.get();
    }

    /** Frees anything left and throws if there was any: a leak is a bug, reported, not tidied away quietly. */
    @Override
    public void close() {
        long left = liveBytes.get();
        int count = live.size();
        for (Map.Entry<CUdeviceptr, Long> e : live.entrySet()) free(e.getKey(), e.getValue());
        if (count != 0)
            throw new IllegalStateException(
                    owner + ": closed with " + count + " allocations (" + left + " bytes) of device memory still live");
    }
}
