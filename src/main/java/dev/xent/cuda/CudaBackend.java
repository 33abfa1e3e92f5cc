package dev.xent.cuda;

import static dev.xent.cuda.KernelFlags.F_LOG_OUTPUT;
import static dev.xent.cuda.KernelFlags.F_MEAN;
import static dev.xent.cuda.KernelFlags.F_NLL;
import static dev.xent.cuda.KernelFlags.F_VEC16;
import static dev.xent.cuda.KernelFlags.dtypeFlag;
import static dev.xent.cuda.KernelFlags.flags;
import static dev.xent.cuda.Kernels.BLOCK;
import static dev.xent.cuda.Kernels.MAX_REDUCE_BLOCKS;
import static jcuda.driver.JCudaDriver.cuCtxSynchronize;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuMemFreeHost;
import static jcuda.driver.JCudaDriver.cuMemHostAlloc;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;
import static jcuda.driver.JCudaDriver.cuStreamWaitEvent;

import dev.xent.Backend;
import dev.xent.DType;
import dev.xent.Futures;
import dev.xent.InvalidInputException;
import dev.xent.LossKind;
import dev.xent.LossProblem;
import dev.xent.LossResult;
import dev.xent.LossSpec;
import dev.xent.Reduction;
import dev.xent.RowLayout;
import dev.xent.Tensor;
import dev.xent.cpu.CpuBackend;
import dev.xent.cuda.Kernels.Launch;
import dev.xent.io.Npy;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import jcuda.Pointer;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Losses on an NVIDIA GPU through the JCuda driver API and the hand-written kernels in {@code cuda/xent.ptx}. One
 * primary context, one stream, kernels loaded once. Calls are serialised on this object (each makes the context current
 * on its own thread), so one backend may be shared by many threads. float64 inputs run on the CPU path (logged once).
 */
public final class CudaBackend implements Backend {
    private static final Logger LOG = LoggerFactory.getLogger(CudaBackend.class);

    private static final long STAGE_BYTES = 64L << 20;

    private final CudaContext context;
    private final DeviceAllocator allocator = new DeviceAllocator("CudaBackend");
    private final CUstream stream = new CUstream();
    private final Kernels kernels;
    private final int multiprocessors;
    private final Scratch scratch = new Scratch();
    private final CUevent lossStart = new CUevent(), lossStop = new CUevent();
    private volatile double lastDeviceSeconds = Double.NaN;
    private CpuBackend f64Path;
    private Staging stagingBuffers;
    private boolean toldTrainingOnCpu, toldF64OnCpu, toldBceOnCpu;
    private boolean closed;

    /**
     * A backend on device 0.
     *
     * @throws InvalidInputException if the probe finds CUDA unusable (it says why)
     */
    public CudaBackend() {
        this(0);
    }

