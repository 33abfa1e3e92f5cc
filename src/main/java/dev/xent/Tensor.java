package dev.xent;

import java.nio.ByteBuffer;
import java.util.Arrays;

// Over 400 lines: The value type users hold: factories, views and typed reads, most of the lines their Javadoc.
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
            throw new InvalidInputException(
                    "shape " + shapeString(shape) + " needs " + n + " elements, storage holds " + storage.size());
        }
    }

    /**
     * float32 tensor over {@code data} (not copied: do not modify it afterwards).
     *
     * @param data the elements in C order
     * @param shape the dimensions; none for a 0-d tensor of one element
     * @return the tensor
     * @throws InvalidInputException if the shape's element count is not {@code data.length} or a dimension is negative
     */
    public static Tensor of(float[] data, long... shape) {
        return new Tensor(shape, DType.F32, new Storage.ArrayStorage(DType.F32, data));
    }

    /**
     * float64 tensor over {@code data} (not copied).
     *
     * @param data the elements in C order
     * @param shape the dimensions; none for a 0-d tensor of one element
     * @return the tensor
     * @throws InvalidInputException if the shape's element count is not {@code data.length} or a dimension is negative
     */
    public static Tensor of(double[] data, long... shape) {
        return new Tensor(shape, DType.F64, new Storage.ArrayStorage(DType.F64, data));
    }

    /**
     * int64 class-index tensor over {@code data} (not copied).
     *
     * @param data the elements in C order
     * @param shape the dimensions; none for a 0-d tensor of one element
     * @return the tensor
     * @throws InvalidInputException if the shape's element count is not {@code data.length} or a dimension is negative
     */
    public static Tensor of(long[] data, long... shape) {
        return new Tensor(shape, DType.I64, new Storage.ArrayStorage(DType.I64, data));
    }

    /**
     * int32 class-index tensor over {@code data} (not copied).
     *
     * @param data the elements in C order
     * @param shape the dimensions; none for a 0-d tensor of one element
     * @return the tensor
     * @throws InvalidInputException if the shape's element count is not {@code data.length} or a dimension is negative
     */
    public static Tensor of(int[] data, long... shape) {
        return new Tensor(shape, DType.I32, new Storage.ArrayStorage(DType.I32, data));
    }

    /**
     * float16 ({@link DType#F16}) or bfloat16 ({@link DType#BF16}) tensor over raw 16-bit patterns (not copied).
     *
     * @param dtype F16 or BF16
     * @param bits the bit patterns in C order
     * @param shape the dimensions
     * @return the tensor
     * @throws InvalidInputException for another dtype, or a shape whose element count is not {@code bits.length}
     */
    public static Tensor ofHalfBits(DType dtype, short[] bits, long... shape) {
        if (dtype != DType.F16 && dtype != DType.BF16)
            throw new InvalidInputException("16-bit storage is float16 or bfloat16, not " + dtype.label());
        return new Tensor(shape, dtype, new Storage.ArrayStorage(dtype, bits));
    }

    /**
     * A tensor over little-endian byte segments (memory-mapped file regions, each holding whole elements), read in
     * place. {@code storedBytes} is the width of a stored element: the dtype's own, or 1 or 2 for int8 / uint8 / bool /
     * int16 data seen as int32 ({@code unsigned} for uint8 and bool).
     *
     * @param dtype the element type the tensor presents
     * @param storedBytes the width of a stored element in bytes
     * @param unsigned true when 1- or 2-byte stored elements are unsigned (zero-extended)
     * @param segments the regions, in element order; their positions and limits bound the data
     * @param shape the dimensions; their product must equal the elements the segments hold
     * @return the tensor, reading the segments in place
     * @throws IllegalArgumentException if {@code storedBytes} cannot be read as {@code dtype}
     * @throws InvalidInputException if the shape does not match the segments' element count
     */
    public static Tensor ofSegments(
            DType dtype, int storedBytes, boolean unsigned, ByteBuffer[] segments, long... shape) {
        if (storedBytes != dtype.byteSize() && !(dtype == DType.I32 && (storedBytes == 1 || storedBytes == 2))) {
            throw new IllegalArgumentException(storedBytes + "-byte elements cannot be read as " + dtype.label());
        }
        return new Tensor(shape, dtype, new Storage.SegmentStorage(dtype, storedBytes, unsigned, false, segments));
    }

    /**
     * Booleans stored one byte each, read as int32 0 and 1 (any non-zero byte is True, as numpy reads it).
     *
     * @param segments the regions, in element order, one byte per element
     * @param shape the dimensions
     * @return an int32 tensor whose {@link #holdsBool()} is true
     */
    public static Tensor ofBoolSegments(ByteBuffer[] segments, long... shape) {
        return new Tensor(shape, DType.I32, new Storage.SegmentStorage(DType.I32, 1, true, true, segments));
    }

    /**
     * The row-wise concatenation of {@code parts} (along axis 0), without copying: every part has the same dtype and
     * the same shape after axis 0, as {@code np.concatenate(parts, axis=0)} requires.
     *
     * @param parts one or more tensors of rank at least 1
     * @return the concatenation (the part itself when there is one)
     * @throws InvalidInputException for no parts, 0-d parts, or parts whose dtypes or trailing shapes differ
     */
    public static Tensor concat(java.util.List<Tensor> parts) {
        if (parts.isEmpty()) throw new InvalidInputException("nothing to concatenate");
        Tensor a = parts.get(0);
        if (a.rank() == 0) throw new InvalidInputException("0-d arrays cannot be concatenated along axis 0");
        if (parts.size() == 1) return a;
        long rows = 0;
        Storage[] st = new Storage[parts.size()];
        for (int k = 0; k < st.length; k++) {
            Tensor t = parts.get(k);
            if (t.dtype != a.dtype)
                throw new InvalidInputException(
                        "part " + k + " is " + t.dtype.label() + ", part 0 is " + a.dtype.label());
            if (t.rank() != a.rank() || !Arrays.equals(t.shape, 1, t.shape.length, a.shape, 1, a.shape.length)) {
                throw new InvalidInputException("part " + k + " has shape " + shapeString(t.shape) + ", part 0 has "
                        + shapeString(a.shape) + ": they must agree after axis 0");
            }
            rows = Math.addExact(rows, t.shape[0]);
            st[k] = t.storage;
        }
        long[] shape = a.shape.clone();
        shape[0] = rows;
        return new Tensor(shape, a.dtype, new Storage.ConcatStorage(a.dtype, st));
    }

    /**
     * Indices [from, to) of axis 0 as a tensor of their own, sharing these elements (no copy).
     *
     * @param from the first index, in [0, dim(0)]
     * @param to the index after the last, in [from, dim(0)]
     * @return the slice, of shape (to − from, the rest of this shape)
     * @throws IllegalArgumentException for a 0-d tensor
     * @throws IndexOutOfBoundsException for a range outside axis 0
     */
    public Tensor slice(long from, long to) {
        if (rank() == 0) throw new IllegalArgumentException("a 0-d tensor has no axis 0");
        if (from < 0 || to < from || to > shape[0])
            throw new IndexOutOfBoundsException("[" + from + ", " + to + ") of axis 0 of " + shapeString(shape));
        long inner = shape[0] == 0 ? 0 : numel() / shape[0];
        long[] s = shape.clone();
        s[0] = to - from;
        return new Tensor(s, dtype, storage.view(from * inner, (to - from) * inner));
    }

    /**
     * Elements [from, from + count) of the flattened tensor, as a 1-d tensor sharing them (no copy).
     *
     * @param from the first element
     * @param count how many elements
     * @return a tensor of shape (count)
     * @throws IndexOutOfBoundsException for a range outside the tensor
     */
    public Tensor flatRange(long from, long count) {
        return new Tensor(new long[] {count}, dtype, storage.view(from, count));
    }

    /**
     * A copy of this tensor converted to {@code target} (float types round to nearest even; floats to ints truncate).
     *
     * @param target the element type of the copy
     * @return the copy, of this shape; this tensor itself when {@code target} is its dtype
     * @throws InvalidInputException if the copy would not fit one Java array
     */
    public Tensor to(DType target) {
        if (target == dtype) return this;
        long n = numel();
        if (target == DType.F32 && (dtype == DType.F16 || dtype == DType.BF16) && n <= MAX_ARRAY_ELEMENTS) {
            float[] a = new float[(int) n];
            storage.readFloats(0, 1, a, 0, (int) n);
            return of(a, shape);
        }
        if (n > MAX_ARRAY_ELEMENTS)
            throw new InvalidInputException("conversion of " + n + " elements does not fit one array");
        int len = (int) n;
        switch (target) {
            case F32: {
                float[] a = new float[len];
                storage.readFloats(0, 1, a, 0, len);
                return of(a, shape);
            }
            case F64: {
                double[] a = new double[len];
                storage.readDoubles(0, 1, a, 0, len);
                return of(a, shape);
            }
            case F16:
            case BF16: {
                short[] a = new short[len];
                for (int i = 0; i < len; i++) {
                    float f = (float) storage.getDouble(i);
                    a[i] = target == DType.F16 ? Half.fromFloat(f) : Half.bf16FromFloat(f);
                }
                return ofHalfBits(target, a, shape);
            }
            case I32: {
                int[] a = new int[len];
                for (int i = 0; i < len; i++) a[i] = (int) storage.getLong(i);
                return of(a, shape);
            }
            default: {
                long[] a = new long[len];
                for (int i = 0; i < len; i++) a[i] = storage.getLong(i);
                return of(a, shape);
            }
        }
    }

    /**
     * The same elements seen with another shape of equal element count (no copy).
     *
     * @param newShape the dimensions; none for a 0-d tensor
     * @return the reshaped tensor
     * @throws InvalidInputException if {@code newShape} holds another number of elements
     */
    public Tensor reshape(long... newShape) {
        return new Tensor(newShape, dtype, storage);
    }

    /** {@return the dimensions, a copy} */
    public long[] shape() {
        return shape.clone();
    }

    /** {@return the number of dimensions, 0 for a scalar} */
    public int rank() {
        return shape.length;
    }

    /**
     * The extent of one axis.
     *
     * @param axis in [-rank, rank); negative counts from the last
     * @return its extent
     * @throws ArrayIndexOutOfBoundsException for an axis out of range
     */
    public long dim(int axis) {
        return shape[axis < 0 ? axis + shape.length : axis];
    }

    /** {@return the element type} */
    public DType dtype() {
        return dtype;
    }

    /** {@return the number of elements: the product of the dimensions (1 for a 0-d tensor)} */
    public long numel() {
        return storage.size();
    }

    /**
     * Element {@code i} of the flattened tensor as a double (exact for every supported type but very large int64).
     *
     * @param i a flat index in [0, numel())
     * @return the element
     * @throws IndexOutOfBoundsException for an index outside the tensor
     */
    public double getDouble(long i) {
        return storage.getDouble(i);
    }

    /**
     * Element {@code i} as a long (integer types exactly; floating types truncated).
     *
     * @param i a flat index in [0, numel())
     * @return the element
     * @throws IndexOutOfBoundsException for an index outside the tensor
     */
    public long getLong(long i) {
        return storage.getLong(i);
    }

    /**
     * Copies {@code len} elements from {@code start}, {@code stride} apart, converted to float32.
     *
     * @param start the flat index of the first element
     * @param stride the distance between the elements read, in elements
     * @param dst where they go
     * @param off the index in {@code dst} of the first
     * @param len how many
     */
    public void readFloats(long start, long stride, float[] dst, int off, int len) {
        storage.readFloats(start, stride, dst, off, len);
    }

    /**
     * Copies {@code len} elements from {@code start}, {@code stride} apart, converted to float64.
     *
     * @param start the flat index of the first element
     * @param stride the distance between the elements read, in elements
     * @param dst where they go
     * @param off the index in {@code dst} of the first
     * @param len how many
     */
    public void readDoubles(long start, long stride, double[] dst, int off, int len) {
        storage.readDoubles(start, stride, dst, off, len);
    }

    /**
     * Copies {@code len} contiguous elements from {@code start} as longs (integers exactly; floating types truncated).
     *
     * @param start the flat index of the first element
     * @param dst where they go
     * @param off the index in {@code dst} of the first
     * @param len how many
     */
    public void readLongs(long start, long[] dst, int off, int len) {
        storage.readLongs(start, dst, off, len);
    }

    /**
     * Copies {@code len} contiguous float16 / bfloat16 bit patterns from {@code start} (16-bit float tensors only).
     *
     * @param start the flat index of the first element
     * @param dst where they go
     * @param off the index in {@code dst} of the first
     * @param len how many
     * @throws IllegalStateException if this tensor is not float16 or bfloat16
     */
    public void readHalfBits(long start, short[] dst, int off, int len) {
        storage.readHalfBits(start, dst, off, len);
    }

    /**
     * The backing float32 array if this tensor is an array-backed float32 tensor (read only, by convention), else null;
     * element 0 is at {@link #arrayOffset()}.
     *
     * @return the array, or null
     */
    public float[] floatArrayOrNull() {
        return storage.floatArray();
    }

    /** {@return the backing array of bits if this tensor is an array-backed float16 or bfloat16 tensor (read only), else null} */
    public short[] halfBitsArrayOrNull() {
        return storage.halfBitsArray();
    }

    /** {@return where element 0 lies in the backing array of {@link #floatArrayOrNull()} / {@link #halfBitsArrayOrNull()}} */
    public int arrayOffset() {
        return storage.arrayOffset();
    }

    /**
     * Elements [start, start + count) as a little-endian buffer of exactly their bytes, when they lie within one
     * memory-mapped region (so loops can read a file's rows in place); null when they do not (or live on the heap).
     *
     * @param start the flat index of the first element
     * @param count how many elements
     * @return a buffer of exactly {@code count} elements' bytes, or null
     */
    public ByteBuffer region(long start, long count) {
        return storage.region(start, count);
    }

    /** {@return true when the elements were stored as bool (read as int32 0 and 1): never class indices (see {@link LossProblem})} */
    public boolean holdsBool() {
        return storage.holdsBool();
    }

    /** {@return true when the elements live in one Java array (not in a mapped file or in several shards)} */
    public boolean isArrayBacked() {
        return storage instanceof Storage.ArrayStorage;
    }

    /**
     * Writes every element, little-endian, into {@code dst} from its position onward.
     *
     * @param dst a buffer with at least {@link #byteSize()} bytes remaining; its position advances past them
     * @throws InvalidInputException if the tensor has more elements than one Java array holds
     */
    public void copyBytesTo(ByteBuffer dst) {
        storage.copyBytesTo(dst, 0, smallCount());
    }

    /**
     * Writes elements [start, start + count), little-endian, into {@code dst} from its position onward.
     *
     * @param dst a buffer with room for the elements' bytes; its position advances past them
     * @param start the flat index of the first element
     * @param count how many elements
     */
    public void copyBytesTo(ByteBuffer dst, long start, int count) {
        storage.copyBytesTo(dst, start, count);
    }

    /** {@return the size in bytes of the elements: numel() · dtype().byteSize()} */
    public long byteSize() {
        return numel() * dtype.byteSize();
    }

    /**
     * All elements as doubles (small tensors only; for tests and printing).
     *
     * @return a new array, in C order
     * @throws InvalidInputException if the tensor has more elements than one Java array holds
     */
    public double[] toDoubleArray() {
        double[] a = new double[smallCount()];
        storage.readDoubles(0, 1, a, 0, a.length);
        return a;
    }

    /**
     * All elements as longs (small tensors only; floating types truncated).
     *
     * @return a new array, in C order
     * @throws InvalidInputException if the tensor has more elements than one Java array holds
     */
    public long[] toLongArray() {
        long[] a = new long[smallCount()];
        storage.readLongs(0, a, 0, a.length);
        return a;
    }

    private int smallCount() {
        long n = numel();
        if (n > MAX_ARRAY_ELEMENTS)
            throw new InvalidInputException(this + " has " + n + " elements: too many for one Java array");
        return (int) n;
    }

    /**
     * The element count of a shape.
     *
     * @param shape the dimensions
     * @return their product, 1 for no dimensions
     * @throws InvalidInputException for a negative dimension or a product above {@code Long.MAX_VALUE}
     */
    public static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new InvalidInputException("negative dimension in shape " + shapeString(shape));
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new InvalidInputException("shape " + shapeString(shape) + " has more than 2^63 elements");
            }
        }
        return n;
    }

    /**
     * A shape as Python prints a tuple, for messages: (), (3,), (2, 3).
     *
     * @param shape the dimensions
     * @return the text
     */
    public static String shapeString(long[] shape) {
        StringBuilder b = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) b.append(i == 0 ? "" : ", ").append(shape[i]);
        if (shape.length == 1) b.append(',');
        return b.append(')').toString();
    }

    @Override
    public String toString() {
        return "Tensor" + shapeString(shape) + " " + dtype.label();
    }

    /**
     * True if both have the same shape (dtype aside).
     *
     * @param o the other tensor
     * @return whether the dimensions are equal
     */
    public boolean sameShape(Tensor o) {
        return Arrays.equals(shape, o.shape);
    }
}
