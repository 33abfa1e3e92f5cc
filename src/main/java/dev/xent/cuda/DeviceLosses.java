package dev.xent.cuda;

import static dev.xent.cuda.KernelFlags.F_MEAN;
import static dev.xent.cuda.KernelFlags.F_NLL;
import static dev.xent.cuda.KernelFlags.F_VEC16;
import static dev.xent.cuda.KernelFlags.flags;
import static dev.xent.cuda.Kernels.BLOCK;
import static dev.xent.cuda.Kernels.MAX_REDUCE_BLOCKS;
import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;
import static jcuda.driver.JCudaDriver.cuStreamWaitEvent;

import dev.xent.DType;
import dev.xent.InvalidInputException;
import dev.xent.LossKind;
import dev.xent.LossProblem;
import dev.xent.LossResult;
import dev.xent.LossSpec;
import dev.xent.Reduction;
import dev.xent.Tensor;
import dev.xent.cuda.Kernels.Launch;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUstream;

/**
 * The loss launches of {@link CudaBackend}: device-resident tensors, logits streamed from the host, and the fused
 * loss and gradient; then the fixed-order reduction and the read-back. Its scratch, events and pinned staging are its
 * own. Called only under the backend's lock, with the context current.
 */
final class DeviceLosses {
    private final CudaBackend owner;
    private final CUstream stream;
    private final Kernels kernels;
    private final int multiprocessors;
    private final Scratch scratch;
    private final CUevent lossStart = new CUevent(), lossStop = new CUevent();
    private volatile double lastDeviceSeconds = Double.NaN;
    private Staging staging;

    DeviceLosses(CudaBackend owner, DeviceAllocator allocator, CUstream stream, Kernels kernels, int multiprocessors) {
        this.owner = owner;
        this.stream = stream;
        this.kernels = kernels;
        this.multiprocessors = multiprocessors;
        this.scratch = new Scratch(allocator);
        cuEventCreate(lossStart, 0);
        cuEventCreate(lossStop, 0);
    }

    double lastDeviceSeconds() {
        return lastDeviceSeconds;
    }

    /**
     * Loss and gradient of a host problem (see {@link CudaBackend#loss(LossProblem)}): upload, fused kernel in place,
     * download. Unlike the rest of this class it is called without the backend's lock, which the backend's methods it
     * calls take each in turn.
     */
    LossResult gradientFromHost(LossProblem p) {
        Tensor target = p.probabilityTarget() ? p.target().to(DType.F32) : p.target();
        boolean scaleOnHost = p.isBlock() && p.spec().reduction() == Reduction.MEAN;
        LossSpec spec =
                scaleOnHost ? p.spec().toBuilder().reduction(Reduction.SUM).build() : p.spec();
        try (DeviceTensor x = owner.upload(p.input());
                DeviceTensor y = owner.upload(target)) {
            LossResult r = owner.lossAndGradient(p.kind(), x, y, spec, x, true); // in place: the upload is ours
            Tensor g = x.download();
            if (scaleOnHost) g = scaled(g, 1 / p.totals().divisor());
            return r.withExtras(new LossResult.Extras(g, -1, -1, 0, null, null));
        }
    }

    /** g times s, in float32, rounded back to g's dtype. */
    private static Tensor scaled(Tensor g, double s) {
        int n = Math.toIntExact(g.numel());
        float[] v = new float[n];
        g.readFloats(0, 1, v, 0, n);
        float f = (float) s;
        for (int i = 0; i < n; i++) v[i] *= f;
        Tensor t = Tensor.of(v, g.shape());
        return g.dtype() == DType.F32 ? t : t.to(g.dtype());
    }

    /** See {@link CudaBackend#loss(LossKind, DeviceTensor, DeviceTensor, LossSpec, boolean)}. */
    LossResult loss(LossKind kind, DeviceTensor input, DeviceTensor target, LossSpec spec, boolean perElement) {
        LossProblem p = LossProblem.describe(kind, input.shape(), input.dtype(), target.shape(), target.dtype(), spec);
        if (p.probabilityTarget() && target.dtype() != DType.F32) {
            throw new InvalidInputException("probability targets on the device must be float32, got "
                    + target.dtype().label());
        }
        int rows = (int) p.rows();
        Plan plan = Plan.forRows(rows, p.classes(), multiprocessors, true);
        int flags = flags(p, input.dtype(), target.dtype(), plan);
        owner.context().makeCurrent();
        try (DeviceTensor weights =
                p.weights() == null ? null : owner.upload(p.spec().weights().to(DType.F32))) {
            scratch.ensure(rows, plan.splits());
            cuEventRecord(lossStart, stream);
            cuMemsetD32Async(scratch.err, 0xffffffff, 2, stream);
            launchRows(
                    p,
                    plan,
                    flags,
                    input.pointer(),
                    p.probabilityTarget() ? target.pointer() : null,
                    target.pointer(),
                    weights,
                    scratch.loss,
                    scratch.weight,
                    rows);
            return reduceAndRead(p, rows, perElement, target);
        }
    }

