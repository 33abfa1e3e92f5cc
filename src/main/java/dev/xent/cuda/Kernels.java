package dev.xent.cuda;

import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import dev.xent.InvalidInputException;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUstream;

/**
 * The kernels of {@code cuda/xent.ptx} and {@code cuda/xent_grad.ptx}, one typed method per {@code .entry}: after the
 * launch shape, its parameters are the entry's {@code .param} list in order, named as there without the {@code p_}
 * prefix ({@code KernelsAbiTest} holds them to the files). Pointers are device addresses; one the ABI allows to be 0
 * ({@code |0} in cuda/README.md) may be null. A driver error names the kernel it came from.
 */
final class Kernels implements AutoCloseable {
    /** Threads per block of the one-thread-per-row kernels, and of the row kernels below 32768 classes. */
    static final int BLOCK = 256;
    /** Blocks of the first reduction stage: each sums a fixed chunk of rows; at most this many partial pairs. */
    static final int MAX_REDUCE_BLOCKS = 1024;

    /** Where a kernel runs: blocks in a 1-D grid, threads in a 1-D block. */
    record Launch(long grid, int block) {}

    private final CUstream stream;
    private final PtxModule module, gradModule;
    private final CUfunction rowStats, rowFinish, reduce, reduceFinal, softmaxRows, rowWeights, fwdbwdRows;
    /** The kernel launched last since the stream was last waited for: an asynchronous fault surfaces at that wait. */
    private volatile String pending;

    /** Loads both modules into the current context; kernels run on {@code stream}. */
    Kernels(CUstream stream) {
        this.stream = stream;
        module = new PtxModule("xent");
        rowStats = module.function("xent_row_stats");
        rowFinish = module.function("xent_row_finish");
        reduce = module.function("xent_reduce");
        reduceFinal = module.function("xent_reduce_final");
        softmaxRows = module.function("xent_softmax_rows");
        gradModule = new PtxModule("xent_grad");
        rowWeights = gradModule.function("xent_row_weights");
        fwdbwdRows = gradModule.function("xent_fwdbwd_rows");
    }

    void xent_row_stats(
            Launch launch,
            CUdeviceptr logits,
            CUdeviceptr probs,
            CUdeviceptr weights,
            CUdeviceptr partial,
            int classes,
            int rows,
            long inner,
            int splits,
            int group,
            int flags,
            float eps) {
        launch(
                "xent_row_stats",
                rowStats,
                launch,
                ptr(logits),
                orZero(probs),
                orZero(weights),
                ptr(partial),
                Pointer.to(new int[] {classes}),
                Pointer.to(new int[] {rows}),
                Pointer.to(new long[] {inner}),
                Pointer.to(new int[] {splits}),
                Pointer.to(new int[] {group}),
                Pointer.to(new int[] {flags}),
                Pointer.to(new float[] {eps}));
    }

    void xent_row_finish(
            Launch launch,
            CUdeviceptr logits,
            CUdeviceptr target,
            CUdeviceptr weights,
            CUdeviceptr partial,
            CUdeviceptr loss,
            CUdeviceptr rowWeight,
            CUdeviceptr error,
            int classes,
            int rows,
            long inner,
            int splits,
            int flags,
            long ignore,
            float eps) {
        launch(
                "xent_row_finish",
                rowFinish,
                launch,
                ptr(logits),
                ptr(target),
                orZero(weights),
                ptr(partial),
                ptr(loss),
                ptr(rowWeight),
                ptr(error),
                Pointer.to(new int[] {classes}),
                Pointer.to(new int[] {rows}),
                Pointer.to(new long[] {inner}),
                Pointer.to(new int[] {splits}),
                Pointer.to(new int[] {flags}),
                Pointer.to(new long[] {ignore}),
                Pointer.to(new float[] {eps}));
    }