    /**
     * A backend on device {@code ordinal}: its primary context, the kernels loaded, one non-blocking stream.
     *
     * @param ordinal the device's index, from 0
     * @throws InvalidInputException if the probe finds CUDA unusable (it says why)
     * @throws jcuda.CudaException if the device cannot be opened or a kernel does not load
     */
    public CudaBackend(int ordinal) {
        CudaProbe.Result r = CudaProbe.probe();
        if (!r.usable) throw new InvalidInputException("device cuda is not usable: " + r.reason);
        context = new CudaContext(ordinal);
        kernels = new Kernels(stream);
        cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING);
        cuEventCreate(lossStart, 0);
        cuEventCreate(lossStop, 0);
        int[] sm = {0};
        cuDeviceGetAttribute(sm, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, context.device());
        multiprocessors = sm[0];
        LOG.debug("CUDA backend on {}", r.describe());
    }

    @Override
    public String name() {
        return "cuda";
    }

    CudaContext context() {
        return context;
    }

    DeviceAllocator allocator() {
        return allocator;
    }

    /** {@return device time of the last loss call, from events around its launches (kernels only, no host overhead)} */
    public double lastDeviceSeconds() {
        return lastDeviceSeconds;
    }

    /** {@return bytes of device memory this backend holds now (tensors and its scratch)} */
    public long liveBytes() {
        return allocator.liveBytes();
    }

    /** {@return the most device memory this backend has held at once} */
    public long peakBytes() {
        return allocator.peakBytes();
    }

    void synchronize() {
        kernels.synchronize();
    }

    // ------------------------------------------------------------------------------------------------ uploads

    /**
     * A device copy of a host tensor of any dtype.
     *
     * @param t the tensor; staged through a direct buffer of at most 64 MiB
     * @return a new device tensor of t's shape and dtype, which the caller closes
     * @throws IllegalStateException if this backend is closed
     */
    public DeviceTensor upload(Tensor t) {
        return uploadWith(t.shape(), t.dtype(), (buf, start, count) -> t.copyBytesTo(buf, start, count));
    }

    /**
     * A device copy of float32 values.
     *
     * @param data the elements in C order
     * @param shape the dimensions; their product must be {@code data.length}
     * @return a new float32 device tensor, which the caller closes
     * @throws InvalidInputException if the shape does not match
     */
    public DeviceTensor upload(float[] data, long... shape) {
        return upload(Tensor.of(data, shape));
    }

    /**
     * A device copy of float16 or bfloat16 bit patterns.
     *
     * @param dtype F16 or BF16
     * @param bits the bit patterns in C order
     * @param shape the dimensions; their product must be {@code bits.length}
     * @return a new device tensor, which the caller closes
     * @throws InvalidInputException for another dtype or a shape that does not match
     */
    public DeviceTensor uploadHalf(DType dtype, short[] bits, long... shape) {
        return upload(Tensor.ofHalfBits(dtype, bits, shape));
    }

    /**
     * A device copy of the float32 values from the buffer's position to its limit (heap or direct).
     *
     * @param data the elements in C order; its position is not changed
     * @param shape the dimensions; their product must be the buffer's remaining floats
     * @return a new float32 device tensor, which the caller closes
     * @throws InvalidInputException if the shape does not match
     */
    public DeviceTensor upload(FloatBuffer data, long... shape) {
        FloatBuffer d = data.duplicate();
        if (d.remaining() != Tensor.numel(shape))
            throw new InvalidInputException("buffer holds " + d.remaining() + " floats, shape "
                    + Tensor.shapeString(shape) + " needs " + Tensor.numel(shape));
        return uploadWith(shape, DType.F32, (buf, start, count) -> {
            FloatBuffer src = d.duplicate();
            src.position(d.position() + (int) start).limit(d.position() + (int) start + count);
            buf.asFloatBuffer().put(src);
            buf.position(buf.position() + count * 4);
        });
    }

    /**
     * A device copy of raw little-endian elements of {@code dtype} from the buffer's position to its limit.
     *
     * @param data the elements' bytes in C order; its position is not changed
     * @param dtype their type
     * @param shape the dimensions; their product times the dtype's size must be the buffer's remaining bytes
     * @return a new device tensor, which the caller closes
     * @throws InvalidInputException if the sizes do not match
     */
    public DeviceTensor upload(ByteBuffer data, DType dtype, long... shape) {
        ByteBuffer d = data.duplicate();
        long need = Tensor.numel(shape) * dtype.byteSize();
        if (d.remaining() != need)
            throw new InvalidInputException("buffer holds " + d.remaining() + " bytes, " + Tensor.shapeString(shape)
                    + " " + dtype.label() + " needs " + need);
        return uploadWith(shape, dtype, (buf, start, count) -> {
            ByteBuffer src = d.duplicate();
            int es = dtype.byteSize();
            src.position(d.position() + (int) start * es).limit(d.position() + (int) (start + count) * es);
            buf.put(src);
        });
    }

    /**
     * An uninitialised device tensor (for outputs such as a gradient buffer).
     *
     * @param dtype its element type
     * @param shape its dimensions
     * @return a new device tensor (NaN-filled under {@code -Dxent.poison=true}), which the caller closes
     * @throws IllegalStateException if this backend is closed
     */
    public synchronized DeviceTensor allocate(DType dtype, long... shape) {
        ensureOpen();
        context.makeCurrent();
        return new DeviceTensor(this, shape, dtype);
    }

    /**
     * A .npy file straight to the device (memory-mapped, then staged).
     *
     * @param npy the file
     * @return a new device tensor of the file's shape and dtype, which the caller closes
     * @throws InvalidInputException if the file cannot be read or is not a valid .npy file
     */
    public DeviceTensor upload(Path npy) {
        return upload(Npy.read(npy));
    }

    private interface Filler {
        void fill(ByteBuffer buf, long start, int count);
    }

    /** Stages through a direct buffer of at most 64 MiB, so tensors of any size upload without a second full copy. */
    private synchronized DeviceTensor uploadWith(long[] shape, DType dtype, Filler filler) {
        ensureOpen();
        context.makeCurrent();
        DeviceTensor dt = new DeviceTensor(this, shape, dtype);
        long n = dt.numel();
        int es = dtype.byteSize();
        int perStage = (int) Math.max(1, Math.min(n, STAGE_BYTES / es));
        ByteBuffer stage = ByteBuffer.allocateDirect(perStage * es).order(ByteOrder.LITTLE_ENDIAN);
        try {
            for (long start = 0; start < n; start += perStage) {
                int count = (int) Math.min(perStage, n - start);
                stage.clear();
                filler.fill(stage, start, count);
                // on our stream, so later kernels are ordered after it (the legacy stream would not order with it);
                // from pageable memory the call returns once the stage is copied out, so the stage may be refilled
                cuMemcpyHtoDAsync(
                        dt.pointer().withByteOffset(start * es), Pointer.to(stage), (long) count * es, stream);
            }
            cuStreamSynchronize(stream); // ready for any stream the caller uses next
        } catch (RuntimeException e) {
            dt.close();
            throw e;
        }
        return dt;
    }

    // ------------------------------------------------------------------------------------------------ losses

    /**
     * A problem from host memory, or a row block of one (from {@link dev.xent.stream.BlockStream}): device memory is
     * that of the problem's own rows. The forward loss streams the rows through pinned staging ({@link #lossFromHost});
     * the gradient of a block of a 'mean' request is the gradient of its sum scaled by the request's 1/W on the host,
     * since the fused kernel divides by the W of the rows it sees.
     */
    @Override
    public LossResult loss(LossProblem p) {
        if (p.input().dtype() != DType.F64 && p.gradientOnly()) {
            Tensor target = p.probabilityTarget() ? p.target().to(DType.F32) : p.target();
            boolean scaleOnHost = p.isBlock() && p.spec().reduction() == Reduction.MEAN;
            LossSpec spec =
                    scaleOnHost ? p.spec().toBuilder().reduction(Reduction.SUM).build() : p.spec();
            try (DeviceTensor x = upload(p.input());
                    DeviceTensor y = upload(target)) {
                LossResult r = lossAndGradient(p.kind(), x, y, spec, x, true); // in place: the upload is ours
                Tensor g = x.download();
                if (scaleOnHost) g = scaled(g, 1 / p.totals().divisor());
                return r.withExtras(new LossResult.Extras(g, -1, -1, 0, null, null));
            }
        }
        if (p.input().dtype() == DType.F64 || p.needsTrainingPath()) {
            synchronized (this) {
                if (f64Path == null) f64Path = new CpuBackend();
                if (p.needsTrainingPath() && !toldTrainingOnCpu) {
                    LOG.info(
                            "gradient, accuracy, predictions, z-loss and softcap have no CUDA kernels yet: computing them on the CPU path");
                    toldTrainingOnCpu = true;
                } else if (p.input().dtype() == DType.F64 && !toldF64OnCpu) {
                    LOG.info(
                            "float64 input: computing on the CPU path (the CUDA kernels take float32, float16 and bfloat16)");
                    toldF64OnCpu = true;
                }
            }
            return f64Path.loss(p).onDevice("cpu");
        }
        return lossFromHost(p.kind(), p.input(), p.target(), p.spec());
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

    /**
     * The loss of device-resident tensors. Logits float32, float16 or bfloat16; class indices int32 or int64, or float32
     * probabilities of the logits' shape. With {@code perElement} false the per-element losses stay on the device and
     * {@link LossResult#perElement()} is null.
     *
     * @param kind cross-entropy (logits) or NLL (log-probabilities)
     * @param input the logits (or log-probabilities), (C), (N, C) or (N, C, d1..dk)
     * @param target class indices of the input's shape less the class axis, or float32 probabilities of its shape
     * @param spec the options (no z-loss or softcap here); null for {@link LossSpec#DEFAULT}
     * @param perElement true to copy the per-element losses (float32) back to the host
     * @return the loss, reduced on the device in a fixed order
     * @throws InvalidInputException for a shape, dtype or option that does not fit, or a class index out of range
     * @throws IllegalStateException if this backend is closed
     */
    public synchronized LossResult loss(
            LossKind kind, DeviceTensor input, DeviceTensor target, LossSpec spec, boolean perElement) {
        ensureOpen();
        LossProblem p = LossProblem.describe(kind, input.shape(), input.dtype(), target.shape(), target.dtype(), spec);
        if (p.probabilityTarget() && target.dtype() != DType.F32) {
            throw new InvalidInputException("probability targets on the device must be float32, got "
                    + target.dtype().label());
        }
        int rows = (int) p.rows();
        Plan plan = Plan.forRows(rows, p.classes(), multiprocessors, true);
        int flags = flags(p, input.dtype(), target.dtype(), plan);
        context.makeCurrent();
        try (DeviceTensor weights =
                p.weights() == null ? null : upload(p.spec().weights().to(DType.F32))) {
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

    /**
     * The loss of logits in host memory, end to end: the logits go to the device in chunks of rows through two pinned
     * staging buffers; while chunk k is copied, the host fills the other buffer with chunk k+1 (on several threads)
     * and the device runs the kernels of chunk k-1. Same results, to the bit, as uploading first and calling
     * {@link #loss(LossKind, DeviceTensor, DeviceTensor, LossSpec, boolean)}. Targets are checked on the host here.
     *
     * @param kind cross-entropy (logits) or NLL (log-probabilities)
     * @param logits the input, in host memory (float64 goes to the CPU path)
     * @param target class indices, or probabilities (converted to float32 for the device)
     * @param spec the options; null for {@link LossSpec#DEFAULT}
     * @return the loss, with float32 per-element losses
     * @throws InvalidInputException for a shape, dtype or option that does not fit, or a class index out of range
     * @throws IllegalStateException if this backend is closed
     */
    public synchronized LossResult lossFromHost(LossKind kind, Tensor logits, Tensor target, LossSpec spec) {
        ensureOpen();
        LossProblem p = LossProblem.of(kind, logits, target, spec);
        if (logits.dtype() == DType.F64) return loss(p);
        if (!p.probabilityTarget()) {
            for (long r = 0; r < p.rows(); r++) {
                long y = p.targetOf(r);
                if (!p.isIgnored(y) && (y < 0 || y >= p.classes())) throw p.badTarget(r, y);
            }
        }
        int rows = (int) p.rows();
        int c = p.classes();
        context.makeCurrent();
        Tensor t = p.probabilityTarget() ? target.to(DType.F32) : target;
        long outerElements = (long) c * p.inner(); // chunks are whole blocks of the outer axis
        long outers = rows / Math.max(1, p.inner());
        int es = logits.dtype().byteSize();
        long outersPerChunk = Math.max(1, stageBytes() / Math.max(1, outerElements * es));
        Plan plan = Plan.forRows((int) Math.min(rows, outersPerChunk * p.inner()), c, multiprocessors, true);
        int flags = flags(p, logits.dtype(), t.dtype(), plan);
        try (DeviceTensor x = new DeviceTensor(this, logits.shape(), logits.dtype());
                DeviceTensor y = upload(t);
                DeviceTensor weights =
                        p.weights() == null ? null : upload(p.spec().weights().to(DType.F32))) {
            scratch.ensure(rows, plan.splits());
            Staging st = staging(Math.min(stageBytes(), Math.max(1, outersPerChunk * outerElements * es)));
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

    /**
     * Loss and gradient in one pass over the logits (xent_fwdbwd_rows), after a pre-pass over the targets for the
     * 'mean' divisor. The gradient of the reduced loss (of the sum for 'none') goes to {@code grad}: the input's shape
     * and dtype; it may be {@code input} itself, and then nothing beyond the logits, the targets and a few bytes per
     * row is used. Rows are never split across blocks here.
     *
     * @param kind cross-entropy (logits) or NLL (log-probabilities)
     * @param input the logits (or log-probabilities), on the device
     * @param target class indices, or float32 probabilities, on the device
     * @param spec the options (no z-loss or softcap); null for {@link LossSpec#DEFAULT}
     * @param grad where the gradient goes: the input's shape and dtype, possibly {@code input} itself
     * @param perElement true to copy the per-element losses back to the host
     * @return the loss (its gradient is in {@code grad}, not in the result)
     * @throws InvalidInputException for a shape, dtype or option that does not fit, a gradient buffer that does not
     *     match the input, or a class index out of range
     * @throws IllegalStateException if this backend is closed
     */
    public synchronized LossResult lossAndGradient(
            LossKind kind,
            DeviceTensor input,
            DeviceTensor target,
            LossSpec spec,
            DeviceTensor grad,
            boolean perElement) {
        ensureOpen();
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
        context.makeCurrent();
        try (DeviceTensor weights =
                p.weights() == null ? null : upload(p.spec().weights().to(DType.F32))) {
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
        return new LossResult(p.spec().reduction(), value, per, sums[1], name());
    }

    private long readTarget(DeviceTensor target, long row) {
        long[] v = {0};
        int es = target.dtype().byteSize();
        cuMemcpyDtoH(Pointer.to(v), target.pointer().withByteOffset(row * es), es);
        return es == 4 ? (int) v[0] : v[0];
    }

    /** Binary cross-entropy with logits has no CUDA kernel yet: it runs on the CPU path (logged once). */
    @Override
    public LossResult bce(dev.xent.BinaryCrossEntropy p) {
        synchronized (this) {
            if (f64Path == null) f64Path = new CpuBackend();
            if (!toldBceOnCpu) {
                LOG.info("binary_cross_entropy_with_logits has no CUDA kernel yet: computing it on the CPU path");
                toldBceOnCpu = true;
            }
        }
        return f64Path.bce(p).onDevice("cpu");
    }

    /** kl_div has no CUDA kernel yet: it runs on the CPU path (logged once). */
    @Override
    public LossResult klDiv(dev.xent.KlDivergence p) {
        return cpuPath("kl_div").klDiv(p).onDevice("cpu");
    }

    /** kd and jsd have no CUDA kernel yet: they run on the CPU path (logged once). */
    @Override
    public dev.xent.Divergence.Part divergence(dev.xent.Divergence p) {
        return cpuPath("kd and jsd").divergence(p).onDevice("cpu");
    }

    private synchronized CpuBackend cpuPath(String what) {
        if (f64Path == null) f64Path = new CpuBackend();
        if (toldOnCpu.add(what)) LOG.info("{} has no CUDA kernel yet: computing it on the CPU path", what);
        return f64Path;
    }

    private final java.util.Set<String> toldOnCpu = new java.util.HashSet<>();

    // ------------------------------------------------------------------------------------------------ softmax

    @Override
    public Tensor softmax(Tensor input, int dim, boolean logOutput) {
        if (input.dtype() == DType.F64 || !input.dtype().isFloating()) {
            synchronized (this) {
                if (f64Path == null) f64Path = new CpuBackend();
            }
            return f64Path.softmax(input, dim, logOutput);
        }
        try (DeviceTensor x = upload(input);
                DeviceTensor y = softmax(x, dim, logOutput)) {
            return y.download();
        }
    }

    /**
     * softmax / log_softmax along {@code dim} of a device tensor, into a new device tensor of the same dtype.
     *
     * @param input float32, float16 or bfloat16, on this backend's device
     * @param dim the axis, negative counting from the last
     * @param logOutput true for log_softmax
     * @return a new device tensor of the input's shape and dtype, which the caller closes
     * @throws InvalidInputException for a dim out of range or more than 2^31 − 1 rows
     * @throws IllegalStateException if this backend is closed
     */
    public synchronized DeviceTensor softmax(DeviceTensor input, int dim, boolean logOutput) {
        ensureOpen();
        RowLayout rl = RowLayout.along(input.shape(), dim);
        int flags = dtypeFlag(input.dtype()) | (logOutput ? F_LOG_OUTPUT : 0);
        context.makeCurrent();
        DeviceTensor out = new DeviceTensor(this, input.shape(), input.dtype());
        long rows = rl.rows();
        if (rows > Integer.MAX_VALUE) throw new InvalidInputException("too many rows: " + rows);
        if (rows > 0 && rl.classes > 0) {
            Plan plan = Plan.forRows(rows, rl.classes, multiprocessors, false);
            kernels.xent_softmax_rows(
                    new Launch(plan.grid(), plan.block()),
                    input.pointer(),
                    out.pointer(),
                    rl.classes,
                    (int) rows,
                    rl.inner,
                    plan.group(),
                    flags);
            kernels.synchronize();
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------------ measuring

    /**
     * The device-to-device copy rate, counting bytes read plus bytes written: 1 GiB copied between two buffers, timed
     * with events, median of 10 after a warm-up. This is the ceiling a one-pass kernel is measured against.
     *
     * @return bytes per second (read plus written); it needs 2 GiB of free device memory
     */
    public synchronized double measureCopyBytesPerSecond() {
        ensureOpen();
        context.makeCurrent();
        long bytes = 1L << 30;
        CUdeviceptr a = allocator.allocate(bytes), b = allocator.allocate(bytes);
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

    // ------------------------------------------------------------------------------------------------ plumbing

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("CudaBackend is closed");
    }

    /** Bytes per pinned staging buffer of {@link #lossFromHost} (-Dxent.stageBytes, default 64 MiB). */
    static long stageBytes() {
        return dev.xent.Settings.stageBytes(STAGE_BYTES);
    }

    private Staging staging(long bytes) {
        if (stagingBuffers != null && stagingBuffers.bytes < bytes) {
            stagingBuffers.free();
            stagingBuffers = null;
        }
        if (stagingBuffers == null) stagingBuffers = new Staging(bytes);
        return stagingBuffers;
    }

    /** Two pinned host buffers, a copy stream and its events: the double buffer of {@link #lossFromHost}. */
    private final class Staging {
        final long bytes;
        final Pointer[] host = {new Pointer(), new Pointer()};
        final ByteBuffer[] view = new ByteBuffer[2];
        final CUstream copyStream = new CUstream();
        final CUevent[] copied = {new CUevent(), new CUevent()};
        final ExecutorService fillers;
        final int fillThreads = Math.max(1, Math.min(8, Runtime.getRuntime().availableProcessors()));

        Staging(long bytes) {
            this.bytes = bytes;
            for (int i = 0; i < 2; i++) {
                cuMemHostAlloc(host[i], bytes, 0);
                view[i] = host[i].getByteBuffer(0, bytes).order(ByteOrder.LITTLE_ENDIAN);
                cuEventCreate(copied[i], CUevent_flags.CU_EVENT_DISABLE_TIMING);
            }
            cuStreamCreate(copyStream, CUstream_flags.CU_STREAM_NON_BLOCKING);
            fillers = Futures.daemonPool(fillThreads, "xent-stage");
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

    /**
     * The pinned host-to-device copy rate: 512 MiB from page-locked memory, timed with events, median of 7 after two
     * warm-ups. The ceiling for logits that start in host memory.
     *
     * @return bytes per second copied from host to device
     */
    public synchronized double measurePinnedUploadBytesPerSecond() {
        ensureOpen();
        context.makeCurrent();
        long bytes = 512L << 20;
        Pointer host = new Pointer();
        cuMemHostAlloc(host, bytes, 0);
        CUdeviceptr dev = allocator.allocate(bytes);
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

    /** Per-backend work buffers, grown as needed and reused, so a call allocates nothing in the steady state. */
    private final class Scratch {
        CUdeviceptr partial, loss, weight, err, sums, blockSums;
        long partialBytes, rowBytes;

        void ensure(int rows, int splits) {
            long pb = Math.max(16, 16L * rows * splits), rb = Math.max(4, 4L * rows);
            if (err == null) {
                err = allocator.allocate(8);
                sums = allocator.allocate(16);
                blockSums = allocator.allocate(16L * MAX_REDUCE_BLOCKS);
            }
            if (pb > partialBytes) {
                if (partial != null) allocator.free(partial, partialBytes);
                partial = allocator.allocate(pb);
                partialBytes = pb;
            }
            if (rb > rowBytes) {
                if (loss != null) {
                    allocator.free(loss, rowBytes);
                    allocator.free(weight, rowBytes);
                }
                loss = allocator.allocate(rb);
                weight = allocator.allocate(rb);
                rowBytes = rb;
            }
        }

        void free() {
            if (err != null) {
                allocator.free(err, 8);
                allocator.free(sums, 16);
                allocator.free(blockSums, 16L * MAX_REDUCE_BLOCKS);
                err = null;
            }
            if (partial != null) {
                allocator.free(partial, partialBytes);
                partial = null;
                partialBytes = 0;
            }
            if (loss != null) {
                allocator.free(loss, rowBytes);
                allocator.free(weight, rowBytes);
                loss = null;
                rowBytes = 0;
            }
        }
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            context.makeCurrent();
            cuCtxSynchronize();
            scratch.free();
            if (stagingBuffers != null) stagingBuffers.free();
            cuEventDestroy(lossStart);
            cuEventDestroy(lossStop);
            cuStreamDestroy(stream);
            kernels.close();
            if (f64Path != null) f64Path.close();
            allocator.close(); // throws if a DeviceTensor of this backend is still open
        } finally {
            context.close();
        }
    }
}
