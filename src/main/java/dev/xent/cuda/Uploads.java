package dev.xent.cuda;

import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import dev.xent.DType;
import dev.xent.InvalidInputException;
import dev.xent.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import jcuda.Pointer;
import jcuda.driver.CUstream;

/**
 * Host to device copies of whole tensors, staged through a direct buffer of at most 64 MiB, so tensors of any size
 * upload without a second full copy. The fillers check their source when they are made; {@link #copy} runs under the
 * backend's lock, as every CUDA call of a backend does.
 */
final class Uploads {
    private Uploads() {}

    /** Writes elements [start, start + count) of a source into a stage, little-endian, advancing its position. */
    interface Filler {
        void fill(ByteBuffer buf, long start, int count);
    }

    static Filler of(Tensor t) {
        return (buf, start, count) -> t.copyBytesTo(buf, start, count);
    }

    static Filler of(FloatBuffer data, long[] shape) {
        FloatBuffer d = data.duplicate();
        if (d.remaining() != Tensor.numel(shape))
            throw new InvalidInputException("buffer holds " + d.remaining() + " floats, shape "
                    + Tensor.shapeString(shape) + " needs " + Tensor.numel(shape));
        return (buf, start, count) -> {
            FloatBuffer src = d.duplicate();
            src.position(d.position() + (int) start).limit(d.position() + (int) start + count);
            buf.asFloatBuffer().put(src);
            buf.position(buf.position() + count * 4);
        };
    }

    static Filler of(ByteBuffer data, DType dtype, long[] shape) {
        ByteBuffer d = data.duplicate();
        long need = Tensor.numel(shape) * dtype.byteSize();
        if (d.remaining() != need)
            throw new InvalidInputException("buffer holds " + d.remaining() + " bytes, " + Tensor.shapeString(shape)
                    + " " + dtype.label() + " needs " + need);
        return (buf, start, count) -> {
            ByteBuffer src = d.duplicate();
            int es = dtype.byteSize();
            src.position(d.position() + (int) start * es).limit(d.position() + (int) (start + count) * es);
            buf.put(src);
        };
    }

    /** A new device tensor of {@code owner}, filled stage by stage on {@code stream}; the context is current. */
    static DeviceTensor copy(CudaBackend owner, CUstream stream, long[] shape, DType dtype, Filler filler) {
        DeviceTensor dt = new DeviceTensor(owner, shape, dtype);
        long n = dt.numel();
        int es = dtype.byteSize();
        int perStage = (int) Math.max(1, Math.min(n, Staging.STAGE_BYTES / es));
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
}
