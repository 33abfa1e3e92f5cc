package dev.xent;

/**
 * A tensor seen as rows along one axis: {@code outer} blocks of {@code classes} x {@code inner} elements. Row
 * r = o * inner + j starts at o*classes*inner + j and its elements are {@code inner} apart.
 */
public final class RowLayout {
    /** The product of the dimensions before the axis. */
    public final long outer;
    /** The extent of the axis: the elements of one row. */
    public final int classes;
    /** The product of the dimensions after the axis: the distance between neighbouring elements of one row. */
    public final long inner;

    /**
     * A layout from its three extents (not checked).
     *
     * @param outer the product of the dimensions before the axis
     * @param classes the extent of the axis
     * @param inner the product of the dimensions after the axis
     */
    public RowLayout(long outer, int classes, long inner) {
        this.outer = outer;
        this.classes = classes;
        this.inner = inner;
    }

    /**
     * Rows along axis {@code dim} (negative counts from the end) of a tensor of the given shape.
     *
     * @param shape the tensor's shape, at least one dimension
     * @param dim the axis, in [-rank, rank)
     * @return the layout
     * @throws InvalidInputException if {@code dim} is out of range or the axis is longer than a Java array
     * @throws ArithmeticException if the product of the other dimensions overflows a long
     */
    public static RowLayout along(long[] shape, int dim) {
        int d = dim < 0 ? dim + shape.length : dim;
        if (d < 0 || d >= shape.length) {
            throw new InvalidInputException("dim " + dim + " is out of range for shape " + Tensor.shapeString(shape));
        }
        long outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer = Math.multiplyExact(outer, shape[i]);
        for (int i = d + 1; i < shape.length; i++) inner = Math.multiplyExact(inner, shape[i]);
        if (shape[d] > Tensor.MAX_ARRAY_ELEMENTS) throw new InvalidInputException("axis too long: " + shape[d]);
        return new RowLayout(outer, (int) shape[d], inner);
    }

    /** {@return the number of rows: outer · inner} */
    public long rows() {
        return outer * inner;
    }

    /**
     * The flat index of a row's first element; the others follow {@link #inner} apart.
     *
     * @param row a row in [0, {@link #rows()})
     * @return the index into the flattened tensor
     */
    public long rowStart(long row) {
        return inner == 1
                ? row * classes
                : (row / inner) * classes * inner + row % inner; // skip two divisions in the common case
    }
}
