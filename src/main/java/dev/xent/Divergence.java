package dev.xent;

import dev.xent.stream.ExactSum;

/**
 * A checked distillation request ({@link DivergenceSpec}): student and teacher logits of one shape (N, C), and
 * optionally class targets (N) whose {@code ignore_index} rows drop out and which the kd loss mixes in as
 * cross-entropy. Backends compute row blocks of it ({@link #block}) into {@link Part}s; the block stream merges them
 * ({@link #result}), so the value does not depend on the blocking.
 */
public final class Divergence {
    private final Tensor student, teacher, target;
    private final DivergenceSpec spec;
    private final boolean gradient;
    private final long rows, firstRow, wholeRows;
    private final int classes;
    private volatile long validRows = -1; // of the whole request, from the target pre-pass
    private Tensor gradOutput; // autograd's grad_output for the gradient, or null

    private Divergence(Tensor student, Tensor teacher, Tensor target, DivergenceSpec spec, boolean gradient) {
        String what = spec.kind().name().toLowerCase(java.util.Locale.ROOT);
        if (!student.dtype().isFloating() || !teacher.dtype().isFloating()) {
            throw new InvalidInputException(what + " takes floating student and teacher logits, got "
                    + student.dtype().label() + " and " + teacher.dtype().label());
        }
        if (student.rank() != 2) {
            throw new InvalidInputException(what + " takes (N, C) logits (flatten other axes into N), got student "
                    + Tensor.shapeString(student.shape()));
        }
        if (!student.sameShape(teacher)) {
            throw new InvalidInputException("teacher logits must have the student's shape: student "
                    + Tensor.shapeString(student.shape()) + ", teacher " + Tensor.shapeString(teacher.shape()));
        }
        if (student.dim(1) > Integer.MAX_VALUE - 8)
            throw new InvalidInputException(student.dim(1) + " classes are more than a row can hold");
        if (student.dim(1) == 0 && student.dim(0) > 0)
            throw new InvalidInputException("logits have 0 classes: shape " + Tensor.shapeString(student.shape()));
        if (target != null) {
            if (target.dtype().isFloating())
                throw new InvalidInputException(what + " takes class-index targets (integers), got "
                        + target.dtype().label());
            if (target.holdsBool()) throw LossProblem.boolTargets();
            if (target.rank() != 1 || target.dim(0) != student.dim(0)) {
                throw new InvalidInputException("targets must have shape (" + student.dim(0) + ") for logits "
                        + Tensor.shapeString(student.shape()) + ", got " + Tensor.shapeString(target.shape()));
            }
        } else if (spec.mixesCrossEntropy()) {
            throw new InvalidInputException("alpha mixes in cross-entropy with class targets: give the targets");
        }
        this.student = student;
        this.teacher = teacher;
        this.target = target;
        this.spec = spec;
        this.gradient = gradient;
        this.rows = student.dim(0);
        this.classes = (int) student.dim(1);
        this.firstRow = 0;
        this.wholeRows = rows;
    }

    private Divergence(Divergence whole, long from, long to) {
        this.student = whole.student.slice(from, to);
        this.teacher = whole.teacher.slice(from, to);
        this.target = whole.target == null ? null : whole.target.slice(from, to);
        this.spec = whole.spec;
        this.gradient = whole.gradient;
        this.rows = to - from;
        this.classes = whole.classes;
        this.firstRow = whole.firstRow + from;
        this.validRows = whole.validRows();
        this.wholeRows = whole.wholeRows;
        this.gradOutput = whole.gradOutput;
    }

    /**
     * Checks a request: dtypes, shapes, and that targets are given where alpha needs them (they are scanned later).
     *
     * @param student the student's logits, floating, (N, C)
     * @param teacher the teacher's logits, floating, the student's shape
     * @param target class indices (int32 or int64), shape (N), or null; needed when {@code spec} mixes in cross-entropy
     * @param spec the loss, its reduction and its parameters
     * @param gradient true to compute d loss / d student logits as well
     * @return the checked request
     * @throws InvalidInputException for a dtype or shape that does not fit, or alpha without targets
     */
    public static Divergence of(Tensor student, Tensor teacher, Tensor target, DivergenceSpec spec, boolean gradient) {
        return new Divergence(student, teacher, target, spec, gradient);
    }

