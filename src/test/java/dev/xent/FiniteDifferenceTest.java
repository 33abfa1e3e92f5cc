package dev.xent;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.reference.ReferenceBackend;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The reference gradient against central differences of the reference loss, in float64, on fresh random problems with
 * every option (weights, smoothing, ignore_index, probability targets, NLL, z-loss, softcap, K-dim, each reduction).
 */
class FiniteDifferenceTest {
    @Test
    void gradientMatchesCentralDifferences() {
        long seed = System.nanoTime();
        SplittableRandom rnd = new SplittableRandom(seed);
        try (ReferenceBackend ref = new ReferenceBackend()) {
            for (int trial = 0; trial < 150; trial++) {
                int c = 1 + rnd.nextInt(9), n = 1 + rnd.nextInt(4), d = rnd.nextInt(3) == 0 ? 1 + rnd.nextInt(3) : 0;
                long[] shape = d == 0 ? new long[] {n, c} : new long[] {n, c, d};
                long[] tShape = d == 0 ? new long[] {n} : new long[] {n, d};
                double[] x = new double[(int) Tensor.numel(shape)];
                for (int i = 0; i < x.length; i++) x[i] = rnd.nextDouble() * 6 - 3;
                boolean prob = rnd.nextInt(4) == 0;
                LossKind kind = !prob && rnd.nextInt(4) == 0 ? LossKind.NLL : LossKind.CROSS_ENTROPY;
                LossSpec.Builder b = LossSpec.builder()
                        .reduction(Reduction.values()[rnd.nextInt(3)])
                        .ignoreIndex(rnd.nextInt(3) == 0 ? 0 : -100);
                if (rnd.nextBoolean()) {
                    float[] w = new float[c];
                    for (int k = 0; k < c; k++) w[k] = (float) (0.2 + rnd.nextDouble());
                    b.weights(w);
                }
                if (kind == LossKind.CROSS_ENTROPY) {
                    if (rnd.nextBoolean()) b.labelSmoothing(rnd.nextDouble() * 0.5);
                    if (rnd.nextBoolean()) b.zLossScale(rnd.nextDouble() * 0.1);
                    if (rnd.nextBoolean()) b.softcap(1 + rnd.nextDouble() * 4);
                }
                Tensor t;
                if (prob) {
                    double[] p = new double[x.length];
                    for (int i = 0; i < p.length; i++) p[i] = rnd.nextDouble();
                    t = Tensor.of(p, shape);
                } else {
                    long[] y = new long[(int) Tensor.numel(tShape)];
                    for (int i = 0; i < y.length; i++) y[i] = rnd.nextInt(c);
                    if (y.length > 1)
                        y[0] = -100 == b.build().ignoreIndex() ? -100 : y[0]; // one ignored row most of the time
                    t = Tensor.of(y, tShape);
                }
                LossSpec spec = b.build();
                double[] g = ref.loss(LossProblem.of(
                                kind,
                                Tensor.of(x, shape),
                                t,
                                spec,
                                Outputs.builder().gradient(true).build()))
                        .gradient()
                        .toDoubleArray();
                if (Double.isNaN(total(ref, kind, x, shape, t, spec)))
                    continue; // all ignored: no derivative (PyTorch's gradient is 0, see the golden cases)
                double h = 1e-5;
                for (int i = 0; i < x.length; i++) {
                    double keep = x[i];
                    x[i] = keep + h;
                    double up = total(ref, kind, x, shape, t, spec);
                    x[i] = keep - h;
                    double down = total(ref, kind, x, shape, t, spec);
                    x[i] = keep;
                    double numeric = (up - down) / (2 * h);
                    assertTrue(
                            Math.abs(numeric - g[i]) <= 1e-6 * (1 + Math.abs(numeric)),
                            "trial " + trial + " (seed " + seed + ") " + kind + " " + spec + " element " + i
                                    + ": analytic " + g[i] + ", numeric " + numeric);
                }
            }
        }
    }

    /** The reduced loss, or the sum of per-element losses for 'none' (what the gradient is of). */
    private static double total(Backend ref, LossKind kind, double[] x, long[] shape, Tensor t, LossSpec spec) {
        LossResult r = ref.loss(LossProblem.of(kind, Tensor.of(x.clone(), shape), t, spec));
        if (r.isScalar()) return r.value();
        double s = 0;
        for (double v : r.perElement().toDoubleArray()) s += v;
        return s;
    }
}