    void xent_reduce(Launch launch, CUdeviceptr loss, CUdeviceptr rowWeight, int rows, CUdeviceptr partial) {
        launch("xent_reduce", reduce, launch, ptr(loss), ptr(rowWeight), Pointer.to(new int[] {rows}), ptr(partial));
    }

    void xent_reduce_final(Launch launch, CUdeviceptr partial, int count, CUdeviceptr out) {
        launch("xent_reduce_final", reduceFinal, launch, ptr(partial), Pointer.to(new int[] {count}), ptr(out));
    }

    void xent_softmax_rows(
            Launch launch, CUdeviceptr in, CUdeviceptr out, int classes, int rows, long inner, int group, int flags) {
        launch(
                "xent_softmax_rows",
                softmaxRows,
                launch,
                ptr(in),
                ptr(out),
                Pointer.to(new int[] {classes}),
                Pointer.to(new int[] {rows}),
                Pointer.to(new long[] {inner}),
                Pointer.to(new int[] {group}),
                Pointer.to(new int[] {flags}));
    }

    void xent_row_weights(
            Launch launch,
            CUdeviceptr target,
            CUdeviceptr weights,
            CUdeviceptr rowWeight,
            CUdeviceptr error,
            int classes,
            int rows,
            int flags,
            long ignore) {
        launch(
                "xent_row_weights",
                rowWeights,
                launch,
                ptr(target),
                orZero(weights),
                ptr(rowWeight),
                ptr(error),
                Pointer.to(new int[] {classes}),
                Pointer.to(new int[] {rows}),
                Pointer.to(new int[] {flags}),
                Pointer.to(new long[] {ignore}));
    }

    void xent_fwdbwd_rows(
            Launch launch,
            CUdeviceptr logits,
            CUdeviceptr probs,
            CUdeviceptr target,
            CUdeviceptr weights,
            CUdeviceptr grad,
            CUdeviceptr loss,
            CUdeviceptr rowWeight,
            CUdeviceptr sums,
            int classes,
            int rows,
            long inner,
            int group,
            int flags,
            long ignore,
            float eps) {
        launch(
                "xent_fwdbwd_rows",
                fwdbwdRows,
                launch,
                ptr(logits),
                orZero(probs),
                ptr(target),
                orZero(weights),
                ptr(grad),
                ptr(loss),
                ptr(rowWeight),
                ptr(sums),
                Pointer.to(new int[] {classes}),
                Pointer.to(new int[] {rows}),
                Pointer.to(new long[] {inner}),
                Pointer.to(new int[] {group}),
                Pointer.to(new int[] {flags}),
                Pointer.to(new long[] {ignore}),
                Pointer.to(new float[] {eps}));
    }

    /** Waits for the stream; a fault of a kernel shows here, named by the last one launched. */
    void synchronize() {
        try {
            cuStreamSynchronize(stream);
        } catch (CudaException e) {
            throw named(pending == null ? "waiting for the stream" : "after " + pending, e);
        } finally {
            pending = null;
        }
    }

    private static Pointer ptr(CUdeviceptr p) {
        return Pointer.to(p);
    }

    /** A pointer argument that may be absent: a fresh CUdeviceptr passes address 0. */
    private static Pointer orZero(CUdeviceptr p) {
        return Pointer.to(p == null ? new CUdeviceptr() : p);
    }

    private void launch(String name, CUfunction f, Launch l, Pointer... params) {
        if (l.grid() > Integer.MAX_VALUE) throw new InvalidInputException("grid too large: " + l.grid());
        try {
            cuLaunchKernel(f, (int) l.grid(), 1, 1, l.block(), 1, 1, 0, stream, Pointer.to(params), null);
        } catch (CudaException e) {
            throw named(name + " launch (grid " + l.grid() + ", block " + l.block() + ")", e);
        }
        pending = name;
    }

    static CudaException named(String what, CudaException e) {
        return new CudaException(what + ": " + e.getMessage(), e);
    }

    @Override
    public void close() {
        module.close();
        gradModule.close();
    }
}
