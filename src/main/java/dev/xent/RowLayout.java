package dev.xent;

/**
 * A tensor seen as rows along one axis: {@code outer} blocks of {@code classes} x {@code inner} elements. Row
 * r = o * inner + j starts at o*classes*inner + j and its elements are {@code inner} apart.
 */
public final class RowLayout {
    public final long outer;
    public final int classes;
    public final long inner;

    public RowLayout(long outer, int classes, long inner) {
        this.outer = outer;
        this.classes = classes;
        this.inner = inner;
    }

    /** Rows along axis {@code dim} (negative counts from the end) of a tensor of the given shape. */
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

    public long rows() { return outer * inner; }

    public long rowStart(long row) {
        return inner == 1 ? row * classes : (row / inner) * classes * inner + row % inner; // skip two divisions in the common case
    }
}
