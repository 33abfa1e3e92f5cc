package dev.xent;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Element storage behind a {@link Tensor}, addressed by 64-bit element index. Either one Java array (up to 2^31 - 9
 * elements) or a list of little-endian buffer chunks of 2^chunkShift elements each (memory-mapped files of any size).
 */
abstract class Storage {
    final DType dtype;

    Storage(DType dtype) { this.dtype = dtype; }

    abstract long size();

    abstract double getDouble(long i);

    abstract long getLong(long i);

    /** Reads {@code len} elements starting at {@code start}, {@code stride} apart, converted to float. */
    abstract void readFloats(long start, long stride, float[] dst, int off, int len);

    /** Reads {@code len} elements starting at {@code start}, {@code stride} apart, converted to double. */
    abstract void readDoubles(long start, long stride, double[] dst, int off, int len);

    /** The backing float32 array when there is one, so hot loops can read it in place; else null. */
    float[] floatArray() { return null; }

    /** The backing array of float16 / bfloat16 bits, if array-backed. */
    short[] halfBitsArray() { return null; }

    /** Copies all elements as little-endian bytes into {@code dst} (for uploads and file writes). */
    void copyBytesTo(ByteBuffer dst) { copyBytesTo(dst, 0, Math.toIntExact(size())); }

    /** Copies elements [start, start + count) as little-endian bytes into {@code dst} from its position on. */
    abstract void copyBytesTo(ByteBuffer dst, long start, int count);

    // ---------------------------------------------------------------------------------------------------------

    static final class ArrayStorage extends Storage {
        final Object array; // float[], double[], short[] (f16/bf16 bits), int[] or long[]
        private final int length;

        ArrayStorage(DType dtype, Object array) {
            super(dtype);
            this.array = array;
            this.length = java.lang.reflect.Array.getLength(array);
        }

        @Override long size() { return length; }

        @Override float[] floatArray() { return dtype == DType.F32 ? (float[]) array : null; }

        @Override short[] halfBitsArray() { return dtype == DType.F16 || dtype == DType.BF16 ? (short[]) array : null; }

        @Override double getDouble(long i) {
            int k = Math.toIntExact(i);
            switch (dtype) {
                case F32: return ((float[]) array)[k];
                case F64: return ((double[]) array)[k];
                case F16: return Half.toFloat(((short[]) array)[k]);
                case BF16: return Half.bf16ToFloat(((short[]) array)[k]);
                case I32: return ((int[]) array)[k];
                default: return ((long[]) array)[k];
            }
        }

        @Override long getLong(long i) {
            int k = Math.toIntExact(i);
            switch (dtype) {
                case I32: return ((int[]) array)[k];
                case I64: return ((long[]) array)[k];
                default: return (long) getDouble(i);
            }
        }

        @Override void readFloats(long start, long stride, float[] dst, int off, int len) {
            int s = Math.toIntExact(start), st = Math.toIntExact(stride);
            if (dtype == DType.F32 && st == 1) {
                System.arraycopy(array, s, dst, off, len);
                return;
            }
            switch (dtype) {
                case F32: { float[] a = (float[]) array; for (int j = 0; j < len; j++) dst[off + j] = a[s + j * st]; break; }
                case F16: { short[] a = (short[]) array; for (int j = 0; j < len; j++) dst[off + j] = Half.toFloat(a[s + j * st]); break; }
                case BF16: { short[] a = (short[]) array; for (int j = 0; j < len; j++) dst[off + j] = Half.bf16ToFloat(a[s + j * st]); break; }
                default: for (int j = 0; j < len; j++) dst[off + j] = (float) getDouble(s + (long) j * st);
            }
        }

        @Override void readDoubles(long start, long stride, double[] dst, int off, int len) {
            int s = Math.toIntExact(start), st = Math.toIntExact(stride);
            if (dtype == DType.F64) {
                double[] a = (double[]) array;
                for (int j = 0; j < len; j++) dst[off + j] = a[s + j * st];
                return;
            }
            for (int j = 0; j < len; j++) dst[off + j] = getDouble(s + (long) j * st);
        }

