package dev.xent.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuInit;

import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.JCudaDriver;

/**
 * The device's primary context, retained for as long as this object is open. CUDA contexts are current per thread,
 * so every entry point calls {@link #makeCurrent()} on the thread it runs on.
 */
public final class CudaContext implements AutoCloseable {
    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private boolean open;

    /**
     * Initializes the driver, retains device {@code ordinal}'s primary context and makes it current on this thread.
     *
     * @param ordinal the device's index, from 0
     * @throws jcuda.CudaException if the driver cannot be initialized or there is no such device
     */
    public CudaContext(int ordinal) {
        JCudaDriver.setExceptionsEnabled(true);
        cuInit(0);
        cuDeviceGet(device, ordinal);
        cuDevicePrimaryCtxRetain(context, device);
        open = true;
        makeCurrent();
    }

    /**
     * Makes the context current on the calling thread.
     *
     * @throws IllegalStateException if this context is closed
     */
    public void makeCurrent() {
        if (!open) throw new IllegalStateException("CUDA context is closed");
        cuCtxSetCurrent(context);
    }

    /** {@return the driver's handle of the device} */
    public CUdevice device() {
        return device;
    }

    @Override
    public synchronized void close() {
        if (!open) return;
        open = false;
        cuDevicePrimaryCtxRelease(device);
    }
}