    /** See {@link CudaBackend#lossFromHost}: float32, float16 or bfloat16 logits, targets not yet checked. */
    LossResult fromHost(LossProblem p, Tensor logits, Tensor target) {
        if (!p.probabilityTarget()) {
            for (long r = 0; r < p.rows(); r++) {
                long y = p.targetOf(r);
                if (!p.isIgnored(y) && (y < 0 || y >= p.classes())) throw p.badTarget(r, y);
            }
        }
        int rows = (int) p.rows();
        int c = p.classes();
        owner.context().makeCurrent();
        Tensor t = p.probabilityTarget() ? target.to(DType.F32) : target;
        long outerElements = (long) c * p.inner(); // chunks are whole blocks of the outer axis
        long outers = rows / Math.max(1, p.inner());
        int es = logits.dtype().byteSize();
        long outersPerChunk = Math.max(1, Staging.stageBytes() / Math.max(1, outerElements * es));
        Plan plan = Plan.forRows((int) Math.min(rows, outersPerChunk * p.inner()), c, multiprocessors, true);
        int flags = flags(p, logits.dtype(), t.dtype(), plan);
        try (DeviceTensor x = new DeviceTensor(owner, logits.shape(), logits.dtype());
                DeviceTensor y = owner.upload(t);
                DeviceTensor weights = p.weights() == null
                        ? null
                        : owner.upload(p.spec().weights().to(DType.F32))) {
            scratch.ensure(rows, plan.splits());
            long stageBytes = Math.min(Staging.stageBytes(), Math.max(1, outersPerChunk * outerElements * es));
            if (staging != null && staging.bytes < stageBytes) {
                staging.free();
                staging = null;
            }
            if (staging == null) staging = new Staging(stageBytes);
            Staging st = staging;
            cuEventRecord(lossStart, stream);
            int k = 0;
            for (long o = 0; o < outers; o += outersPerChunk, k++) {
                long n = Math.min(outersPerChunk, outers - o);
                long firstElement = o * outerElements, elements = n * outerElements;
                long firstRow = o * p.inner();
                int chunkRows = (int) (n * p.inner());
                int b = k & 1;
                if (k >= 2) cuEventSynchronize(st.copied[b]); // the copy that last read this stage is done
                st.fill(b, logits, firstElement, elements, es);
                cuMemcpyHtoDAsync(
                        x.pointer().withByteOffset(firstElement * es), st.host[b], elements * es, st.copyStream);
                cuEventRecord(st.copied[b], st.copyStream);
                cuStreamWaitEvent(stream, st.copied[b], 0);
                CUdeviceptr probs = p.probabilityTarget() ? y.pointer().withByteOffset(firstElement * 4) : null;
                launchRows(
                        p,
                        plan,
                        flags,
                        x.pointer().withByteOffset(firstElement * es),
                        probs,
                        y.pointer().withByteOffset(firstRow * y.dtype().byteSize()),
                        weights,
                        scratch.loss.withByteOffset(firstRow * 4),
                        scratch.weight.withByteOffset(firstRow * 4),
                        chunkRows);
            }
            cuMemsetD32Async(scratch.err, 0xffffffff, 2, stream); // targets were checked on the host
            return reduceAndRead(p, rows, true, y);
        }
    }

    /** See {@link CudaBackend#lossAndGradient}. */
    LossResult withGradient(
            LossKind kind,
            DeviceTensor input,
            DeviceTensor target,
            LossSpec spec,
            DeviceTensor grad,
            boolean perElement) {
        LossProblem p = LossProblem.describe(kind, input.shape(), input.dtype(), target.shape(), target.dtype(), spec);
        if (p.spec().zLossScale() != 0 || p.spec().softcap() != 0) {
            throw new InvalidInputException(
                    "z-loss and softcap have no CUDA kernels yet (the host API computes them on the CPU path)");
        }
        if (p.probabilityTarget() && target.dtype() != DType.F32) {
            throw new InvalidInputException("probability targets on the device must be float32, got "
                    + target.dtype().label());
        }
        if (grad.dtype() != input.dtype() || !java.util.Arrays.equals(grad.shape(), input.shape())) {
            throw new InvalidInputException(
                    "the gradient buffer must have the input's shape and dtype: " + input + ", got " + grad);
        }
        int rows = (int) p.rows();
        int c = p.classes();
        Plan plan = Plan.forRows(rows, c, multiprocessors, false);
        int flags = flags(p, input.dtype(), target.dtype(), plan) & ~F_VEC16;
        if (p.spec().reduction() == Reduction.MEAN) flags |= F_MEAN;
        owner.context().makeCurrent();
        try (DeviceTensor weights =
                p.weights() == null ? null : owner.upload(p.spec().weights().to(DType.F32))) {
            scratch.ensure(rows, 1);
            CUdeviceptr w = weights == null ? null : weights.pointer();
            cuEventRecord(lossStart, stream);
            cuMemsetD32Async(scratch.err, 0xffffffff, 2, stream);
            if (rows > 0) {
                kernels.xent_row_weights(
                        new Launch((rows + BLOCK - 1) / BLOCK, BLOCK),
                        target.pointer(),
                        w,
                        scratch.weight,
                        scratch.err,
                        c,
                        rows,
                        flags,
                        p.spec().ignoreIndex());
            }
            int blocks = (int) Math.max(1, Math.min(MAX_REDUCE_BLOCKS, (rows + 4095L) / 4096));
            kernels.xent_reduce(new Launch(blocks, 512), scratch.weight, scratch.weight, rows, scratch.blockSums);
            kernels.xent_reduce_final(new Launch(1, 512), scratch.blockSums, blocks, scratch.sums);
            if (rows > 0) {
                kernels.xent_fwdbwd_rows(
                        new Launch(plan.grid(), plan.block()),
                        input.pointer(),
                        p.probabilityTarget() ? target.pointer() : null,
                        target.pointer(),
                        w,
                        grad.pointer(),
                        scratch.loss,
                        scratch.weight,
                        scratch.sums,
                        c,
                        rows,
                        p.inner(),
                        plan.group(),
                        flags,
                        p.spec().ignoreIndex(),
                        (float) p.spec().labelSmoothing());
            }
            return reduceAndRead(p, rows, perElement, target);
        }
    }