        @Override void copyBytesTo(ByteBuffer dst, long start, int count) {
            ByteBuffer b = dst.order(ByteOrder.LITTLE_ENDIAN);
            int s = Math.toIntExact(start);
            switch (dtype) {
                case F32: b.asFloatBuffer().put((float[]) array, s, count); break;
                case F64: b.asDoubleBuffer().put((double[]) array, s, count); break;
                case F16: case BF16: b.asShortBuffer().put((short[]) array, s, count); break;
                case I32: b.asIntBuffer().put((int[]) array, s, count); break;
                default: b.asLongBuffer().put((long[]) array, s, count);
            }
            b.position(b.position() + count * dtype.byteSize());
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    static final class ChunkedStorage extends Storage {
        private final ByteBuffer[] chunks;
        private final int shift;
        private final long mask;
        private final long size;
        private final int esize;

        /** Each chunk holds exactly 2^shift elements (the last may hold fewer), little-endian. */
        ChunkedStorage(DType dtype, ByteBuffer[] chunks, int shift, long size) {
            super(dtype);
            this.chunks = chunks;
            for (ByteBuffer c : chunks) c.order(ByteOrder.LITTLE_ENDIAN);
            this.shift = shift;
            this.mask = (1L << shift) - 1;
            this.size = size;
            this.esize = dtype.byteSize();
        }

        @Override long size() { return size; }

        private ByteBuffer chunk(long i) { return chunks[(int) (i >>> shift)]; }

        private int pos(long i) { return (int) (i & mask) * esize; }

        @Override double getDouble(long i) {
            ByteBuffer c = chunk(i);
            int p = pos(i);
            switch (dtype) {
                case F32: return c.getFloat(p);
                case F64: return c.getDouble(p);
                case F16: return Half.toFloat(c.getShort(p));
                case BF16: return Half.bf16ToFloat(c.getShort(p));
                case I32: return c.getInt(p);
                default: return c.getLong(p);
            }
        }

        @Override long getLong(long i) {
            ByteBuffer c = chunk(i);
            int p = pos(i);
            switch (dtype) {
                case I32: return c.getInt(p);
                case I64: return c.getLong(p);
                default: return (long) getDouble(i);
            }
        }

        @Override void readFloats(long start, long stride, float[] dst, int off, int len) {
            if (stride == 1 && dtype == DType.F32) {
                int done = 0;
                while (done < len) { // a contiguous run may cross chunk boundaries
                    long i = start + done;
                    int inChunk = (int) Math.min(len - done, (1L << shift) - (i & mask));
                    chunk(i).asFloatBuffer().get((int) (i & mask), dst, off + done, inChunk);
                    done += inChunk;
                }
                return;
            }
            if (dtype == DType.F16 || dtype == DType.BF16) {
                boolean bf = dtype == DType.BF16;
                for (int j = 0; j < len; j++) {
                    long i = start + j * stride;
                    short h = chunk(i).getShort(pos(i));
                    dst[off + j] = bf ? Half.bf16ToFloat(h) : Half.toFloat(h);
                }
                return;
            }
            for (int j = 0; j < len; j++) dst[off + j] = (float) getDouble(start + j * stride);
        }

        @Override void readDoubles(long start, long stride, double[] dst, int off, int len) {
            for (int j = 0; j < len; j++) dst[off + j] = getDouble(start + j * stride);
        }

        @Override void copyBytesTo(ByteBuffer dst, long start, int count) {
            int done = 0;
            while (done < count) { // a range may cross chunk boundaries
                long i = start + done;
                int inChunk = (int) Math.min(count - done, (1L << shift) - (i & mask));
                ByteBuffer c = chunk(i).duplicate();
                c.limit(pos(i) + inChunk * esize).position(pos(i));
                dst.put(c);
                done += inChunk;
            }
        }
    }
}