    /**
     * This request with the gradient multiplied by {@code go} (autograd's grad_output: shape (N) for 'none', one value
     * otherwise; checked when the request runs). Needs the gradient.
     *
     * @param go the upstream gradient, or null for none (a factor of 1)
     * @return a copy of this request that carries {@code go}
     * @throws InvalidInputException if {@code go} is given and this request computes no gradient
     */
    public Divergence withGradOutput(Tensor go) {
        if (go != null && !gradient)
            throw new InvalidInputException("an upstream gradient (grad_output) needs the gradient");
        Divergence d = new Divergence(this, 0, rows);
        d.gradOutput = go;
        return d;
    }

    /** {@return the upstream gradient, or null} */
    public Tensor gradOutput() {
        return gradOutput;
    }

    /**
     * Rows [from, to) as a request of their own (views, no copy), sharing the whole request's totals.
     *
     * @param from the first row, in [0, {@link #rows()}]
     * @param to the row after the last, in [from, rows()]
     * @return the block; its {@link #firstRow()} is its place in the whole request
     */
    public Divergence block(long from, long to) {
        return new Divergence(this, from, to);
    }

    /** {@return the student's logits (this block's rows, for a block)} */
    public Tensor student() {
        return student;
    }

    /** {@return the teacher's logits (this block's rows, for a block)} */
    public Tensor teacher() {
        return teacher;
    }

    /** {@return the class targets, or null} */
    public Tensor target() {
        return target;
    }

    /** {@return the loss, its reduction and its parameters} */
    public DivergenceSpec spec() {
        return spec;
    }

    /** {@return true when d loss / d student logits is computed too} */
    public boolean wantsGradient() {
        return gradient;
    }

    /** {@return the row count of this request (of the block, for a block)} */
    public long rows() {
        return rows;
    }

    /** {@return C, the classes per row} */
    public int classes() {
        return classes;
    }

    /**
     * The rows as an int, checked so that their per-row results (and gradient) fit Java arrays; the block stream's
     * blocks always do.
     *
     * @return {@link #rows()} as an int
     * @throws InvalidInputException if the per-row values (rows · C values, with the gradient) exceed one Java array
     */
    public int rowsInMemory() {
        long elements = gradient ? rows * classes : rows;
        if (elements > Tensor.MAX_ARRAY_ELEMENTS) {
            throw new InvalidInputException(rows + " rows of " + classes
                    + " classes do not fit one array of results: call through Xent, which computes row blocks");
        }
        return (int) rows;
    }

    /** {@return the first row of this block in the whole request} */
    public long firstRow() {
        return firstRow;
    }

    /**
     * True when a row whose target is {@code y} drops out (y is the spec's ignore_index).
     *
     * @param y a row's class index
     * @return whether that row is ignored
     */
    public boolean isIgnored(long y) {
        return y == spec.ignoreIndex();
    }

    /**
     * Rows of the whole request that are not ignored: the batchmean divisor. The first call scans the targets once and
     * throws, naming the row, for a class index outside [0, C).
     *
     * @return the count; every row when there are no targets
     * @throws InvalidInputException for a target outside [0, C) that is not ignore_index
     */
    public long validRows() {
        long v = validRows;
        if (v >= 0) return v;
        synchronized (this) {
            if (validRows < 0) validRows = scan();
            return validRows;
        }
    }

    private long scan() {
        if (target == null) return rows;
        long[] y = new long[(int) Math.min(rows, 1 << 16)];
        long valid = 0;
        for (long r0 = 0; r0 < rows; r0 += y.length) {
            int n = (int) Math.min(y.length, rows - r0);
            target.readLongs(r0, y, 0, n);
            for (int j = 0; j < n; j++) {
                if (isIgnored(y[j])) continue;
                if (y[j] < 0 || y[j] >= classes) {
                    throw new InvalidInputException("target " + y[j] + " at row " + (firstRow + r0 + j)
                            + " is out of range for " + classes + " classes (valid: 0.." + (classes - 1)
                            + ", or ignore_index " + spec.ignoreIndex() + ")");
                }
                valid++;
            }
        }
        return valid;
    }

