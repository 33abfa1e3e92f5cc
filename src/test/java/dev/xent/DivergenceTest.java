package dev.xent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.cpu.CpuBackend;
import dev.xent.io.Npy;
import dev.xent.reference.ReferenceBackend;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * kl_div, kd and jsd: PyTorch's values and autograd gradients (scripts/golden.py) on the reference and both CPU
 * loops; the CPU against the reference on fresh random and adversarial rows; the reference's gradient against
 * central differences; the same bits whatever the row blocking.
 */
class DivergenceTest {
    private static Xent reference, vector, scalar;

    @BeforeAll
    static void open() {
        reference = Xent.on(new ReferenceBackend());
        vector = Xent.on(new CpuBackend(2, true));
        scalar = Xent.on(new CpuBackend(2, false));
    }

    @AfterAll
    static void close() {
        reference.close();
        vector.close();
        scalar.close();
    }

    static Stream<Golden> klCases() {
        return Golden.kl().stream();
    }

    static Stream<Golden> divergenceCases() {
        return Golden.divergence().stream();
    }

    /** float64 tolerance on the reference, else that of the arithmetic (float32 at most), as the rest of the suite. */
    private static DType tol(Xent x, DType in) {
        return x == reference || in == DType.F64 ? DType.F64 : DType.F32;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("klCases")
    void klDivMatchesPyTorch(Golden g) {
        Reduction red = Reduction.parse(g.node.get("reduction").asText());
        boolean logTarget = g.node.get("log_target").asBoolean();
        Tensor x = g.array("input"), t = g.array("target");
        for (Xent xe : List.of(reference, vector, scalar)) {
            String what = g.name + " on " + xe.backend().name();
            LossResult r = xe.klDiv(x, t, red, logTarget, true);
            DType d = tol(xe, x.dtype());
            if (red != Reduction.NONE) Tolerance.assertClose(what, g.expected(), r.value(), d);
            Tolerance.assertAllClose(
                    what + " none",
                    g.array("expected_none").toDoubleArray(),
                    xe.klDiv(x, t, Reduction.NONE, logTarget, false)
                            .perElement()
                            .toDoubleArray(),
                    d);
            Tolerance.assertAllClose(
                    what + " grad",
                    g.array("grad").toDoubleArray(),
                    r.gradient().toDoubleArray(),
                    d);
            assertArrayEquals(x.shape(), r.gradient().shape(), what);
        }
    }

    static DivergenceSpec spec(Golden g) {
        DivergenceSpec.Kind kind =
                g.node.get("loss").asText().equals("kd") ? DivergenceSpec.Kind.KD : DivergenceSpec.Kind.JSD;
        DivergenceSpec.Builder b = DivergenceSpec.builder(kind)
                .reduction(Reduction.parse(g.node.get("reduction").asText()))
                .temperature(g.number("temperature", 1));
        if (kind == DivergenceSpec.Kind.JSD) b.beta(g.number("beta", 0.5));
        double alpha = g.number("alpha", Double.NaN);
        if (!Double.isNaN(alpha)) b.alpha(alpha);
        return b.build();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("divergenceCases")
    void kdAndJsdMatchPyTorch(Golden g) {
        DivergenceSpec spec = spec(g);
        Tensor s = g.array("student"), t = g.array("teacher"), y = g.array("target");
        for (Xent xe : List.of(reference, vector, scalar)) {
            String what = g.name + " on " + xe.backend().name();
            DivergenceResult r = xe.divergence(s, t, y, spec, true);
            DType d = tol(xe, s.dtype());
            if (spec.reduction() != Reduction.NONE) {
                Tolerance.assertClose(what, g.expected(), r.value(), d);
                Tolerance.assertClose(
                        what + " divergence part", g.number("expected_divergence", Double.NaN), r.divergence(), d);
            }
            Tolerance.assertAllClose(
                    what + " per row",
                    g.array("expected_none").toDoubleArray(),
                    r.perRow().toDoubleArray(),
                    d);
            Tolerance.assertAllClose(
                    what + " grad",
                    g.array("grad").toDoubleArray(),
                    r.gradient().toDoubleArray(),
                    d);
        }
    }

    // ------------------------------------------------------------------------------------------- random and
    // adversarial

    /** Student and teacher rows: normal, huge offsets, -inf in both or in the student alone, peaked, NaN. */
    static Tensor[] problem(Random r, int n, int c, int kind, DType dtype) {
        float[] s = new float[n * c], t = new float[n * c];
        for (int i = 0; i < s.length; i++) {
            s[i] = (float) (r.nextGaussian() * 3);
            t[i] = (float) (s[i] * 0.4 + r.nextGaussian() * 2);
        }
        for (int row = 0; row < n; row++) {
            for (int k = 0; k < c; k++) {
                int i = row * c + k;
                switch (kind) {
                    case 1:
                        s[i] += 2e4f;
                        t[i] -= 5e3f;
                        break; // huge logits
                    case 2:
                        if (k > 0 && r.nextInt(4) == 0) {
                            s[i] = t[i] = Float.NEGATIVE_INFINITY;
                        }
                        break; // masked vocabulary
                    case 3:
                        if (r.nextInt(c) == 0) {
                            s[i] += 40;
                            t[i] += 35;
                        }
                        break; // peaked
                    case 4:
                        if (row == 1 && k == c / 2) s[i] = Float.NaN;
                        break; // a NaN row
                    case 5:
                        if (k > 0 && r.nextInt(5) == 0) t[i] = Float.NEGATIVE_INFINITY;
                        break; // teacher rules classes out
                    default:
                        break;
                }
            }
        }
        long[] y = new long[n];
        for (int i = 0; i < n; i++) y[i] = r.nextInt(4) == 0 ? -100 : r.nextInt(c);
        if (kind == 2) for (int i = 0; i < n; i++) if (y[i] >= 0) y[i] = 0; // a class left finite
        return new Tensor[] {Tensor.of(s, n, c).to(dtype), Tensor.of(t, n, c).to(dtype), Tensor.of(y, n)};
    }

    static List<DivergenceSpec> specs() {
        List<DivergenceSpec> out = new ArrayList<>();
        for (Reduction red : new Reduction[] {Reduction.NONE, Reduction.SUM, Reduction.BATCHMEAN}) {
            out.add(DivergenceSpec.builder(DivergenceSpec.Kind.KD)
                    .reduction(red)
                    .build());
            out.add(DivergenceSpec.builder(DivergenceSpec.Kind.KD)
                    .reduction(red)
                    .temperature(3)
                    .alpha(0.6)
                    .build());
            for (double beta : new double[] {0, 0.2, 0.5, 1}) {
                out.add(DivergenceSpec.builder(DivergenceSpec.Kind.JSD)
                        .reduction(red)
                        .beta(beta)
                        .temperature(beta == 0.5 ? 2 : 1)
                        .build());
            }
        }
        out.add(DivergenceSpec.builder(DivergenceSpec.Kind.KD)
                .reduction(Reduction.MEAN)
                .temperature(0.5)
                .build());
        return out;
    }

    @Test
    void cpuMatchesTheReferenceOnRandomAndAdversarialRows() {
        long seed = Long.getLong("xent.test.seed", System.nanoTime());
        Random r = new Random(seed);
        for (int c : new int[] {1, 2, 5, 31, 33, 128, 1000, 4100}) {
            for (int kind = 0; kind <= 5; kind++) {
                if (c == 1 && kind == 2) continue;
                int n = 3 + r.nextInt(9);
                for (DType dt : new DType[] {DType.F32, DType.BF16, DType.F64}) {
                    DType tol = dt == DType.F64 ? DType.F64 : DType.F32; // float64 rows are computed in float64
                    Tensor[] p = problem(r, n, c, kind, dt);
                    for (DivergenceSpec spec : specs()) {
                        boolean targets = spec.mixesCrossEntropy() || r.nextBoolean();
                        Tensor y = targets ? p[2] : null;
                        String what = spec + " C=" + c + " kind " + kind + " " + dt.label()
                                + (targets ? " with targets" : "") + " (seed " + seed + ")";
                        DivergenceResult want = reference.divergence(p[0], p[1], y, spec, true);
                        for (Xent xe : List.of(vector, scalar)) {
                            DivergenceResult got = xe.divergence(p[0], p[1], y, spec, true);
                            String w = what + " on " + xe.backend().name();
                            if (spec.reduction() != Reduction.NONE)
                                Tolerance.assertClose(w, want.value(), got.value(), tol);
                            Tolerance.assertAllClose(
                                    w + " per row",
                                    want.perRow().toDoubleArray(),
                                    got.perRow().toDoubleArray(),
                                    tol);
                            Tolerance.assertAllClose(
                                    w + " grad",
                                    want.gradient().toDoubleArray(),
                                    got.gradient().toDoubleArray(),
                                    tol);
                        }
                    }
                }
            }
        }
    }

    @Test
    void classesRuledOutByBothAddNothingAndIdenticalRowsGiveZero() {
        float inf = Float.NEGATIVE_INFINITY;
        Tensor s = Tensor.of(new float[] {2, inf, 0.5f, inf, 1, 3}, 2, 3);
        for (Xent xe : List.of(reference, vector, scalar)) {
            for (DivergenceSpec spec : specs()) {
                if (spec.mixesCrossEntropy()) continue;
                DivergenceResult r = xe.divergence(s, s, null, spec, true);
                for (double v : r.perRow().toDoubleArray())
                    assertEquals(0.0, v, 1e-6, spec + " on " + xe.backend().name());
                for (double v : r.gradient().toDoubleArray()) assertTrue(Math.abs(v) <= 1e-6, spec + " gradient " + v);
            }
            // the teacher gives a class probability the student rules out: KL(P || Q) is +inf
            Tensor t = Tensor.of(new float[] {2, 0, 0.5f, 1, 1, 3}, 2, 3);
            DivergenceResult kd = xe.divergence(
                    s, t, null, DivergenceSpec.builder(DivergenceSpec.Kind.KD).build(), false);
            assertEquals(
                    Double.POSITIVE_INFINITY,
                    kd.perRow().toDoubleArray()[0],
                    xe.backend().name());
        }
    }

    // ------------------------------------------------------------------------------------------- gradient and blocking

    @Test
    void referenceGradientMatchesCentralDifferences() {
        Random r = new Random(3);
        int n = 4, c = 7;
        double[] s = new double[n * c], t = new double[n * c];
        for (int i = 0; i < s.length; i++) {
            s[i] = r.nextGaussian() * 2;
            t[i] = r.nextGaussian() * 2;
        }
        long[] y = {3, -100, 0, 6};
        for (DivergenceSpec spec : specs()) {
            Tensor yt = spec.mixesCrossEntropy() ? Tensor.of(y, n) : null;
            double[] g = reference
                    .divergence(Tensor.of(s, n, c), Tensor.of(t, n, c), yt, spec, true)
                    .gradient()
                    .toDoubleArray();
            double h = 1e-6;
            for (int i = 0; i < s.length; i++) {
                double[] up = s.clone(), down = s.clone();
                up[i] += h;
                down[i] -= h;
                double fd = (total(spec, up, t, yt, n, c) - total(spec, down, t, yt, n, c)) / (2 * h);
                assertEquals(fd, g[i], 1e-6 + 1e-5 * Math.abs(fd), spec + " element " + i);
            }
        }
    }

    /** The reduced value, or the sum of per-row values for none (whose gradient is that of the sum). */
    private static double total(DivergenceSpec spec, double[] s, double[] t, Tensor y, int n, int c) {
        DivergenceResult r = reference.divergence(Tensor.of(s, n, c), Tensor.of(t, n, c), y, spec, false);
        if (r.isScalar()) return r.value();
        double sum = 0;
        for (double v : r.perRow().toDoubleArray()) sum += v;
        return sum;
    }

    @TempDir
    Path dir;

    @Test
    void theSameBitsWhateverTheBlocking() throws IOException {
        Random r = new Random(9);
        Tensor[] p = problem(r, 301, 37, 0, DType.F32);
        Path fs = dir.resolve("s.npy"), ft = dir.resolve("t.npy");
        Npy.write(fs, p[0]);
        Npy.write(ft, p[1]);
        String old = System.getProperty("xent.blockElements");
        try {
            for (DivergenceSpec spec : specs()) {
                DivergenceResult whole = vector.divergence(p[0], p[1], p[2], spec, true);
                System.setProperty("xent.blockElements", String.valueOf(37 * 13)); // 13 rows a block, mapped inputs
                DivergenceResult blocked = vector.divergence(Npy.read(fs), Npy.read(ft), p[2], spec, true);
                System.clearProperty("xent.blockElements");
                assertEquals(
                        Double.doubleToRawLongBits(whole.value()),
                        Double.doubleToRawLongBits(blocked.value()),
                        spec.toString());
                assertArrayEquals(
                        whole.perRow().toDoubleArray(), blocked.perRow().toDoubleArray(), spec.toString());
                assertArrayEquals(
                        whole.gradient().toDoubleArray(), blocked.gradient().toDoubleArray(), spec.toString());
            }
        } finally {
            if (old == null) System.clearProperty("xent.blockElements");
            else System.setProperty("xent.blockElements", old);
        }
    }

    // ------------------------------------------------------------------------------------------- refusals

    @Test
    void badRequestsAreRefusedWithTheirReason() {
        Tensor s = Tensor.of(new float[6], 2, 3), t3 = Tensor.of(new float[9], 3, 3);
        DivergenceSpec kd = DivergenceSpec.builder(DivergenceSpec.Kind.KD).build();
        assertMessage("teacher logits must have the student's shape", () -> vector.divergence(s, t3, null, kd, false));
        assertMessage(
                "give the targets",
                () -> vector.divergence(
                        s,
                        s,
                        null,
                        DivergenceSpec.builder(DivergenceSpec.Kind.KD)
                                .alpha(0.5)
                                .build(),
                        false));
        assertMessage(
                "target 3 at row 1 is out of range",
                () -> vector.divergence(s, s, Tensor.of(new long[] {0, 3}, 2), kd, false));
        assertMessage(
                "(N, C) logits",
                () -> vector.divergence(Tensor.of(new float[3], 3), Tensor.of(new float[3], 3), null, kd, false));
        assertMessage(
                "jsd has no alpha",
                () -> DivergenceSpec.builder(DivergenceSpec.Kind.JSD).alpha(0.5));
        assertMessage(
                "beta must be in [0, 1]",
                () -> DivergenceSpec.builder(DivergenceSpec.Kind.JSD).beta(1.5));
        assertMessage(
                "temperature must be a finite number > 0",
                () -> DivergenceSpec.builder(DivergenceSpec.Kind.KD).temperature(0));
        assertMessage(
                "'mean' (over rows · C) has no meaning for the mix",
                () -> DivergenceSpec.builder(DivergenceSpec.Kind.KD)
                        .alpha(0.5)
                        .reduction(Reduction.MEAN)
                        .build());
        assertMessage("batchmean belongs to kl_div", () -> LossSpec.builder().reduction(Reduction.BATCHMEAN));
        assertMessage("target must have the input's shape", () -> vector.klDiv(s, t3, Reduction.SUM, false, false));
    }

    private static void assertMessage(String part, org.junit.jupiter.api.function.Executable e) {
        InvalidInputException x = assertThrows(InvalidInputException.class, e);
        assertTrue(x.getMessage().contains(part), x.getMessage());
    }
}
