package dev.xent;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * An immutable host tensor: a shape, an element type and C-ordered storage. Indices are 64-bit, so a tensor may hold
 * more than 2^31 elements when it is backed by a memory-mapped file (see {@link dev.xent.io.Npy}).
 */
public final class Tensor {
    /** Largest element count a single Java array can hold on common JVMs. */
    public static final long MAX_ARRAY_ELEMENTS = Integer.MAX_VALUE - 8;

    private final long[] shape;
    private final DType dtype;
    private final Storage storage;

    Tensor(long[] shape, DType dtype, Storage storage) {
        this.shape = shape.clone();
        this.dtype = dtype;
        this.storage = storage;
        long n = numel(this.shape);
        if (storage.size() != n) {
            throw new InvalidInputException("shape " + shapeString(shape) + " needs " + n + " elements, storage holds " + storage.size());
        }
    }

    /** float32 tensor over {@code data} (not copied: do not modify it afterwards). */
    public static Tensor of(float[] data, long... shape) { return new Tensor(shape, DType.F32, new Storage.ArrayStorage(DType.F32, data)); }

    /** float64 tensor over {@code data} (not copied). */
    public static Tensor of(double[] data, long... shape) { return new Tensor(shape, DType.F64, new Storage.ArrayStorage(DType.F64, data)); }

    /** int64 class-index tensor over {@code data} (not copied). */
    public static Tensor of(long[] data, long... shape) { return new Tensor(shape, DType.I64, new Storage.ArrayStorage(DType.I64, data)); }

    /** int32 class-index tensor over {@code data} (not copied). */
    public static Tensor of(int[] data, long... shape) { return new Tensor(shape, DType.I32, new Storage.ArrayStorage(DType.I32, data)); }

    /** float16 ({@link DType#F16}) or bfloat16 ({@link DType#BF16}) tensor over raw 16-bit patterns (not copied). */
    public static Tensor ofHalfBits(DType dtype, short[] bits, long... shape) {
        if (dtype != DType.F16 && dtype != DType.BF16) throw new InvalidInputException("16-bit storage is float16 or bfloat16, not " + dtype.label());
        return new Tensor(shape, dtype, new Storage.ArrayStorage(dtype, bits));
    }

    /** A tensor over little-endian byte chunks of 2^chunkShift elements each (used for memory-mapped files). */
    public static Tensor ofChunks(DType dtype, ByteBuffer[] chunks, int chunkShift, long... shape) {
        return new Tensor(shape, dtype, new Storage.ChunkedStorage(dtype, chunks, chunkShift, numel(shape)));
    }

    /** A copy of this tensor converted to {@code target} (float types round to nearest even; floats to ints truncate). */
    public Tensor to(DType target) {
        if (target == dtype) return this;
        long n = numel();
        if (n > MAX_ARRAY_ELEMENTS) throw new InvalidInputException("conversion of " + n + " elements does not fit one array");
        int len = (int) n;
        switch (target) {
            case F32: { float[] a = new float[len]; storage.readFloats(0, 1, a, 0, len); return of(a, shape); }
            case F64: { double[] a = new double[len]; storage.readDoubles(0, 1, a, 0, len); return of(a, shape); }
            case F16: case BF16: {
                short[] a = new short[len];
                for (int i = 0; i < len; i++) {
                    float f = (float) storage.getDouble(i);
                    a[i] = target == DType.F16 ? Half.fromFloat(f) : Half.bf16FromFloat(f);
                }
                return ofHalfBits(target, a, shape);
            }
            case I32: { int[] a = new int[len]; for (int i = 0; i < len; i++) a[i] = (int) storage.getLong(i); return of(a, shape); }
            default: { long[] a = new long[len]; for (int i = 0; i < len; i++) a[i] = storage.getLong(i); return of(a, shape); }
        }
    }

    /** The same elements seen with another shape of equal element count. */
    public Tensor reshape(long... newShape) { return new Tensor(newShape, dtype, storage); }

    public long[] shape() { return shape.clone(); }

    public int rank() { return shape.length; }

    public long dim(int axis) { return shape[axis < 0 ? axis + shape.length : axis]; }

    public DType dtype() { return dtype; }

    public long numel() { return storage.size(); }

    /** Element {@code i} of the flattened tensor as a double (exact for every supported type but very large int64). */
    public double getDouble(long i) { return storage.getDouble(i); }

    /** Element {@code i} as a long (integer types exactly; floating types truncated). */
    public long getLong(long i) { return storage.getLong(i); }

    /** Copies {@code len} elements from {@code start}, {@code stride} apart, converted to float32. */
    public void readFloats(long start, long stride, float[] dst, int off, int len) { storage.readFloats(start, stride, dst, off, len); }

    /** Copies {@code len} elements from {@code start}, {@code stride} apart, converted to float64. */
    public void readDoubles(long start, long stride, double[] dst, int off, int len) { storage.readDoubles(start, stride, dst, off, len); }

    /** The backing float32 array if this tensor is an array-backed float32 tensor (read only, by convention), else null. */
    public float[] floatArrayOrNull() { return storage.floatArray(); }

    /** The backing array of bits if this tensor is an array-backed float16 or bfloat16 tensor (read only), else null. */
    public short[] halfBitsArrayOrNull() { return storage.halfBitsArray(); }

    /** Writes every element, little-endian, into {@code dst} from its position onward. */
    public void copyBytesTo(ByteBuffer dst) { storage.copyBytesTo(dst); }

    /** Writes elements [start, start + count), little-endian, into {@code dst} from its position onward. */
    public void copyBytesTo(ByteBuffer dst, long start, int count) { storage.copyBytesTo(dst, start, count); }

    /** Size in bytes of the elements. */
    public long byteSize() { return numel() * dtype.byteSize(); }

    /** All elements as doubles (small tensors only; for tests and printing). */
    public double[] toDoubleArray() {
        double[] a = new double[Math.toIntExact(numel())];
        storage.readDoubles(0, 1, a, 0, a.length);
        return a;
    }

    /** All elements as longs (small tensors only). */
    public long[] toLongArray() {
        long[] a = new long[Math.toIntExact(numel())];
        for (int i = 0; i < a.length; i++) a[i] = storage.getLong(i);
        return a;
    }

    public static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new InvalidInputException("negative dimension in shape " + shapeString(shape));
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public static String shapeString(long[] shape) {
        StringBuilder b = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) b.append(i == 0 ? "" : ", ").append(shape[i]);
        if (shape.length == 1) b.append(',');
        return b.append(')').toString();
    }

    @Override public String toString() { return "Tensor" + shapeString(shape) + " " + dtype.label(); }

    /** True if both have the same shape (dtype aside). */
    public boolean sameShape(Tensor o) { return Arrays.equals(shape, o.shape); }
}