    /** {@return the divisor of the reduced value: 1 (none, sum), the rows that remain (batchmean), or rows · C (mean)} */
    public double divisor() {
        switch (spec.reduction()) {
            case BATCHMEAN:
                return validRows();
            case MEAN:
                return (double) wholeRows * classes;
            default:
                return 1;
        }
    }

    /** {@return the factor of each row's gradient: 1 / {@link #divisor()} (1 for none, whose gradient is that of the sum)} */
    public double gradientScale() {
        return 1 / divisor();
    }

    /**
     * What a backend computes for a block: each row's loss (the mix, for kd with alpha: α · kd + (1 − α) · ce; 0 for
     * an ignored row) and the gradient with respect to the student's logits, and the exact sums of the rows'
     * divergence and cross-entropy terms, from which the reduced value is formed once.
     */
    public static final class Part {
        /** The block's per-row losses, shape (rows); its gradient rows, shape (rows, C), or null when not asked for. */
        public final Tensor perRow, gradient;
        /** Exact sums over the block's rows of the divergence terms and of the cross-entropy terms (0 without alpha). */
        public final ExactSum divergence, crossEntropy;
        /** Where it was computed (a CUDA backend without the kernel computes on the CPU), or null: the backend's name. */
        public final String device;

        /**
         * A part computed on the backend that returns it.
         *
         * @param perRow the per-row losses
         * @param gradient the gradient rows, or null
         * @param divergence the exact sum of the rows' divergence terms
         * @param crossEntropy the exact sum of the rows' cross-entropy terms
         */
        public Part(Tensor perRow, Tensor gradient, ExactSum divergence, ExactSum crossEntropy) {
            this(perRow, gradient, divergence, crossEntropy, null);
        }

        /**
         * A part computed on a named device.
         *
         * @param perRow the per-row losses
         * @param gradient the gradient rows, or null
         * @param divergence the exact sum of the rows' divergence terms
         * @param crossEntropy the exact sum of the rows' cross-entropy terms
         * @param device where it was computed, or null for the backend's name
         */
        public Part(Tensor perRow, Tensor gradient, ExactSum divergence, ExactSum crossEntropy, String device) {
            this.perRow = perRow;
            this.gradient = gradient;
            this.divergence = divergence;
            this.crossEntropy = crossEntropy;
            this.device = device;
        }

        /**
         * This part, computed on {@code device}.
         *
         * @param device where it was computed
         * @return a copy of this part naming {@code device}
         */
        public Part onDevice(String device) {
            return new Part(perRow, gradient, divergence, crossEntropy, device);
        }
    }

    /**
     * The whole request's result from the merged sums of its parts: each sum over {@link #divisor()}, mixed by alpha.
     *
     * @param div the exact sum of every part's divergence terms
     * @param ce the exact sum of every part's cross-entropy terms
     * @param perRow the per-row values of the whole request, or null (sent to a sink)
     * @param gradient the gradient of the whole request, or null
     * @param device where it was computed
     * @return the result; its values are NaN for reduction none
     */
    public DivergenceResult result(ExactSum div, ExactSum ce, Tensor perRow, Tensor gradient, String device) {
        double d = divisor();
        double divPart = div.value() / d, cePart = spec.mixesCrossEntropy() ? ce.value() / d : Double.NaN;
        double value;
        if (spec.reduction() == Reduction.NONE) value = Double.NaN;
        else if (spec.mixesCrossEntropy()) value = spec.alpha() * divPart + (1 - spec.alpha()) * cePart;
        else value = divPart;
        if (spec.reduction() == Reduction.NONE) {
            divPart = Double.NaN;
            cePart = Double.NaN;
        }
        return new DivergenceResult(spec, value, divPart, cePart, perRow, gradient, validRows(), d, device);
    }
}
