package dev.xent;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

// Over 400 lines: The three storages (heap arrays, mapped segments, chunked shards) behind one set of typed reads.
/**
 * Element storage behind a {@link Tensor}, addressed by 64-bit element index: a range of one Java array, little-endian
 * byte segments (memory-mapped files of any size), or a concatenation of other storages (shards). Every kind can be
 * narrowed to a view of a range without copying, which is how row blocks are cut.
 */
abstract class Storage {
    final DType dtype;

    Storage(DType dtype) {
        this.dtype = dtype;
    }

    abstract long size();

    abstract double getDouble(long i);

    abstract long getLong(long i);

    /** Reads {@code len} elements starting at {@code start}, {@code stride} apart, converted to float. */
    abstract void readFloats(long start, long stride, float[] dst, int off, int len);

    /** Reads {@code len} elements starting at {@code start}, {@code stride} apart, converted to double. */
    abstract void readDoubles(long start, long stride, double[] dst, int off, int len);

    /** Reads {@code len} contiguous elements from {@code start} as longs (integers exactly, floats truncated). */
    void readLongs(long start, long[] dst, int off, int len) {
        for (int j = 0; j < len; j++) dst[off + j] = getLong(start + j);
    }

    /** Reads {@code len} contiguous float16 / bfloat16 patterns from {@code start} (16-bit types only). */
    abstract void readHalfBits(long start, short[] dst, int off, int len);

    /**
     * Elements [start, start + count) as a little-endian buffer of their own bytes when they lie in one segment of a
     * mapped file (read in place by vector loads); null otherwise.
     */
    ByteBuffer region(long start, long count) {
        return null;
    }

    /** The backing float32 array when there is one, so hot loops can read it in place (from {@link #arrayOffset}); else null. */
    float[] floatArray() {
        return null;
    }

    /** The backing array of float16 / bfloat16 bits, if array-backed (from {@link #arrayOffset}). */
    short[] halfBitsArray() {
        return null;
    }

    /** Index in the backing array of element 0 (0 when there is no array). */
    int arrayOffset() {
        return 0;
    }

    /** Copies elements [start, start + count) as little-endian bytes into {@code dst} from its position on. */
    abstract void copyBytesTo(ByteBuffer dst, long start, int count);

    /** Elements [start, start + count) as a storage of their own, sharing these elements. */
    abstract Storage view(long start, long count);

    /** True when the elements were stored as bool (numpy's '|b1', safetensors' BOOL) and read as 0 and 1. */
    boolean holdsBool() {
        return false;
    }

