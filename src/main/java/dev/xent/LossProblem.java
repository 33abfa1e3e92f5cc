package dev.xent;

import dev.xent.stream.ExactSum;
import dev.xent.stream.LossAccumulator;
import java.util.Arrays;

// Over 400 lines: A request's every check (shapes, dtypes, options, the target pre-pass) in one place, so no path skips
// one.
/**
 * A loss request that has passed every shape, type and option check, with its data laid out as rows: each row is one
 * prediction over C classes. For an input of shape (N, C, d1..dk) the class axis is 1, so row r = n * inner + j
 * (inner = d1..dk) holds the elements at n*C*inner + c*inner + j; for (N, C) inner is 1; for (C) there is one row.
 * Every backend computes from this, so shapes are checked, and errors are worded, in this one place.
 */
public final class LossProblem {
    private final LossKind kind;
    private final Tensor input;
    private final Tensor target;
    private final LossSpec spec;
    private final boolean probabilityTarget;
    private final RowLayout layout;
    private final int classes;
    private final double[] weights;
    private final long[] outputShape;
    private final Outputs outputs;
    private final long firstRow; // of this problem in the whole request (non-zero for a block)
    private volatile Totals totals; // the target pre-pass, shared by every block of a request
    private final boolean isBlock;

    private LossProblem(
            LossKind kind,
            Tensor input,
            Tensor target,
            long[] in,
            DType inType,
            long[] tShape,
            DType tType,
            LossSpec spec,
            Outputs outputs) {
        this.kind = kind;
        this.outputs = outputs;
        this.firstRow = 0;
        this.isBlock = false;
        this.input = input;
        this.target = target;
        this.spec = spec;
        if (!inType.isFloating())
            throw new InvalidInputException("input must be floating point, got " + inType.label());
        if (in.length < 1) throw new InvalidInputException("input must have at least one dimension (C), got shape ()");
        this.layout = RowLayout.along(in, in.length == 1 ? 0 : 1); // the class axis
        this.classes = layout.classes;

        long[] withoutClassAxis = new long[in.length - 1];
        if (in.length > 1) {
            withoutClassAxis[0] = in[0];
            System.arraycopy(in, 2, withoutClassAxis, 1, in.length - 2);
        }
        this.outputShape = withoutClassAxis;
        this.probabilityTarget = tType.isFloating();
        if (target != null && !probabilityTarget && target.holdsBool()) throw boolTargets();
        if (probabilityTarget) {
            if (kind == LossKind.NLL)
                throw new InvalidInputException(
                        "nll_loss takes class-index targets (int32 or int64), got " + tType.label());
            if (!Arrays.equals(in, tShape)) {
                throw new InvalidInputException("probability targets must have the input's shape: input "
                        + Tensor.shapeString(in) + ", target " + Tensor.shapeString(tShape));
            }
        } else if (!Arrays.equals(withoutClassAxis, tShape)) {
            throw new InvalidInputException(
                    "shape mismatch: input " + Tensor.shapeString(in) + " needs class-index target of shape "
                            + Tensor.shapeString(withoutClassAxis) + ", got " + Tensor.shapeString(tShape));
        }
        if (classes == 0 && rows() > 0)
            throw new InvalidInputException("input has 0 classes: shape " + Tensor.shapeString(in));

        if (kind == LossKind.NLL && spec.labelSmoothing() != 0)
            throw new InvalidInputException("nll_loss has no label smoothing");
        if (kind == LossKind.NLL && (spec.zLossScale() != 0 || spec.softcap() != 0)) {
            throw new InvalidInputException("z-loss and softcap act on logits: use cross-entropy, not nll_loss");
        }
        if (kind == LossKind.NLL && outputs.rowStatistics())
            throw new InvalidInputException(
                    "log-sum-exp and entropy are of logits: use cross-entropy, not nll_loss (its input is log-probabilities)");
        if (outputs.accuracy() && probabilityTarget)
            throw new InvalidInputException("accuracy needs class-index targets");
        if (outputs.topK() > classes)
            throw new InvalidInputException("top-k of " + outputs.topK() + " exceeds the " + classes + " classes");
        Tensor w = spec.weights();
        if (w != null) {
            if (w.numel() != classes) {
                throw new InvalidInputException("weights have shape " + Tensor.shapeString(w.shape())
                        + " but the input has " + classes + " classes");
            }
            this.weights = w.toDoubleArray();
        } else {
            this.weights = null;
        }
    }

    /** Bool class targets: PyTorch refuses them (its class-index rule is int64), and 0/1 read as classes hides the mistake. */
    static InvalidInputException boolTargets() {
        return new InvalidInputException(
                "targets are bool: class-index targets must be integers (PyTorch refuses bool targets); "
                        + "store class indices as integers (np.int64), or use --loss bce for 0/1 labels as float targets");
    }

