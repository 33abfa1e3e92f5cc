package dev.xent;

import java.util.Arrays;

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

    private LossProblem(LossKind kind, Tensor input, Tensor target, long[] in, DType inType, long[] tShape, DType tType, LossSpec spec,
                        Outputs outputs) {
        this.kind = kind;
        this.outputs = outputs;
        this.input = input;
        this.target = target;
        this.spec = spec;
        if (!inType.isFloating()) throw new InvalidInputException("input must be floating point, got " + inType.label());
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
        if (probabilityTarget) {
            if (kind == LossKind.NLL) throw new InvalidInputException("nll_loss takes class-index targets (int32 or int64), got " + tType.label());
            if (!Arrays.equals(in, tShape)) {
                throw new InvalidInputException("probability targets must have the input's shape: input " + Tensor.shapeString(in)
                        + ", target " + Tensor.shapeString(tShape));
            }
        } else if (!Arrays.equals(withoutClassAxis, tShape)) {
            throw new InvalidInputException("shape mismatch: input " + Tensor.shapeString(in) + " needs class-index target of shape "
                    + Tensor.shapeString(withoutClassAxis) + ", got " + Tensor.shapeString(tShape));
        }
        if (rows() > Tensor.MAX_ARRAY_ELEMENTS) throw new InvalidInputException("too many rows for per-element output: " + rows());
        if (classes == 0 && rows() > 0) throw new InvalidInputException("input has 0 classes: shape " + Tensor.shapeString(in));

        if (kind == LossKind.NLL && spec.labelSmoothing() != 0) throw new InvalidInputException("nll_loss has no label smoothing");
        if (kind == LossKind.NLL && (spec.zLossScale() != 0 || spec.softcap() != 0)) {
            throw new InvalidInputException("z-loss and softcap act on logits: use cross-entropy, not nll_loss");
        }
        if (outputs.accuracy() && probabilityTarget) throw new InvalidInputException("accuracy needs class-index targets");
        if (outputs.topK() > classes) throw new InvalidInputException("top-k of " + outputs.topK() + " exceeds the " + classes + " classes");
        Tensor w = spec.weights();
        if (w != null) {
            if (w.numel() != classes) {
                throw new InvalidInputException("weights have shape " + Tensor.shapeString(w.shape()) + " but the input has " + classes + " classes");
            }
            this.weights = w.toDoubleArray();
        } else {
            this.weights = null;
        }
    }

    /** Checks a request and lays it out as rows; throws {@link InvalidInputException} with a precise message. */
    public static LossProblem of(LossKind kind, Tensor input, Tensor target, LossSpec spec) {
        return of(kind, input, target, spec, Outputs.LOSS_ONLY);
    }

    /** As {@link #of(LossKind, Tensor, Tensor, LossSpec)}, also asking for a gradient, accuracy or predictions. */
    public static LossProblem of(LossKind kind, Tensor input, Tensor target, LossSpec spec, Outputs outputs) {
        return new LossProblem(kind, input, target, input.shape(), input.dtype(), target.shape(), target.dtype(),
                spec == null ? LossSpec.DEFAULT : spec, outputs == null ? Outputs.LOSS_ONLY : outputs);
    }

    /** The same checks from shapes and types alone, for data that lives elsewhere (on a device); input() and target() are null. */
    public static LossProblem describe(LossKind kind, long[] inputShape, DType inputType, long[] targetShape, DType targetType, LossSpec spec) {
        return new LossProblem(kind, null, null, inputShape.clone(), inputType, targetShape.clone(), targetType,
                spec == null ? LossSpec.DEFAULT : spec, Outputs.LOSS_ONLY);
    }

    public LossKind kind() { return kind; }

    /** What besides the loss is asked for. */
    public Outputs outputs() { return outputs; }

    /** True when the request adds only the gradient to the plain loss (no accuracy, predictions, z-loss or softcap). */
    public boolean gradientOnly() {
        return outputs.gradient() && !outputs.accuracy() && !outputs.predictions() && spec.zLossScale() == 0 && spec.softcap() == 0;
    }

    /** True when the plain loss kernels do not cover the request (outputs, z-loss or softcap). */
    public boolean needsTrainingPath() {
        return outputs.any() || spec.zLossScale() != 0 || spec.softcap() != 0;
    }

    /** The host input, or null for a problem made by {@link #describe}. */
    public Tensor input() { return input; }

    /** The host target, or null for a problem made by {@link #describe}. */
    public Tensor target() { return target; }

    public LossSpec spec() { return spec; }

    public boolean probabilityTarget() { return probabilityTarget; }

    public int classes() { return classes; }

    /** Product of the dimensions after the class axis: the distance between neighbouring classes of one row. */
    public long inner() { return layout.inner; }

    public RowLayout layout() { return layout; }

    /** Number of rows (predictions): N * d1 * ... * dk. */
    public long rows() { return layout.rows(); }

    /** Flat index of element (row, class 0); classes follow at a stride of {@link #inner()}. */
    public long rowStart(long row) { return layout.rowStart(row); }

    /** Class weights as doubles, or null for none. */
    public double[] weights() { return weights; }

    public double weight(long c) { return weights == null ? 1.0 : weights[(int) c]; }

    /** Shape of the per-element output: the target's shape, or the input's less the class axis for probabilities. */
    public long[] outputShape() { return outputShape.clone(); }

    /** The class index of {@code row} (class-index targets only). */
    public long targetOf(long row) { return target.getLong(row); }

    public boolean isIgnored(long y) { return y == spec.ignoreIndex(); }

    /** The error for a class index outside [0, C) that is not ignore_index; names its position in the target. */
    public InvalidInputException badTarget(long row, long value) {
        long[] pos = new long[outputShape.length];
        long r = row;
        for (int i = pos.length - 1; i >= 0; i--) {
            pos[i] = r % outputShape[i];
            r /= outputShape[i];
        }
        StringBuilder at = new StringBuilder("target[");
        for (int i = 0; i < pos.length; i++) at.append(i == 0 ? "" : ", ").append(pos[i]);
        at.append(']');
        return new InvalidInputException(at + " = " + value + " is not a valid class: expected 0 <= target < " + classes
                + " or ignore_index " + spec.ignoreIndex());
    }

    /**
     * Reduces per-row losses in row order (so every backend, and every run, gives the same bits from the same per-row
     * values) and packages the result. {@code divisor} is the 'mean' denominator W.
     */
    public LossResult finish(Tensor perRow, double divisor, String device) {
        return finish(perRow, divisor, 0, 0, device, LossResult.Extras.NONE);
    }

    /**
     * As {@link #finish(Tensor, double, String)} with a z-loss part: per-row values include it; 'mean' divides the
     * cross-entropy part by {@code divisor} and the z part ({@code zSum}) by {@code validRows}, as Liger-Kernel does.
     */
    public LossResult finish(Tensor perRow, double divisor, double zSum, long validRows, String device, LossResult.Extras extras) {
        double sum = 0;
        long n = perRow.numel();
        for (long i = 0; i < n; i++) sum += perRow.getDouble(i);
        double value;
        switch (spec.reduction()) {
            case SUM: value = sum; break;
            // 0/0 is NaN: an all-ignored or empty mean, as in PyTorch
            case MEAN: value = zSum == 0 ? sum / divisor : (sum - zSum) / divisor + zSum / validRows; break;
            default: value = Double.NaN;
        }
        return new LossResult(spec.reduction(), value, perRow.reshape(outputShape), divisor, device, extras);
    }
}
