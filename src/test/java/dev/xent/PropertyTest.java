package dev.xent;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.cpu.CpuBackend;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Mathematical facts the loss must obey, on fresh random inputs through the fast CPU path. */
class PropertyTest {
    static Xent xent;
    static final LossSpec NONE = LossSpec.builder().reduction(Reduction.NONE).build();

    @BeforeAll
    static void open() {
        xent = Xent.on(new CpuBackend(2, true));
    }

    @AfterAll
    static void close() {
        xent.close();
    }

    private final long seed = System.nanoTime();
    private final RandomProblems gen = new RandomProblems(seed);

    private double[] perRow(Tensor x, Tensor t) {
        return xent.crossEntropy(x, t, NONE).perElement().toDoubleArray();
    }

    @Test
    void shiftInvariance() {
        for (int i = 0; i < 300; i++) {
            int c = gen.classes(), n = 1 + gen.rnd.nextInt(50);
            double[] x = gen.logits(new long[] {n, c}, DType.F64, 0).toDoubleArray();
            long[] y = new long[n];
            for (int r = 0; r < n; r++) y[r] = gen.rnd.nextInt(c);
            double shift = (gen.rnd.nextDouble() - 0.5) * 200;
            double[] shifted = x.clone();
            for (int k = 0; k < shifted.length; k++) shifted[k] += shift;
            Tolerance.assertAllClose(
                    "shift " + shift + " (seed " + seed + ")",
                    perRow(Tensor.of(x, n, c).to(DType.F32), Tensor.of(y, n)),
                    perRow(Tensor.of(shifted, n, c).to(DType.F32), Tensor.of(y, n)),
                    DType.F32);
        }
    }

    @Test
    void uniformLogitsGiveLogC() {
        for (int c : RandomProblems.AWKWARD_CLASSES) {
            float[] x = new float[3 * c];
            java.util.Arrays.fill(x, (float) gen.gaussian() * 10);
            double[] l = perRow(Tensor.of(x, 3, c), Tensor.of(new long[] {0, c / 2, c - 1}, 3));
            for (double v : l) Tolerance.assertClose("uniform over " + c + " classes", Math.log(c), v, DType.F32);
        }
    }

    @Test
    void permutingClassesWithTheTargetChangesNothing() {
        SplittableRandom r = gen.rnd;
        for (int i = 0; i < 200; i++) {
            int c = gen.classes(), n = 1 + r.nextInt(20);
            double[] x = gen.logits(new long[] {n, c}, DType.F32, r.nextInt(4)).toDoubleArray();
            long[] y = new long[n];
            for (int k = 0; k < n; k++) y[k] = r.nextInt(c);
            int[] perm = new int[c];
            for (int k = 0; k < c; k++) perm[k] = k;
            for (int k = c - 1; k > 0; k--) {
                int j = r.nextInt(k + 1);
                int t = perm[k];
                perm[k] = perm[j];
                perm[j] = t;
            }
            double[] px = new double[x.length];
            long[] py = new long[n];
            for (int row = 0; row < n; row++) {
                for (int k = 0; k < c; k++) px[row * c + perm[k]] = x[row * c + k];
                py[row] = perm[(int) y[row]];
            }
            Tolerance.assertAllClose(
                    "permutation (seed " + seed + ")",
                    perRow(Tensor.of(x, n, c).to(DType.F32), Tensor.of(y, n)),
                    perRow(Tensor.of(px, n, c).to(DType.F32), Tensor.of(py, n)),
                    DType.F32);
        }
    }

    @Test
    void lossIsNeverNegative() {
        for (int i = 0; i < 300; i++) {
            int c = gen.classes(), n = 1 + gen.rnd.nextInt(30);
            Tensor x = gen.logits(new long[] {n, c}, DType.F32, gen.rnd.nextInt(4));
            long[] y = new long[n];
            for (int k = 0; k < n; k++) y[k] = gen.rnd.nextInt(c);
            for (double v : perRow(x, Tensor.of(y, n)))
                assertTrue(v >= 0, "negative loss " + v + " (seed " + seed + ")");
        }
    }

    @Test
    void softmaxRowsSumToOne() {
        for (int i = 0; i < 100; i++) {
            int c = gen.classes();
            double[] p = xent.softmax(gen.logits(new long[] {4, c}, DType.F32, gen.rnd.nextInt(4)), 1)
                    .toDoubleArray();
            for (int r = 0; r < 4; r++) {
                double s = 0;
                for (int k = 0; k < c; k++) s += p[r * c + k];
                Tolerance.assertClose("softmax row sum, C=" + c + " (seed " + seed + ")", 1.0, s, DType.F32);
            }
        }
    }
}
