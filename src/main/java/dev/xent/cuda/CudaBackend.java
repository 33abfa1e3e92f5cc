package dev.xent.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSynchronize;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;

import dev.xent.Backend;
import dev.xent.DType;
import dev.xent.InvalidInputException;
import dev.xent.LossKind;
import dev.xent.LossProblem;
import dev.xent.LossResult;
import dev.xent.LossSpec;
import dev.xent.RowLayout;
import dev.xent.Tensor;
import dev.xent.io.Npy;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Set;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Losses on an NVIDIA GPU through the JCuda driver API and the hand-written kernels in {@code cuda/xent.ptx}. One
 * primary context, one stream, kernels loaded once. Calls are serialised on this object (each makes the context current
 * on its own thread), so one backend may be shared by many threads. What has no kernel ({@link Capability#ON_CUDA})
 * runs on the CPU path, logged once. This class dispatches; the parts are {@code Kernels} (one typed method per PTX
 * entry), {@code Uploads} and {@code Staging}, {@code DeviceLosses} with its {@code Scratch}, {@code Rates} and
 * {@code CpuFallback}.
 */
public final class CudaBackend implements Backend {
    private static final Logger LOG = LoggerFactory.getLogger(CudaBackend.class);

    private final CudaContext context;
    private final DeviceAllocator allocator = new DeviceAllocator("CudaBackend");
    private final CUstream stream = new CUstream();
    private final Kernels kernels;
    private final int multiprocessors;
    private final DeviceLosses losses;
    private final CpuFallback cpu = new CpuFallback();
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
        int[] sm = {0};
        cuDeviceGetAttribute(sm, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, context.device());
        multiprocessors = sm[0];
        losses = new DeviceLosses(this, allocator, stream, kernels, multiprocessors);
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
        return losses.lastDeviceSeconds();
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
        return uploadWith(t.shape(), t.dtype(), Uploads.of(t));
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
        return uploadWith(shape, DType.F32, Uploads.of(data, shape));
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
        return uploadWith(shape, dtype, Uploads.of(data, dtype, shape));
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

    private synchronized DeviceTensor uploadWith(long[] shape, DType dtype, Uploads.Filler filler) {
        ensureOpen();
        context.makeCurrent();
        return Uploads.copy(this, stream, shape, dtype, filler);
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
        Set<Capability> missing = Capability.missing(Capability.needs(p));
        if (!missing.isEmpty()) return cpu.forMissing(missing).loss(p).onDevice("cpu");
        if (p.outputs().gradient()) return losses.gradientFromHost(p);
        return lossFromHost(p.kind(), p.input(), p.target(), p.spec());
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
        return losses.loss(kind, input, target, spec, perElement);
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
        return losses.fromHost(p, logits, target);
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
        return losses.withGradient(kind, input, target, spec, grad, perElement);
    }

    /** Binary cross-entropy with logits has no CUDA kernel yet: it runs on the CPU path (logged once). */
    @Override
    public LossResult bce(dev.xent.BinaryCrossEntropy p) {
        return cpu.forMissing(Capability.BCE).bce(p).onDevice("cpu");
    }

    /** kl_div has no CUDA kernel yet: it runs on the CPU path (logged once). */
    @Override
    public LossResult klDiv(dev.xent.KlDivergence p) {
        return cpu.forMissing(Capability.KL_DIV).klDiv(p).onDevice("cpu");
    }

    /** kd and jsd have no CUDA kernel yet: they run on the CPU path (logged once). */
    @Override
    public dev.xent.Divergence.Part divergence(dev.xent.Divergence p) {
        return cpu.forMissing(Capability.KD_JSD).divergence(p).onDevice("cpu");
    }

    /** float64 (and any non-floating input) goes to the CPU path without a log line, as it always has. */
    @Override
    public Tensor softmax(Tensor input, int dim, boolean logOutput) {
        Capability d = Capability.of(input.dtype());
        if (d == null || !Capability.onCuda(Capability.SOFTMAX, d))
            return cpu.quietly().softmax(input, dim, logOutput);
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
        int flags = KernelFlags.dtypeFlag(input.dtype()) | (logOutput ? KernelFlags.F_LOG_OUTPUT : 0);
        context.makeCurrent();
        DeviceTensor out = new DeviceTensor(this, input.shape(), input.dtype());
        long rows = rl.rows();
        if (rows > Integer.MAX_VALUE) throw new InvalidInputException("too many rows: " + rows);
        if (rows > 0 && rl.classes > 0) {
            Plan plan = Plan.forRows(rows, rl.classes, multiprocessors, false);
            kernels.xent_softmax_rows(
                    new Kernels.Launch(plan.grid(), plan.block()),
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

    /**
     * The device-to-device copy rate, counting bytes read plus bytes written: 1 GiB copied between two buffers, timed
     * with events, median of 10 after a warm-up. This is the ceiling a one-pass kernel is measured against.
     *
     * @return bytes per second (read plus written); it needs 2 GiB of free device memory
     */
    public synchronized double measureCopyBytesPerSecond() {
        ensureOpen();
        context.makeCurrent();
        return Rates.deviceCopy(allocator, stream);
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
        return Rates.pinnedUpload(allocator, stream);
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("CudaBackend is closed");
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            context.makeCurrent();
            cuCtxSynchronize();
            losses.close();
            cuStreamDestroy(stream);
            kernels.close();
            cpu.close();
            allocator.close(); // throws if a DeviceTensor of this backend is still open
        } finally {
            context.close();
        }
    }
}
