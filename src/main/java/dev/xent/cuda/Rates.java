package dev.xent.cuda;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuMemFreeHost;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUstream;

/** The copy rates a kernel's throughput is measured against. Called under the backend's lock, context current. */
final class Rates {
    private Rates() {}

    /** See {@link CudaBackend#measureCopyBytesPerSecond()}. */
    static double deviceCopy(DeviceAllocator allocator, CUstream stream) {
        long bytes = 1L << 30;
        CUdeviceptr a = allocator.allocate(bytes, "the copy-rate source"),
                b = allocator.allocate(bytes, "the copy-rate destination");
        CUevent start = new CUevent(), stop = new CUevent();
        cuEventCreate(start, 0);
        cuEventCreate(stop, 0);
        try {
            cuMemsetD32Async(a, 0x3f800001, bytes / 4, stream); // non-zero data
            for (int i = 0; i < 3; i++) cuMemcpyDtoDAsync(b, a, bytes, stream);
            float[] ms = new float[10];
            for (int i = 0; i < ms.length; i++) {
                cuEventRecord(start, stream);
                cuMemcpyDtoDAsync(i % 2 == 0 ? b : a, i % 2 == 0 ? a : b, bytes, stream);
                cuEventRecord(stop, stream);
                cuEventSynchronize(stop);
                float[] t = {0};
                cuEventElapsedTime(t, start, stop);
                ms[i] = t[0];
            }
            java.util.Arrays.sort(ms);
            return 2.0 * bytes / (ms[ms.length / 2] / 1e3);
        } finally {
            cuEventDestroy(start);
            cuEventDestroy(stop);
            allocator.free(a, bytes);
            allocator.free(b, bytes);
        }
    }

    /** See {@link CudaBackend#measurePinnedUploadBytesPerSecond()}. */
    static double pinnedUpload(DeviceAllocator allocator, CUstream stream) {
        long bytes = 512L << 20;
        Pointer host = new Pointer();
        Staging.pin(host, bytes);
        CUdeviceptr dev = allocator.allocate(bytes, "the upload-rate destination");
        CUevent start = new CUevent(), stop = new CUevent();
        cuEventCreate(start, 0);
        cuEventCreate(stop, 0);
        try {
            host.getByteBuffer(0, bytes).asIntBuffer().put(0, 0x3f800001);
            float[] ms = new float[7];
            for (int i = -2; i < ms.length; i++) {
                cuEventRecord(start, stream);
                cuMemcpyHtoDAsync(dev, host, bytes, stream);
                cuEventRecord(stop, stream);
                cuEventSynchronize(stop);
                float[] t = {0};
                cuEventElapsedTime(t, start, stop);
                if (i >= 0) ms[i] = t[0];
            }
            java.util.Arrays.sort(ms);
            return bytes / (ms[ms.length / 2] / 1e3);
        } finally {
            cuEventDestroy(start);
            cuEventDestroy(stop);
            allocator.free(dev, bytes);
            cuMemFreeHost(host);
        }
    }
}
