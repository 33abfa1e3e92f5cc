package dev.xent.cuda;

import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;

import dev.xent.DType;
import dev.xent.Tensor;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicLong;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tensor in device memory: shape, dtype and the memory, owned. Made by {@link CudaBackend}'s upload methods.
 * {@link #close()} frees it (idempotent). A tensor that becomes unreachable unclosed is reported by a Cleaner (logged
 * and counted in {@link #unclosedCount()}), not silently freed: the owner must close it.
 */
public final class DeviceTensor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DeviceTensor.class);
    private static final Cleaner CLEANER = Cleaner.create();
    private static final AtomicLong UNCLOSED = new AtomicLong();
    private static final AtomicLong OPEN_BYTES = new AtomicLong();

    private final CudaBackend owner;
    private final long[] shape;
    private final DType dtype;
    private final long bytes;
    private final CUdeviceptr ptr;
    private final Watch watch;
    private final Cleaner.Cleanable cleanable;

    /** The Cleaner's action: it holds no reference to the tensor, only to what it needs to report. */
    private static final class Watch implements Runnable {
        final String what;
        volatile boolean closed;

        Watch(String what) {
            this.what = what;
        }

        @Override
        public void run() {
            if (closed) return;
            UNCLOSED.incrementAndGet();
            LOG.error(
                    "a DeviceTensor {} was never closed: its device memory stays allocated until its backend closes",
                    what);
        }
    }

    DeviceTensor(CudaBackend owner, long[] shape, DType dtype) {
        this.owner = owner;
        this.shape = shape.clone();
        this.dtype = dtype;
        this.bytes = Tensor.numel(shape) * dtype.byteSize();
        String what = Tensor.shapeString(shape) + " " + dtype.label();
        this.ptr = owner.allocator().allocate(bytes, "a tensor " + what);
        OPEN_BYTES.addAndGet(bytes);
        this.watch = new Watch(what);
        this.cleanable = CLEANER.register(this, watch);
    }

    /** {@return bytes held by DeviceTensors not yet closed, in this JVM (backend scratch not included)} */
    public static long openBytes() {
        return OPEN_BYTES.get();
    }

    /** {@return tensors that were garbage-collected without being closed, in this JVM so far} */
    public static long unclosedCount() {
        return UNCLOSED.get();
    }

    /** {@return the dimensions, a copy} */
    public long[] shape() {
        return shape.clone();
    }

    /** {@return the element type} */
    public DType dtype() {
        return dtype;
    }

    /** {@return the number of elements} */
    public long numel() {
        return Tensor.numel(shape);
    }

    /** {@return the device memory it holds, in bytes} */
    public long byteSize() {
        return bytes;
    }

    /** {@return true once {@link #close()} has run} */
    public boolean isClosed() {
        return watch.closed;
    }

    CUdeviceptr pointer() {
        if (watch.closed) throw new IllegalStateException("DeviceTensor " + watch.what + " is closed");
        return ptr;
    }

    CudaBackend owner() {
        return owner;
    }

    /**
     * Copies the tensor to host memory, after the backend's pending work.
     *
     * @return a new array-backed host tensor of this shape and dtype
     * @throws IllegalStateException if this tensor is closed
     * @throws ArithmeticException if it holds more than 2^31 − 1 bytes (one host buffer)
     */
    public Tensor download() {
        owner.context().makeCurrent();
        owner.synchronize();
        ByteBuffer b = ByteBuffer.allocateDirect(Math.toIntExact(bytes)).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes > 0) cuMemcpyDtoH(Pointer.to(b), pointer(), bytes);
        int n = Math.toIntExact(numel());
        switch (dtype) {
            case F32: {
                float[] a = new float[n];
                b.asFloatBuffer().get(a);
                return Tensor.of(a, shape);
            }
            case F64: {
                double[] a = new double[n];
                b.asDoubleBuffer().get(a);
                return Tensor.of(a, shape);
            }
            case F16:
            case BF16: {
                short[] a = new short[n];
                b.asShortBuffer().get(a);
                return Tensor.ofHalfBits(dtype, a, shape);
            }
            case I32: {
                int[] a = new int[n];
                b.asIntBuffer().get(a);
                return Tensor.of(a, shape);
            }
            default: {
                long[] a = new long[n];
                b.asLongBuffer().get(a);
                return Tensor.of(a, shape);
            }
        }
    }

    @Override
    public void close() {
        synchronized (watch) {
            if (watch.closed) return;
            watch.closed = true;
        }
        owner.context().makeCurrent();
        owner.allocator().free(ptr, bytes);
        OPEN_BYTES.addAndGet(-bytes);
        cleanable.clean(); // runs Watch, which sees closed and says nothing
    }

    @Override
    public String toString() {
        return "DeviceTensor" + Tensor.shapeString(shape) + " " + dtype.label();
    }
}
