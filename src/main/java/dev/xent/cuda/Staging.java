package dev.xent.cuda;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuMemFreeHost;
import static jcuda.driver.JCudaDriver.cuMemHostAlloc;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import dev.xent.Tensor;
import dev.xent.internal.Futures;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;

/**
 * Two pinned host buffers, a copy stream and its events, and the threads that fill the buffers: the double buffer of
 * {@link CudaBackend#lossFromHost}.
 */
final class Staging {
    /** Default bytes per staging buffer, pinned or not. */
    static final long STAGE_BYTES = dev.xent.Settings.Tuning.CUDA_STAGE_BYTES;

    final long bytes;
    final Pointer[] host = {new Pointer(), new Pointer()};
    final ByteBuffer[] view = new ByteBuffer[2];
    final CUstream copyStream = new CUstream();
    final CUevent[] copied = {new CUevent(), new CUevent()};
    final ExecutorService fillers;
    final int fillThreads = Math.max(1, Math.min(8, Runtime.getRuntime().availableProcessors()));

    /** Bytes per pinned staging buffer of {@link CudaBackend#lossFromHost} (-Dxent.stageBytes, default 64 MiB). */
    static long stageBytes() {
        return dev.xent.Settings.stageBytes(STAGE_BYTES);
    }

    Staging(long bytes) {
        this.bytes = bytes;
        for (int i = 0; i < 2; i++) {
            pin(host[i], bytes);
            view[i] = host[i].getByteBuffer(0, bytes).order(ByteOrder.LITTLE_ENDIAN);
            cuEventCreate(copied[i], CUevent_flags.CU_EVENT_DISABLE_TIMING);
        }
        cuStreamCreate(copyStream, CUstream_flags.CU_STREAM_NON_BLOCKING);
        fillers = Futures.daemonPool(fillThreads, "xent-stage");
    }

    /** cuMemHostAlloc, its failure saying how much page-locked memory was asked for. */
    static void pin(Pointer host, long bytes) {
        try {
            cuMemHostAlloc(host, bytes, 0);
        } catch (CudaException e) {
            throw Kernels.named("cuMemHostAlloc of " + bytes + " bytes of pinned staging", e);
        }
    }

    /** Copies elements [first, first + count) of t into buffer b, little-endian, split over the filler threads. */
    void fill(int b, Tensor t, long first, long count, int es) {
        int parts = (int) Math.max(1, Math.min(fillThreads, count / (1 << 20)));
        List<Future<?>> fs = new ArrayList<>(parts);
        for (int i = 0; i < parts; i++) {
            long lo = count * i / parts, hi = count * (i + 1) / parts;
            ByteBuffer dst = view[b].duplicate().order(ByteOrder.LITTLE_ENDIAN);
            dst.position((int) (lo * es));
            fs.add(fillers.submit(() -> t.copyBytesTo(dst, first + lo, (int) (hi - lo))));
        }
        Futures.awaitAll(fs);
    }

    void free() {
        cuStreamSynchronize(copyStream);
        fillers.shutdownNow();
        for (int i = 0; i < 2; i++) {
            cuEventDestroy(copied[i]);
            cuMemFreeHost(host[i]);
        }
        cuStreamDestroy(copyStream);
    }
}
