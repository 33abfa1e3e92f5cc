package dev.xent.io;

import dev.xent.DType;
import dev.xent.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One .npy output of an {@link OutputSet}: the header is written when it is opened, then blocks of elements at any
 * position, in any order (each element once), converted to the file's dtype. Through a bounded direct buffer, so a
 * block costs no second heap copy.
 */
public final class NpyWriter {
    private static final int BUFFER_BYTES = dev.xent.Settings.Tuning.IO_WRITE_BUFFER_BYTES;

    private final OutputSet.Output out;
    private final DType dtype;
    private final long numel;
    private final long dataOffset;
    private final ByteBuffer buffer;

    NpyWriter(OutputSet.Output out, DType dtype, long[] shape) {
        this.out = out;
        this.dtype = dtype;
        this.numel = Tensor.numel(shape);
        ByteBuffer head = Npy.header(dtype, shape);
        this.dataOffset = head.remaining();
        this.buffer = ByteBuffer.allocateDirect(
                        (int) Math.min(BUFFER_BYTES, Math.max(dtype.byteSize(), numel * dtype.byteSize())))
                .order(ByteOrder.LITTLE_ENDIAN);
        writeAt(head, 0);
    }

    /** Header and data bytes of the finished file. */
    long totalBytes() {
        return dataOffset + numel * dtype.byteSize();
    }

    /** {@return the file this writer will replace} */
    public java.nio.file.Path target() {
        return out.target;
    }

    /**
     * Writes {@code block}'s elements (any dtype; converted) as elements [first, first + block.numel()).
     *
     * @param first the flat index in the output of the block's first element
     * @param block the elements, C order; converted to the file's dtype as {@link Tensor#to} converts
     * @throws IndexOutOfBoundsException if the range lies outside the output
     * @throws dev.xent.InvalidInputException if the write fails
     */
    public synchronized void write(long first, Tensor block) {
        long n = block.numel();
        if (first < 0 || n > numel - first)
            throw new IndexOutOfBoundsException("elements [" + first + ", " + (first + n) + ") of " + numel);
        int es = dtype.byteSize();
        int per = buffer.capacity() / es;
        boolean same = block.dtype() == dtype;
        for (long done = 0; done < n; ) {
            int k = (int) Math.min(per, n - done);
            buffer.clear();
            if (same) {
                block.copyBytesTo(buffer, done, k);
            } else {
                convert(block, done, k);
            }
            buffer.flip();
            writeAt(buffer, dataOffset + (first + done) * es);
            done += k;
        }
    }

    private void convert(Tensor block, long from, int k) {
        switch (dtype) {
            case F32: {
                float[] v = new float[k];
                block.readFloats(from, 1, v, 0, k);
                buffer.asFloatBuffer().put(v);
                break;
            }
            case F64: {
                double[] v = new double[k];
                block.readDoubles(from, 1, v, 0, k);
                buffer.asDoubleBuffer().put(v);
                break;
            }
            case F16: {
                float[] v = new float[k];
                block.readFloats(from, 1, v, 0, k);
                for (int j = 0; j < k; j++) buffer.putShort(j * 2, dev.xent.Half.fromFloat(v[j]));
                break;
            }
            case I64: {
                long[] v = new long[k];
                block.readLongs(from, v, 0, k);
                buffer.asLongBuffer().put(v);
                break;
            }
            default:
                throw new IllegalArgumentException(
                        "cannot write " + block.dtype().label() + " as " + dtype.label());
        }
        buffer.position(k * dtype.byteSize());
    }

    private void writeAt(ByteBuffer b, long position) {
        long bytes = b.remaining();
        try {
            long at = position;
            while (b.hasRemaining()) at += out.channel.write(b, at);
        } catch (IOException e) {
            throw OutputSet.cannotWrite(out.target, e);
        }
        out.wrote(bytes);
    }
}
