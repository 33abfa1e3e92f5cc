package dev.xent;

import java.util.SplittableRandom;

/**
 * Random loss problems for the variant and property tests: shapes from the awkward list (1, 2, 31, 32, 33, 1000, 4099,
 * ...) and random ones, every option, every dtype, and adversarial rows (huge, -inf, peaked, ignored).
 */
public final class RandomProblems {
    static final int[] AWKWARD_CLASSES = {1, 2, 3, 31, 32, 33, 63, 64, 65, 127, 1000, 1023, 1024, 1025, 4099};
    static final DType[] LOGIT_TYPES = {DType.F32, DType.F32, DType.F16, DType.BF16, DType.F64};

    final SplittableRandom rnd;

    RandomProblems(long seed) {
        this.rnd = new SplittableRandom(seed);
    }

    int classes() {
        return rnd.nextInt(3) == 0 ? 1 + rnd.nextInt(300) : AWKWARD_CLASSES[rnd.nextInt(AWKWARD_CLASSES.length)];
    }

    long[] shape(int c) {
        switch (rnd.nextInt(6)) {
            case 0:
                return new long[] {c};
            case 1:
                return new long[] {1 + rnd.nextInt(4), c, 1 + rnd.nextInt(5)};
            case 2:
                return new long[] {1 + rnd.nextInt(3), c, 1 + rnd.nextInt(3), 1 + rnd.nextInt(3)};
            default:
                return new long[] {rnd.nextInt(20) == 0 ? 0 : 1 + rnd.nextInt(Math.max(1, 20000 / c)), c};
        }
    }

    /** Logits of the given type; {@code style}: 0 normal, 1 huge offset, 2 some -inf, 3 peaked. */
    Tensor logits(long[] shape, DType dt, int style) {
        int n = (int) Tensor.numel(shape);
        double[] v = new double[n];
        int c = (int) (shape.length == 1 ? shape[0] : shape[1]);
        for (int i = 0; i < n; i++) {
            double x = gaussian() * 3;
            if (style == 1) x += 5000;
            if (style == 2 && rnd.nextInt(4) == 0) x = Double.NEGATIVE_INFINITY;
            if (style == 3 && rnd.nextInt(c) == 0) x += 40;
            v[i] = x;
        }
        if (style == 2) { // keep at least one finite logit in every row: a row of -inf is NaN, tested on its own
            long inner = 1;
            for (int i = 2; i < shape.length; i++) inner *= shape[i];
            for (long r = 0; r < n / Math.max(c, 1); r++) v[(int) ((r / inner) * c * inner + r % inner)] = gaussian();
        }
        Tensor t = Tensor.of(v, shape);
        return dt == DType.F64 ? t : t.to(dt);
    }

    double gaussian() {
        double u = rnd.nextDouble(), w = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * w);
    }

    /** A whole random problem: kind, logits, target, options. */
    LossProblem problem() {
        int c = classes();
        long[] shape = shape(c);
        DType dt = LOGIT_TYPES[rnd.nextInt(LOGIT_TYPES.length)];
        boolean prob = rnd.nextInt(4) == 0;
        LossKind kind = !prob && rnd.nextInt(5) == 0 ? LossKind.NLL : LossKind.CROSS_ENTROPY;
        int style = dt == DType.F16 || dt == DType.BF16 ? (rnd.nextInt(3) == 1 ? 0 : rnd.nextInt(4)) : rnd.nextInt(4);
        if ((dt == DType.F16 || dt == DType.BF16) && style == 1)
            style = 0; // 5000 + x has no fractional bits left in 16 bits
        Tensor x = logits(shape, dt, style);
        long ignore = rnd.nextInt(3) == 0 ? rnd.nextInt(Math.max(c, 1)) : LossSpec.DEFAULT_IGNORE_INDEX;
        LossSpec.Builder b =
                LossSpec.builder().reduction(Reduction.values()[rnd.nextInt(3)]).ignoreIndex(ignore);
        if (rnd.nextBoolean()) {
            float[] w = new float[c];
            for (int i = 0; i < c; i++) w[i] = (float) (0.1 + 2 * rnd.nextDouble());
            b.weights(w);
        }
        if (kind == LossKind.CROSS_ENTROPY && rnd.nextInt(3) == 0) b.labelSmoothing(rnd.nextDouble());
        Tensor t;
        long[] tShape = new long[shape.length - 1];
        if (shape.length > 1) {
            tShape[0] = shape[0];
            System.arraycopy(shape, 2, tShape, 1, shape.length - 2);
        }
        if (prob) {
            int n = (int) Tensor.numel(shape);
            double[] p = new double[n];
            for (int i = 0; i < n; i++)
                p[i] = Math.pow(rnd.nextDouble(), 3); // not normalised: PyTorch does not require it
            t = Tensor.of(p, shape);
            if (rnd.nextBoolean()) t = t.to(DType.F32);
        } else {
            int n = (int) Tensor.numel(tShape);
            long[] y = new long[n];
            for (int i = 0; i < n; i++) y[i] = rnd.nextInt(5) == 0 ? ignore : rnd.nextInt(c);
            t = rnd.nextBoolean() ? Tensor.of(y, tShape) : Tensor.of(y, tShape).to(DType.I32);
        }
        if (kind == LossKind.NLL)
            x = Tensor.of(logSoftmaxRows(x.toDoubleArray(), shape), shape).to(dt);
        return LossProblem.of(kind, x, t, b.build());
    }

    private static double[] logSoftmaxRows(double[] x, long[] shape) {
        RowLayout rl = RowLayout.along(shape, shape.length == 1 ? 0 : 1);
        double[] out = new double[x.length];
        for (long r = 0; r < rl.rows(); r++) {
            long s = rl.rowStart(r);
            double m = Double.NEGATIVE_INFINITY, sum = 0;
            for (int k = 0; k < rl.classes; k++) m = Math.max(m, x[(int) (s + k * rl.inner)]);
            for (int k = 0; k < rl.classes; k++) sum += Math.exp(x[(int) (s + k * rl.inner)] - m);
            for (int k = 0; k < rl.classes; k++)
                out[(int) (s + k * rl.inner)] = x[(int) (s + k * rl.inner)] - m - Math.log(sum);
        }
        return out;
    }
}