    /** A block of {@code parent}: the same request over indices [from, to) of axis 0 of the input and target. */
    private LossProblem(LossProblem parent, long from, long to) {
        this.kind = parent.kind;
        this.outputs = parent.outputs;
        this.spec = parent.spec;
        this.probabilityTarget = parent.probabilityTarget;
        this.classes = parent.classes;
        this.weights = parent.weights;
        this.totals = parent.totals();
        this.isBlock = true;
        long[] in = parent.input.shape();
        if (in.length == 1) {
            if (from != 0 || to != 1)
                throw new IndexOutOfBoundsException("a (C) input is one block, not [" + from + ", " + to + ")");
            this.input = parent.input;
            this.target = parent.target;
            this.layout = parent.layout;
            this.outputShape = parent.outputShape;
            this.firstRow = 0;
            return;
        }
        this.input = parent.input.slice(from, to);
        this.target = parent.target.slice(from, to);
        this.layout = RowLayout.along(input.shape(), 1);
        this.outputShape = parent.outputShape.clone();
        this.outputShape[0] = to - from;
        this.firstRow = parent.firstRow + from * layout.inner;
    }

    /**
     * What the target pre-pass finds: the 'mean' divisor W (summed exactly, so it does not depend on blocking), the
     * count of non-ignored rows, and that every class index is valid.
     */
    public static final class Totals {
        private final ExactSum weight; // the exact sum of the non-ignored targets' weights, or null without weights
        private final long validRows;
        private final double divisor;

        /**
         * Totals of a problem without class weights (or with probability targets): W is the row count.
         *
         * @param validRows the rows whose target is not ignore_index
         */
        public Totals(long validRows) {
            this(null, validRows);
        }

        /**
         * Totals with class weights: W is their exact sum.
         *
         * @param weight the exact sum of the non-ignored targets' class weights, or null for none
         * @param validRows the rows whose target is not ignore_index
         */
        public Totals(ExactSum weight, long validRows) {
            this.weight = weight;
            this.validRows = validRows;
            this.divisor = weight == null ? validRows : weight.value();
        }

        /** {@return the 'mean' divisor W: the summed weight of non-ignored targets (their count without weights), or the row count for probabilities} */
        public double divisor() {
            return divisor;
        }

        /** {@return the count of rows whose target is not ignore_index (every row for probability targets)} */
        public long validRows() {
            return validRows;
        }

        /** {@return the exact sum behind {@link #divisor()} when there are class weights (for merging parts exactly), else null} */
        public ExactSum weightSum() {
            return weight;
        }
    }

    /** The first class index of a problem outside [0, C) that is not ignore_index, or none. */
    public static final class BadTarget {
        /** The row (numbered in the problem that was scanned) and the class index found there. */
        public final long row, value;

        BadTarget(long row, long value) {
            this.row = row;
            this.value = value;
        }
    }

    /**
     * The pre-pass over the targets, done once per request (blocks share it): throws {@link #badTarget} for the first
     * class index outside [0, C) that is not ignore_index, before any logit is read.
     *
     * @return the request's totals (computed on the first call, then kept)
     * @throws InvalidInputException for a class index out of range
     */
    public Totals totals() {
        Totals t = totals;
        if (t == null) {
            synchronized (this) {
                if (totals == null) totals = computeTotals();
                t = totals;
            }
        }
        return t;
    }

    private Totals computeTotals() {
        Object scan = scan();
        if (scan instanceof BadTarget) throw badTarget(((BadTarget) scan).row, ((BadTarget) scan).value);
        return (Totals) scan;
    }

    /**
     * The target pre-pass without throwing: the {@link Totals}, or the first {@link BadTarget} (its row numbered in
     * this problem). For callers that number rows in a larger whole themselves, such as a Spark task.
     *
     * @return a {@link Totals} when every target is valid, else a {@link BadTarget}
     */
    public Object scan() {
        long rows = rows();
        if (probabilityTarget) return new Totals(rows);
        long ignore = spec.ignoreIndex();
        long[] y = new long[(int) Math.min(rows, 1 << 16)];
        ExactSum w = weights == null ? null : new ExactSum();
        long valid = 0;
        for (long r0 = 0; r0 < rows; r0 += y.length) {
            int n = (int) Math.min(y.length, rows - r0);
            target.readLongs(r0, y, 0, n);
            for (int j = 0; j < n; j++) {
                long v = y[j];
                if (v == ignore) continue;
                if (v < 0 || v >= classes) return new BadTarget(r0 + j, v);
                valid++;
                if (w != null) w.add(weights[(int) v]);
            }
        }
        return new Totals(w, valid);
    }