    final void checkRange(long start, long count) {
        if (start < 0 || count < 0 || start > size() - count) {
            throw new IndexOutOfBoundsException(
                    "range [" + start + ", " + start + " + " + count + ") of " + size() + " elements");
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    static final class ArrayStorage extends Storage {
        final Object array; // float[], double[], short[] (f16/bf16 bits), int[] or long[]
        private final int offset;
        private final int length;

        ArrayStorage(DType dtype, Object array) {
            this(dtype, array, 0, java.lang.reflect.Array.getLength(array));
        }

        ArrayStorage(DType dtype, Object array, int offset, int length) {
            super(dtype);
            this.array = array;
            this.offset = offset;
            this.length = length;
        }

        @Override
        long size() {
            return length;
        }

        @Override
        float[] floatArray() {
            return dtype == DType.F32 ? (float[]) array : null;
        }

        @Override
        short[] halfBitsArray() {
            return dtype == DType.F16 || dtype == DType.BF16 ? (short[]) array : null;
        }

        @Override
        int arrayOffset() {
            return offset;
        }

        @Override
        Storage view(long start, long count) {
            checkRange(start, count);
            return new ArrayStorage(dtype, array, offset + (int) start, (int) count);
        }

        private int at(long i) {
            if (i < 0 || i >= length) throw new IndexOutOfBoundsException("element " + i + " of " + length);
            return offset + (int) i;
        }

        @Override
        double getDouble(long i) {
            int k = at(i);
            switch (dtype) {
                case F32:
                    return ((float[]) array)[k];
                case F64:
                    return ((double[]) array)[k];
                case F16:
                    return Half.toFloat(((short[]) array)[k]);
                case BF16:
                    return Half.bf16ToFloat(((short[]) array)[k]);
                case I32:
                    return ((int[]) array)[k];
                default:
                    return ((long[]) array)[k];
            }
        }

        @Override
        long getLong(long i) {
            int k = at(i);
            switch (dtype) {
                case I32:
                    return ((int[]) array)[k];
                case I64:
                    return ((long[]) array)[k];
                default:
                    return (long) getDouble(i);
            }
        }

        @Override
        void readLongs(long start, long[] dst, int off, int len) {
            checkRange(start, len);
            int s = offset + (int) start;
            if (dtype == DType.I64) System.arraycopy(array, s, dst, off, len);
            else if (dtype == DType.I32) {
                int[] a = (int[]) array;
                for (int j = 0; j < len; j++) dst[off + j] = a[s + j];
            } else super.readLongs(start, dst, off, len);
        }

        @Override
        void readHalfBits(long start, short[] dst, int off, int len) {
            if (halfBitsArray() == null) throw new IllegalStateException(dtype + " is not a 16-bit float type");
            checkRange(start, len);
            System.arraycopy(array, offset + (int) start, dst, off, len);
        }

        @Override
        void readFloats(long start, long stride, float[] dst, int off, int len) {
            if (len == 0) return;
            checkRange(start, (len - 1) * stride + 1);
            int s = offset + (int) start, st = (int) stride;
            if (dtype == DType.F32 && st == 1) {
                System.arraycopy(array, s, dst, off, len);
                return;
            }
            switch (dtype) {
                case F32: {
                    float[] a = (float[]) array;
                    for (int j = 0; j < len; j++) dst[off + j] = a[s + j * st];
                    break;
                }
                case F16: {
                    short[] a = (short[]) array;
                    for (int j = 0; j < len; j++) dst[off + j] = Half.toFloat(a[s + j * st]);
                    break;
                }
                case BF16: {
                    short[] a = (short[]) array;
                    for (int j = 0; j < len; j++) dst[off + j] = Half.bf16ToFloat(a[s + j * st]);
                    break;
                }
                default:
                    for (int j = 0; j < len; j++) dst[off + j] = (float) getDouble(start + (long) j * st);
            }
        }

        @Override
        void readDoubles(long start, long stride, double[] dst, int off, int len) {
            if (len == 0) return;
            checkRange(start, (len - 1) * stride + 1);
            int s = offset + (int) start, st = (int) stride;
            if (dtype == DType.F64) {
                double[] a = (double[]) array;
                for (int j = 0; j < len; j++) dst[off + j] = a[s + j * st];
                return;
            }
            for (int j = 0; j < len; j++) dst[off + j] = getDouble(start + (long) j * st);
        }

        @Override
        void copyBytesTo(ByteBuffer dst, long start, int count) {
            checkRange(start, count);
            ByteBuffer b = dst.order(ByteOrder.LITTLE_ENDIAN);
            int s = offset + (int) start;
            switch (dtype) {
                case F32:
                    b.asFloatBuffer().put((float[]) array, s, count);
                    break;
                case F64:
                    b.asDoubleBuffer().put((double[]) array, s, count);
                    break;
                case F16:
                case BF16:
                    b.asShortBuffer().put((short[]) array, s, count);
                    break;
                case I32:
                    b.asIntBuffer().put((int[]) array, s, count);
                    break;
                default:
                    b.asLongBuffer().put((long[]) array, s, count);
            }
            b.position(b.position() + count * dtype.byteSize());
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    /**
     * Little-endian elements in a sequence of byte segments (mappings of at most 1 GiB each), each holding whole
     * elements. Stored elements may be narrower than the logical type: int8, uint8, bool and int16 read as int32.
     */
    static final class SegmentStorage extends Storage {
        private final ByteBuffer[] segments;
        private final long[] firstElement; // of each segment, plus the total at the end
        private final int width; // bytes per stored element
        private final boolean unsigned; // 1-byte elements: uint8 and bool
        private final boolean bool; // bool: any non-zero byte is True (1), as numpy reads it
        private final long start, size; // this view: elements [start, start + size) of the segments

        SegmentStorage(DType dtype, int width, boolean unsigned, boolean bool, ByteBuffer[] segments) {
            super(dtype);
            this.width = width;
            this.unsigned = unsigned;
            this.bool = bool;
            this.segments = segments.clone();
            this.firstElement = new long[segments.length + 1];
            for (int k = 0; k < segments.length; k++) {
                ByteBuffer s = this.segments[k].duplicate().order(ByteOrder.LITTLE_ENDIAN);
                if (s.remaining() % width != 0)
                    throw new IllegalArgumentException("segment " + k + " holds a partial element");
                this.segments[k] = s.slice().order(ByteOrder.LITTLE_ENDIAN);
                firstElement[k + 1] = firstElement[k] + s.remaining() / width;
            }
            this.start = 0;
            this.size = firstElement[segments.length];
        }

        private SegmentStorage(SegmentStorage o, long start, long size) {
            super(o.dtype);
            this.segments = o.segments;
            this.firstElement = o.firstElement;
            this.width = o.width;
            this.unsigned = o.unsigned;
            this.bool = o.bool;
            this.start = start;
            this.size = size;
        }

        @Override
        long size() {
            return size;
        }

        @Override
        Storage view(long from, long count) {
            checkRange(from, count);
            return new SegmentStorage(this, start + from, count);
        }

        @Override
        boolean holdsBool() {
            return bool;
        }

        @Override
        ByteBuffer region(long from, long count) {
            if (width != dtype.byteSize() || count == 0) return null;
            checkRange(from, count);
            long e = start + from;
            int k = segment(e);
            if (e + count > firstElement[k + 1]) return null;
            return segments[k]
                    .slice((int) (e - firstElement[k]) * width, (int) count * width)
                    .order(ByteOrder.LITTLE_ENDIAN);
        }

        /** The segment holding absolute element e. */
        private int segment(long e) {
            int k = Arrays.binarySearch(firstElement, e);
            return k >= 0 ? Math.min(k, segments.length - 1) : -k - 2;
        }

        private long absolute(long i) {
            if (i < 0 || i >= size) throw new IndexOutOfBoundsException("element " + i + " of " + size);
            return start + i;
        }

        /** Reads stored element at byte position p of segment s as a long (integer types). */
        private long rawLong(ByteBuffer s, int p) {
            switch (width) {
                case 1:
                    return bool ? (s.get(p) != 0 ? 1 : 0) : unsigned ? s.get(p) & 0xff : s.get(p);
                case 2:
                    return s.getShort(p);
                case 4:
                    return s.getInt(p);
                default:
                    return s.getLong(p);
            }
        }

        @Override
        double getDouble(long i) {
            long e = absolute(i);
            int k = segment(e);
            ByteBuffer s = segments[k];
            int p = (int) (e - firstElement[k]) * width;
            switch (dtype) {
                case F32:
                    return s.getFloat(p);
                case F64:
                    return s.getDouble(p);
                case F16:
                    return Half.toFloat(s.getShort(p));
                case BF16:
                    return Half.bf16ToFloat(s.getShort(p));
                default:
                    return rawLong(s, p);
            }
        }

        @Override
        long getLong(long i) {
            if (dtype.isFloating()) return (long) getDouble(i);
            long e = absolute(i);
            int k = segment(e);
            return rawLong(segments[k], (int) (e - firstElement[k]) * width);
        }

        /** Calls body(segment, element offset in it, destination offset, count) over contiguous [from, from + len). */
        private void forRuns(long from, int len, RunBody body) {
            if (len == 0) return;
            checkRange(from, len);
            long e = start + from;
            int done = 0;
            int k = segment(e);
            while (done < len) {
                int in = (int) (e - firstElement[k]);
                int n = (int) Math.min(len - done, firstElement[k + 1] - e);
                body.run(segments[k], in, done, n);
                done += n;
                e += n;
                k++;
            }
        }

        private interface RunBody {
            void run(ByteBuffer segment, int element, int done, int count);
        }

        @Override
        void readFloats(long from, long stride, float[] dst, int off, int len) {
            if (stride == 1 && dtype == DType.F32) {
                forRuns(from, len, (s, in, done, n) -> s.asFloatBuffer().get(in, dst, off + done, n));
                return;
            }
            if (len > 0) checkRange(from, (len - 1) * stride + 1);
            if (dtype == DType.F16 || dtype == DType.BF16) {
                boolean bf = dtype == DType.BF16;
                for (int j = 0; j < len; j++) {
                    long e = start + from + j * stride;
                    int k = segment(e);
                    short h = segments[k].getShort((int) (e - firstElement[k]) * 2);
                    dst[off + j] = bf ? Half.bf16ToFloat(h) : Half.toFloat(h);
                }
                return;
            }
            for (int j = 0; j < len; j++) dst[off + j] = (float) getDouble(from + j * stride);
        }

        @Override
        void readDoubles(long from, long stride, double[] dst, int off, int len) {
            if (stride == 1 && dtype == DType.F64) {
                forRuns(from, len, (s, in, done, n) -> s.asDoubleBuffer().get(in, dst, off + done, n));
                return;
            }
            for (int j = 0; j < len; j++) dst[off + j] = getDouble(from + j * stride);
        }

        @Override
        void readLongs(long from, long[] dst, int off, int len) {
            if (dtype == DType.I64) {
                forRuns(from, len, (s, in, done, n) -> s.asLongBuffer().get(in, dst, off + done, n));
                return;
            }
            if (dtype.isFloating()) {
                super.readLongs(from, dst, off, len);
                return;
            }
            forRuns(from, len, (s, in, done, n) -> {
                for (int j = 0; j < n; j++) dst[off + done + j] = rawLong(s, (in + j) * width);
            });
        }

        @Override
        void readHalfBits(long from, short[] dst, int off, int len) {
            if (dtype != DType.F16 && dtype != DType.BF16)
                throw new IllegalStateException(dtype + " is not a 16-bit float type");
            forRuns(from, len, (s, in, done, n) -> s.asShortBuffer().get(in, dst, off + done, n));
        }

        @Override
        void copyBytesTo(ByteBuffer dst, long from, int count) {
            if (width != dtype.byteSize()) { // widened integers: write the logical int32 values
                ByteBuffer b = dst.order(ByteOrder.LITTLE_ENDIAN);
                forRuns(from, count, (s, in, done, n) -> {
                    for (int j = 0; j < n; j++) b.putInt((int) rawLong(s, (in + j) * width));
                });
                return;
            }
            forRuns(from, count, (s, in, done, n) -> {
                ByteBuffer c = s.duplicate();
                c.limit((in + n) * width).position(in * width);
                dst.put(c);
            });
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    /** Storages one after another (shards), seen as one: element i of part k is element first[k] + i of the whole. */
    static final class ConcatStorage extends Storage {
        private final Storage[] parts;
        private final long[] first; // of each part, plus the total at the end

        ConcatStorage(DType dtype, Storage[] parts) {
            super(dtype);
            this.parts = parts.clone();
            this.first = new long[parts.length + 1];
            for (int k = 0; k < parts.length; k++) {
                if (parts[k].dtype != dtype)
                    throw new IllegalArgumentException("part " + k + " is " + parts[k].dtype + ", not " + dtype);
                first[k + 1] = Math.addExact(first[k], parts[k].size());
            }
        }

        @Override
        long size() {
            return first[parts.length];
        }

        @Override
        boolean holdsBool() {
            for (Storage p : parts) if (p.holdsBool()) return true;
            return false;
        }

        private int part(long i) {
            if (i < 0 || i >= size()) throw new IndexOutOfBoundsException("element " + i + " of " + size());
            int k = Arrays.binarySearch(first, i);
            if (k >= 0) {
                while (k < parts.length - 1 && first[k + 1] == i) k++; // skip empty parts
                return k;
            }
            return -k - 2;
        }

        @Override
        ByteBuffer region(long start, long count) {
            if (count == 0) return null;
            checkRange(start, count);
            int k = part(start);
            return start + count <= first[k + 1] ? parts[k].region(start - first[k], count) : null;
        }

        @Override
        Storage view(long start, long count) {
            checkRange(start, count);
            if (count == 0) return parts.length == 0 ? this : parts[0].view(0, 0);
            int a = part(start), b = part(start + count - 1);
            if (a == b) return parts[a].view(start - first[a], count);
            Storage[] sub = new Storage[b - a + 1];
            for (int k = a; k <= b; k++) {
                long lo = Math.max(start, first[k]), hi = Math.min(start + count, first[k + 1]);
                sub[k - a] = parts[k].view(lo - first[k], hi - lo);
            }
            return new ConcatStorage(dtype, sub);
        }

        @Override
        double getDouble(long i) {
            int k = part(i);
            return parts[k].getDouble(i - first[k]);
        }

        @Override
        long getLong(long i) {
            int k = part(i);
            return parts[k].getLong(i - first[k]);
        }

        private interface RunBody {
            void run(Storage part, long from, int done, int count);
        }

        /** Contiguous [from, from + len) split at part boundaries. */
        private void forRuns(long from, int len, RunBody body) {
            if (len == 0) return;
            checkRange(from, len);
            int done = 0;
            while (done < len) {
                long i = from + done;
                int k = part(i);
                int n = (int) Math.min(len - done, first[k + 1] - i);
                body.run(parts[k], i - first[k], done, n);
                done += n;
            }
        }

        @Override
        void readFloats(long start, long stride, float[] dst, int off, int len) {
            if (stride == 1) {
                forRuns(start, len, (p, from, done, n) -> p.readFloats(from, 1, dst, off + done, n));
                return;
            }
            for (int j = 0; j < len; j++) dst[off + j] = (float) getDouble(start + j * stride);
        }

        @Override
        void readDoubles(long start, long stride, double[] dst, int off, int len) {
            if (stride == 1) {
                forRuns(start, len, (p, from, done, n) -> p.readDoubles(from, 1, dst, off + done, n));
                return;
            }
            for (int j = 0; j < len; j++) dst[off + j] = getDouble(start + j * stride);
        }

        @Override
        void readLongs(long start, long[] dst, int off, int len) {
            forRuns(start, len, (p, from, done, n) -> p.readLongs(from, dst, off + done, n));
        }

        @Override
        void readHalfBits(long start, short[] dst, int off, int len) {
            forRuns(start, len, (p, from, done, n) -> p.readHalfBits(from, dst, off + done, n));
        }

        @Override
        void copyBytesTo(ByteBuffer dst, long start, int count) {
            forRuns(start, count, (p, from, done, n) -> p.copyBytesTo(dst, from, n));
        }
    }
}