    /** xent_row_stats (unless NLL) and xent_row_finish over `rows` rows starting at the given pointers. */
    private void launchRows(
            LossProblem p,
            Plan plan,
            int flags,
            CUdeviceptr x,
            CUdeviceptr probs,
            CUdeviceptr target,
            DeviceTensor weights,
            CUdeviceptr lossOut,
            CUdeviceptr weightOut,
            int rows) {
        if (rows == 0) return;
        int c = p.classes();
        float eps = (float) p.spec().labelSmoothing();
        CUdeviceptr w = weights == null ? null : weights.pointer();
        int grid = (int) Math.min(
                plan.grid(),
                ((long) rows * plan.splits() + plan.block() / plan.group() - 1) / (plan.block() / plan.group()));
        if ((flags & F_NLL) == 0) {
            kernels.xent_row_stats(
                    new Launch(grid, plan.block()),
                    x,
                    probs,
                    w,
                    scratch.partial,
                    c,
                    rows,
                    p.inner(),
                    plan.splits(),
                    plan.group(),
                    flags,
                    eps);
        }
        kernels.xent_row_finish(
                new Launch((rows + BLOCK - 1) / BLOCK, BLOCK),
                x,
                target,
                w,
                scratch.partial,
                lossOut,
                weightOut,
                scratch.err,
                c,
                rows,
                p.inner(),
                plan.splits(),
                flags,
                p.spec().ignoreIndex(),
                eps);
    }

    /** The fixed-order reduction, then the results: value, divisor, per-element losses if asked, or the bad-target error. */
    private LossResult reduceAndRead(LossProblem p, int rows, boolean perElement, DeviceTensor target) {
        // two fixed-order stages: blocks over contiguous chunks of rows, then one block over the block sums
        int blocks = (int) Math.max(1, Math.min(MAX_REDUCE_BLOCKS, (rows + 4095L) / 4096));
        kernels.xent_reduce(new Launch(blocks, 512), scratch.loss, scratch.weight, rows, scratch.blockSums);
        kernels.xent_reduce_final(new Launch(1, 512), scratch.blockSums, blocks, scratch.sums);
        cuEventRecord(lossStop, stream);
        long[] err = {0};
        double[] sums = {0, 0};
        kernels.synchronize();
        float[] ms = {0};
        cuEventElapsedTime(ms, lossStart, lossStop);
        lastDeviceSeconds = ms[0] / 1e3;
        cuMemcpyDtoH(Pointer.to(err), scratch.err, 8);
        if (err[0] != -1L) throw p.badTarget(err[0], readTarget(target, err[0]));
        cuMemcpyDtoH(Pointer.to(sums), scratch.sums, 16);
        double value = p.spec().reduction() == Reduction.SUM
                ? sums[0]
                : p.spec().reduction() == Reduction.MEAN ? sums[0] / sums[1] : Double.NaN;
        Tensor per = null;
        if (perElement) {
            float[] host = new float[rows];
            if (rows > 0) cuMemcpyDtoH(Pointer.to(host), scratch.loss, 4L * rows);
            per = Tensor.of(host, p.outputShape());
        }
        return new LossResult(p.spec().reduction(), value, per, sums[1], owner.name());
    }

    private static long readTarget(DeviceTensor target, long row) {
        long[] v = {0};
        int es = target.dtype().byteSize();
        cuMemcpyDtoH(Pointer.to(v), target.pointer().withByteOffset(row * es), es);
        return es == 4 ? (int) v[0] : v[0];
    }

    /** Frees the scratch, the staging and the events; the stream has been waited for. */
    void close() {
        scratch.free();
        if (staging != null) staging.free();
        cuEventDestroy(lossStart);
        cuEventDestroy(lossStop);
    }
}