    /**
     * Indices [from, to) of axis 0 (N) as a problem of their own: views of the input and target (no copy), the same
     * spec, and this request's {@link #totals()}, so gradients and 'mean' scaling are those of the whole request. Its
     * rows are numbered from 0; {@link #firstRow()} says where they lie in the whole, and errors name whole positions.
     *
     * @param from the first index of axis 0, in [0, {@link #outerSize()}]
     * @param to the index after the last, in [from, outerSize()]; a (C) input is one block, [0, 1)
     * @return the block (its target pre-pass is run first if it has not been)
     * @throws IndexOutOfBoundsException for a (C) input and any range but [0, 1)
     * @throws InvalidInputException if the pre-pass finds a class index out of range
     */
    public LossProblem block(long from, long to) {
        return new LossProblem(this, from, to);
    }

    /** {@return true for a {@link #block} of a request (its totals are the request's, not its own rows')} */
    public boolean isBlock() {
        return isBlock;
    }

    /** {@return where row 0 of this problem lies in the whole request (0 unless this is a {@link #block})} */
    public long firstRow() {
        return firstRow;
    }

    /** {@return the extent of axis 0 (N), the axis blocks are cut along; 1 for a (C) input} */
    public long outerSize() {
        return layout.outer;
    }

    /**
     * Checks a request and lays it out as rows; throws {@link InvalidInputException} with a precise message.
     * Class indices are checked later, by the target pre-pass ({@link #totals()}).
     *
     * @param kind cross-entropy (input of logits) or NLL (input of log-probabilities)
     * @param input floating, shape (C), (N, C) or (N, C, d1..dk)
     * @param target class indices (int32 or int64) of the input's shape less the class axis, or probabilities
     *     (floating, the input's shape; cross-entropy only)
     * @param spec the options; null for {@link LossSpec#DEFAULT}
     * @return the checked request, asking for the loss alone
     * @throws InvalidInputException for a shape, dtype or option that does not fit
     */
    public static LossProblem of(LossKind kind, Tensor input, Tensor target, LossSpec spec) {
        return of(kind, input, target, spec, Outputs.LOSS_ONLY);
    }

    /**
     * As {@link #of(LossKind, Tensor, Tensor, LossSpec)}, also asking for a gradient, accuracy or predictions.
     *
     * @param kind cross-entropy or NLL
     * @param input floating, shape (C), (N, C) or (N, C, d1..dk)
     * @param target class indices or probabilities, as for {@link #of(LossKind, Tensor, Tensor, LossSpec)}
     * @param spec the options; null for {@link LossSpec#DEFAULT}
     * @param outputs what to compute besides the loss; null for the loss alone
     * @return the checked request
     * @throws InvalidInputException for a shape, dtype or option that does not fit (accuracy with probability
     *     targets, top-k above C, say)
     */
    public static LossProblem of(LossKind kind, Tensor input, Tensor target, LossSpec spec, Outputs outputs) {
        return new LossProblem(
                kind,
                input,
                target,
                input.shape(),
                input.dtype(),
                target.shape(),
                target.dtype(),
                spec == null ? LossSpec.DEFAULT : spec,
                outputs == null ? Outputs.LOSS_ONLY : outputs);
    }

    /**
     * The same checks from shapes and types alone, for data that lives elsewhere (on a device); input() and target() are null.
     *
     * @param kind cross-entropy or NLL
     * @param inputShape the input's shape (copied)
     * @param inputType the input's dtype
     * @param targetShape the target's shape (copied)
     * @param targetType the target's dtype
     * @param spec the options; null for {@link LossSpec#DEFAULT}
     * @return a request that asks for the loss alone and holds no data (bool targets cannot be told from int32 here)
     * @throws InvalidInputException for a shape, dtype or option that does not fit
     */
    public static LossProblem describe(
            LossKind kind, long[] inputShape, DType inputType, long[] targetShape, DType targetType, LossSpec spec) {
        return new LossProblem(
                kind,
                null,
                null,
                inputShape.clone(),
                inputType,
                targetShape.clone(),
                targetType,
                spec == null ? LossSpec.DEFAULT : spec,
                Outputs.LOSS_ONLY);
    }

    /** {@return cross-entropy or NLL} */
    public LossKind kind() {
        return kind;
    }

    /** {@return what besides the loss is asked for} */
    public Outputs outputs() {
        return outputs;
    }

    /** {@return true when the request adds only the gradient to the plain loss (no accuracy, predictions, z-loss or softcap)} */
    public boolean gradientOnly() {
        return outputs.gradient()
                && !outputs.accuracy()
                && !outputs.predictions()
                && !outputs.rowStatistics()
                && spec.zLossScale() == 0
                && spec.softcap() == 0;
    }

    /** {@return true when the plain loss kernels do not cover the request (outputs, z-loss or softcap)} */
    public boolean needsTrainingPath() {
        return outputs.any() || spec.zLossScale() != 0 || spec.softcap() != 0;
    }

    /** {@return the host input, or null for a problem made by {@link #describe}} */
    public Tensor input() {
        return input;
    }

    /** {@return the host target, or null for a problem made by {@link #describe}} */
    public Tensor target() {
        return target;
    }

    /** {@return the options: weights, ignore_index, reduction, label smoothing, z-loss, softcap} */
    public LossSpec spec() {
        return spec;
    }

    /** {@return true for a floating target of class probabilities, false for class indices} */
    public boolean probabilityTarget() {
        return probabilityTarget;
    }

    /** {@return C, the extent of the class axis} */
    public int classes() {
        return classes;
    }

    /** {@return product of the dimensions after the class axis: the distance between neighbouring classes of one row} */
    public long inner() {
        return layout.inner;
    }

    /** {@return the input seen as rows along the class axis} */
    public RowLayout layout() {
        return layout;
    }

    /** {@return the number of rows (predictions): N * d1 * ... * dk} */
    public long rows() {
        return layout.rows();
    }

    /**
     * Flat index of element (row, class 0); classes follow at a stride of {@link #inner()}.
     *
     * @param row a row of this problem, in [0, {@link #rows()})
     * @return the index into the flattened input
     */
    public long rowStart(long row) {
        return layout.rowStart(row);
    }

    /** {@return the class weights as doubles (the array itself: do not modify it), or null for none} */
    public double[] weights() {
        return weights;
    }

    /**
     * The weight of class {@code c}.
     *
     * @param c a class index in [0, C)
     * @return its weight, 1 without weights
     */
    public double weight(long c) {
        return weights == null ? 1.0 : weights[(int) c];
    }

    /** {@return the shape of the per-element output: the target's shape, or the input's less the class axis for probabilities} */
    public long[] outputShape() {
        return outputShape.clone();
    }

    /**
     * The class index of {@code row} (class-index targets only).
     *
     * @param row a row of this problem, in [0, {@link #rows()})
     * @return its target, not checked against [0, C) here ({@link #totals()} checks every one)
     */
    public long targetOf(long row) {
        return target.getLong(row);
    }

    /**
     * True when a target of {@code y} drops its row out of the loss and of 'mean'.
     *
     * @param y a class index
     * @return whether {@code y} is the spec's ignore_index
     */
    public boolean isIgnored(long y) {
        return y == spec.ignoreIndex();
    }

    /**
     * The error for a class index outside [0, C) that is not ignore_index; names its position in the target.
     *
     * @param row the row, numbered in this problem (a block's rows are numbered in the whole request in the message)
     * @param value the class index found there
     * @return the exception, for the caller to throw
     */
    public InvalidInputException badTarget(long row, long value) {
        long[] pos = new long[outputShape.length];
        long r = firstRow + row;
        long[] whole = outputShape.clone();
        if (whole.length > 0 && firstRow > 0) whole[0] = Long.MAX_VALUE; // axis 0 of a block: number it in the whole
        for (int i = pos.length - 1; i >= 0; i--) {
            pos[i] = r % whole[i];
            r /= whole[i];
        }
        StringBuilder at = new StringBuilder("target[");
        for (int i = 0; i < pos.length; i++) at.append(i == 0 ? "" : ", ").append(pos[i]);
        at.append(']');
        return new InvalidInputException(at + " = " + value + " is not a valid class: expected 0 <= target < " + classes
                + " or ignore_index " + spec.ignoreIndex());
    }

    /**
     * Packages one computation of this problem's rows: {@code perRow} (each row's loss, its z term included) and the
     * extras, reduced exactly as a whole request is (see {@link LossAccumulator}). For a {@link #block} the value is
     * that of the block's rows alone; the extras keep the counts and z terms that merging needs.
     *
     * @param perRow each row's loss, {@link #rows()} values
     * @param device the backend's name
     * @param extras the gradient, predictions, hit counts and z terms computed with the losses
     * @return the result, its per-element losses in {@link #outputShape()}
     */
    public LossResult finish(Tensor perRow, String device, LossResult.Extras extras) {
        LossAccumulator acc = new LossAccumulator();
        acc.add(perRow, extras);
        return acc.result(this, perRow.reshape(outputShape), extras.gradient(), extras.predictions(), device)
                .withExtras(extras);
    }

    /**
     * {@link #finish(Tensor, String, LossResult.Extras)} of the loss alone.
     *
     * @param perRow each row's loss, {@link #rows()} values
     * @param device the backend's name
     * @return the result
     */
    public LossResult finish(Tensor perRow, String device) {
        return finish(perRow, device, LossResult.Extras.NONE);
    }
}
