package dev.xent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.xent.cpu.CpuBackend;
import dev.xent.cuda.CudaBackend;
import dev.xent.cuda.CudaProbe;
import dev.xent.cuda.DeviceTensor;
import dev.xent.io.Npy;
import dev.xent.reference.ReferenceBackend;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The kernels on a real GPU: every regime (group per row, block per row, split rows) over the shapes of the issue,
 * every option and dtype, adversarial rows, outputs poisoned with NaN before each launch, determinism, bad targets,
 * many threads, uploads, and leaks. Skipped, with the probe's reason, where no CUDA device is usable.
 */
@Tag("gpu")
@ExtendWith(DeviceLeakCheck.class)
class CudaKernelTest {
    static final int[] CLASSES = {1, 2, 31, 32, 33, 1000, 1024, 1025, 4099, 32000, 128256, 1048576};
    static final int[] ROWS = {1, 3, 1000, 8192};
    /** Above this many elements the yardstick is the parallel CPU path (itself held to the reference by the suite). */
    static final long REFERENCE_LIMIT = 1L << 24;
    /** Host arrays and the CPU yardstick stay practical up to here (8192 x 128256 and 1000 x 1048576 fit). */
    static final long ELEMENT_LIMIT = 1L << 30;

    static CudaBackend cuda;
    static Backend reference, cpu;

    @BeforeAll
    static void open() {
        if (!CudaProbe.probe().usable) return; // each test is then skipped with the reason, visibly
        System.setProperty("xent.poison", "true");
        cuda = new CudaBackend();
        reference = new ReferenceBackend();
        cpu = new CpuBackend();
    }

    @BeforeEach
    void needsGpu() {
        CudaProbe.Result r = CudaProbe.probe();
        assumeTrue(r.usable, () -> "no usable CUDA device: " + r.reason);
    }

    @AfterAll
    static void close() {
        if (cuda != null) {
            cuda.close();
            reference.close();
            cpu.close();
        }
    }

    static Stream<Arguments> shapes() {
        List<Arguments> out = new ArrayList<>();
        int i = 0;
        for (int c : CLASSES) for (int n : ROWS) if ((long) c * n <= ELEMENT_LIMIT) out.add(Arguments.of(n, c, i++));
        return out.stream();
    }

    /** Options rotate with the shape index, so every option and dtype meets every regime somewhere in the grid. */
    @ParameterizedTest(name = "N={0} C={1}")
    @MethodSource("shapes")
    void lossMatchesYardstickAcrossRegimes(int n, int c, int index) {
        RandomProblems gen = new RandomProblems(1000 + index);
        DType dt = new DType[] {DType.F32, DType.BF16, DType.F16}[index % 3];
        Tensor x = (long) n * c <= REFERENCE_LIMIT
                ? gen.logits(new long[] {n, c}, DType.F32, index % 4 == 1 ? 3 : (index % 4 == 2 ? 2 : 0))
                        .to(dt)
                : bigLogits(n, c, dt, index);
        LossSpec.Builder b = LossSpec.builder().reduction(Reduction.values()[index % 3]);
        if (index % 2 == 0) {
            float[] w = new float[c];
            for (int k = 0; k < c; k++) w[k] = (float) (0.1 + 2 * gen.rnd.nextDouble());
            b.weights(w);
        }
        if (index % 5 < 2) b.labelSmoothing(0.1 * (1 + index % 5));
        long[] y = new long[n];
        for (int r = 0; r < n; r++) y[r] = gen.rnd.nextInt(7) == 0 ? -100 : gen.rnd.nextInt(c);
        check(
                "N=" + n + " C=" + c + " " + dt.label(),
                LossProblem.of(LossKind.CROSS_ENTROPY, x, Tensor.of(y, n), b.build()));
    }

    @ParameterizedTest(name = "N={0} C={1}")
    @MethodSource("shapes")
    void softmaxMatchesYardstickAcrossRegimes(int n, int c, int index) {
        assumeTrue((long) n * c <= (1L << 26), "softmax checked up to 2^26 elements");
        RandomProblems gen = new RandomProblems(2000 + index);
        DType dt = new DType[] {DType.F32, DType.F16, DType.BF16}[index % 3];
        Tensor x =
                gen.logits(new long[] {n, c}, DType.F32, index % 4 == 1 ? 3 : 0).to(dt);
        boolean log = index % 2 == 0;
        Backend yard = (long) n * c <= REFERENCE_LIMIT ? reference : cpu;
        Tolerance.assertAllClose(
                "softmax N=" + n + " C=" + c + " " + dt.label() + " log=" + log,
                yard.softmax(x, 1, log).toDoubleArray(),
                cuda.softmax(x, 1, log).toDoubleArray(),
                dt);
    }

    @Test
    void everyOptionAndDtypeOnEveryRegime() {
        RandomProblems gen = new RandomProblems(77);
        int checked = 0;
        for (int c : new int[] {5, 33, 1000, 4099, 70000}) {
            for (DType dt : new DType[] {DType.F32, DType.F16, DType.BF16}) {
                for (int opt = 0; opt < 8; opt++) {
                    int n = c >= 70000 ? 3 : 37;
                    long[] shape = opt == 3 ? new long[] {n, c, 3} : new long[] {n, c};
                    Tensor x = gen.logits(shape, DType.F32, opt % 4).to(dt);
                    long rows = Tensor.numel(shape) / c;
                    long[] tShape = opt == 3 ? new long[] {n, 3} : new long[] {n};
                    LossSpec.Builder b = LossSpec.builder().reduction(Reduction.values()[opt % 3]);
                    if ((opt & 1) == 1) b.weights(weights(gen, c));
                    if ((opt & 2) == 2) b.labelSmoothing(0.3);
                    Tensor t;
                    LossKind kind = LossKind.CROSS_ENTROPY;
                    if (opt >= 6) { // probability targets
                        double[] p = new double[(int) Tensor.numel(shape)];
                        for (int i = 0; i < p.length; i++) p[i] = gen.rnd.nextDouble();
                        t = Tensor.of(p, shape).to(DType.F32);
                    } else {
                        long[] y = new long[(int) rows];
                        long ignore = opt == 4 ? 1 : -100;
                        b.ignoreIndex(ignore);
                        for (int i = 0; i < y.length; i++) y[i] = gen.rnd.nextInt(5) == 0 ? ignore : gen.rnd.nextInt(c);
                        t = opt == 5 ? Tensor.of(y, tShape).to(DType.I32) : Tensor.of(y, tShape);
                        if (opt == 5) { // NLL on log-probabilities
                            kind = LossKind.NLL;
                            x = reference.softmax(x, 1, true).to(dt);
                            b.labelSmoothing(0);
                        }
                    }
                    check("C=" + c + " " + dt.label() + " option set " + opt, LossProblem.of(kind, x, t, b.build()));
                    checked++;
                }
            }
        }
        assertEquals(5 * 3 * 8, checked);
    }

    @Test
    void fusedGradientMatchesReferenceOnEveryRegime() {
        RandomProblems gen = new RandomProblems(4242);
        int checked = 0;
        for (int c : new int[] {1, 5, 33, 1000, 4099, 70000}) {
            for (DType dt : new DType[] {DType.F32, DType.F16, DType.BF16}) {
                for (int opt = 0; opt < 8; opt++) {
                    int n = c >= 70000 ? 3 : 37;
                    long[] shape = opt == 3 ? new long[] {n, c, 3} : new long[] {n, c};
                    long[] tShape = opt == 3 ? new long[] {n, 3} : new long[] {n};
                    Tensor x = gen.logits(shape, DType.F32, opt % 4).to(dt);
                    LossSpec.Builder b = LossSpec.builder().reduction(Reduction.values()[opt % 3]);
                    if ((opt & 1) == 1) b.weights(weights(gen, c));
                    if ((opt & 2) == 2) b.labelSmoothing(0.3);
                    LossKind kind = LossKind.CROSS_ENTROPY;
                    Tensor t;
                    if (opt >= 6) {
                        double[] pr = new double[(int) Tensor.numel(shape)];
                        for (int i = 0; i < pr.length; i++) pr[i] = gen.rnd.nextDouble();
                        t = Tensor.of(pr, shape).to(DType.F32);
                    } else {
                        long ignore = opt == 4 ? Math.min(1, c - 1) : -100;
                        b.ignoreIndex(ignore);
                        long[] y = new long[(int) Tensor.numel(tShape)];
                        for (int i = 0; i < y.length; i++) y[i] = gen.rnd.nextInt(5) == 0 ? ignore : gen.rnd.nextInt(c);
                        t = opt == 5 ? Tensor.of(y, tShape).to(DType.I32) : Tensor.of(y, tShape);
                        if (opt == 5) {
                            kind = LossKind.NLL;
                            x = reference.softmax(x, 1, true).to(dt);
                            b.labelSmoothing(0);
                        }
                    }
                    LossProblem p = LossProblem.of(
                            kind,
                            x,
                            t,
                            b.build(),
                            Outputs.builder().gradient(true).build());
                    String what = "fused C=" + c + " " + dt.label() + " option set " + opt;
                    LossResult want = reference.loss(p), got = cuda.loss(p);
                    assertEquals("cuda", got.device(), what);
                    Tolerance.assertAllClose(
                            what + " per-element",
                            want.perElement().toDoubleArray(),
                            got.perElement().toDoubleArray(),
                            DType.F32);
                    if (want.isScalar()) Tolerance.assertClose(what + " value", want.value(), got.value(), DType.F32);
                    assertEquals(dt, got.gradient().dtype(), what);
                    Tolerance.assertAllClose(
                            what + " gradient",
                            want.gradient().toDoubleArray(),
                            got.gradient().toDoubleArray(),
                            dt);
                    checked++;
                }
            }
        }
        assertEquals(6 * 3 * 8, checked);
    }

    @Test
    void inPlaceGradientEqualsOutOfPlaceToTheBit() {
        RandomProblems gen = new RandomProblems(7);
        for (int[] nc : new int[][] {{1000, 33}, {64, 50257}, {2, 300000}}) {
            Tensor x = gen.logits(new long[] {nc[0], nc[1]}, DType.F32, 0).to(DType.BF16);
            long[] y = new long[nc[0]];
            for (int i = 0; i < y.length; i++) y[i] = gen.rnd.nextInt(nc[1]);
            LossSpec spec = LossSpec.builder().labelSmoothing(0.1).build();
            try (DeviceTensor a = cuda.upload(x);
                    DeviceTensor b = cuda.upload(x);
                    DeviceTensor g = cuda.allocate(DType.BF16, nc[0], nc[1]);
                    DeviceTensor dy = cuda.upload(Tensor.of(y, nc[0]))) {
                LossResult out = cuda.lossAndGradient(LossKind.CROSS_ENTROPY, a, dy, spec, g, true);
                LossResult in = cuda.lossAndGradient(LossKind.CROSS_ENTROPY, b, dy, spec, b, true);
                assertEquals(Double.doubleToRawLongBits(out.value()), Double.doubleToRawLongBits(in.value()));
                assertArrayEquals(g.download().toDoubleArray(), b.download().toDoubleArray(), "in-place gradient");
                assertArrayEquals(
                        x.toDoubleArray(), a.download().toDoubleArray(), "out of place leaves the logits alone");
            }
        }
        Tensor x = Tensor.of(new float[4 * 3], 4, 3);
        Tensor bad = Tensor.of(new long[] {0, 2, 3, -7}, 4);
        Outputs grad = Outputs.builder().gradient(true).build();
        String cpuMessage = assertThrows(
                        InvalidInputException.class,
                        () -> cpu.loss(LossProblem.of(LossKind.CROSS_ENTROPY, x, bad, null, grad)))
                .getMessage();
        assertEquals(
                cpuMessage,
                assertThrows(
                                InvalidInputException.class,
                                () -> cuda.loss(LossProblem.of(LossKind.CROSS_ENTROPY, x, bad, null, grad)))
                        .getMessage());
    }

    @Test
    void adversarialRows() {
        float ninf = Float.NEGATIVE_INFINITY;
        float[] x = {
            1e4f,
            1e4f + 1,
            1e4f - 3,
            0, // huge
            ninf,
            0,
            ninf,
            ninf, // -inf mostly
            ninf,
            ninf,
            ninf,
            ninf, // all -inf: NaN
            Float.NaN,
            1,
            2,
            3, // NaN: NaN
            80,
            -80,
            0,
            0, // peaked
            Float.POSITIVE_INFINITY,
            0,
            0,
            0
        }; // +inf: NaN
        long[] y = {1, 1, 0, 2, 1, 0};
        for (float eps : new float[] {0, 0.2f}) {
            LossSpec s = LossSpec.builder()
                    .reduction(Reduction.NONE)
                    .labelSmoothing(eps)
                    .build();
            LossProblem p = LossProblem.of(LossKind.CROSS_ENTROPY, Tensor.of(x, 6, 4), Tensor.of(y, 6), s);
            Tolerance.assertAllClose(
                    "adversarial eps=" + eps,
                    reference.loss(p).perElement().toDoubleArray(),
                    cuda.loss(p).perElement().toDoubleArray(),
                    DType.F32);
        }
    }

    @Test
    void deterministicAcross20Runs() {
        RandomProblems gen = new RandomProblems(5);
        for (int[] nc : new int[][] {{8192, 1000}, {4, 300000}, {1000, 32000}}) {
            Tensor x = gen.logits(new long[] {nc[0], nc[1]}, DType.F32, 0);
            long[] y = new long[nc[0]];
            for (int i = 0; i < y.length; i++) y[i] = gen.rnd.nextInt(nc[1]);
            LossSpec s = LossSpec.builder().labelSmoothing(0.1).build();
            try (DeviceTensor dx = cuda.upload(x);
                    DeviceTensor dy = cuda.upload(Tensor.of(y, nc[0]))) {
                LossResult first = cuda.loss(LossKind.CROSS_ENTROPY, dx, dy, s, true);
                for (int run = 1; run < 20; run++) {
                    LossResult again = cuda.loss(LossKind.CROSS_ENTROPY, dx, dy, s, true);
                    assertEquals(
                            Double.doubleToRawLongBits(first.value()),
                            Double.doubleToRawLongBits(again.value()),
                            "run " + run);
                    assertArrayEquals(
                            first.perElement().toDoubleArray(),
                            again.perElement().toDoubleArray(),
                            "run " + run);
                }
            }
        }
    }

    @Test
    void badTargetGivesTheCpuPathsErrorAndTheContextStaysUsable() {
        Tensor x = Tensor.of(new float[4 * 3], 4, 3);
        Tensor t = Tensor.of(new long[] {0, 2, 3, -7}, 4);
        String cpuMessage = assertThrows(
                        InvalidInputException.class, () -> cpu.loss(LossProblem.of(LossKind.CROSS_ENTROPY, x, t, null)))
                .getMessage();
        String gpuMessage = assertThrows(
                        InvalidInputException.class,
                        () -> cuda.loss(LossProblem.of(LossKind.CROSS_ENTROPY, x, t, null)))
                .getMessage();
        assertEquals(cpuMessage, gpuMessage);
        Tensor good = Tensor.of(new long[] {0, 2, 1, 1}, 4);
        Tolerance.assertClose(
                "good call after a bad one",
                Math.log(3),
                cuda.loss(LossProblem.of(LossKind.CROSS_ENTROPY, x, good, null)).value(),
                DType.F32);
    }

    @Test
    void manyJavaThreadsShareOneBackend() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                int seed = i;
                fs.add(pool.submit(() -> {
                    RandomProblems gen = new RandomProblems(seed);
                    for (int k = 0; k < 10; k++) {
                        LossProblem p = gen.problem();
                        Tolerance.assertAllClose(
                                "thread problem",
                                reference.loss(p).perElement().toDoubleArray(),
                                cuda.loss(p).perElement().toDoubleArray(),
                                p.input().dtype().computeType());
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) f.get();
        } finally {
            pool.shutdown();
        }
    }

    @Test
    @SuppressWarnings("try") // closes a resource of the try block by hand: that is what it tests
    void uploadsFromEverySourceAndIdempotentClose(@TempDir Path dir) {
        float[] v = {1, -2, 3.5f, 0, 7, -1};
        Tensor expect = Tensor.of(v, 2, 3);
        ByteBuffer direct = ByteBuffer.allocateDirect(24).order(ByteOrder.LITTLE_ENDIAN);
        direct.asFloatBuffer().put(v);
        Path npy = dir.resolve("v.npy");
        Npy.write(npy, expect);
        short[] half = new short[6];
        for (int i = 0; i < 6; i++) half[i] = Half.fromFloat(v[i]);
        try (DeviceTensor a = cuda.upload(v, 2, 3);
                DeviceTensor b = cuda.upload(FloatBuffer.wrap(v), 2, 3);
                DeviceTensor c = cuda.upload(direct, DType.F32, 2, 3);
                DeviceTensor d = cuda.upload(npy);
                DeviceTensor e = cuda.uploadHalf(DType.F16, half, 2, 3)) {
            for (DeviceTensor t : new DeviceTensor[] {a, b, c, d, e})
                assertArrayEquals(expect.toDoubleArray(), t.download().toDoubleArray());
            a.close();
            a.close(); // idempotent
            assertTrue(a.isClosed());
            assertThrows(IllegalStateException.class, a::download);
        }
    }

    @Test
    void endToEndFromHostEqualsDeviceResidentToTheBit() {
        System.setProperty(
                "xent.stageBytes", String.valueOf(1 << 20)); // 1 MiB stages: many chunks, both buffers reused
        try {
            RandomProblems gen = new RandomProblems(99);
            Object[][] cases = {
                {new long[] {3000, 1000}, DType.F32, LossSpec.DEFAULT, false},
                {
                    new long[] {37, 70000},
                    DType.BF16,
                    LossSpec.builder()
                            .labelSmoothing(0.1)
                            .weights(weights(gen, 70000))
                            .build(),
                    false
                },
                {
                    new long[] {1, 300000},
                    DType.F16,
                    LossSpec.builder().reduction(Reduction.SUM).build(),
                    false
                },
                {
                    new long[] {50, 6, 70},
                    DType.F32,
                    LossSpec.builder().ignoreIndex(2).reduction(Reduction.NONE).build(),
                    false
                },
                {
                    new long[] {100, 33},
                    DType.F32,
                    LossSpec.builder().labelSmoothing(0.2).build(),
                    true
                },
            };
            for (Object[] k : cases) {
                long[] shape = (long[]) k[0];
                Tensor x = gen.logits(shape, DType.F32, 0).to((DType) k[1]);
                LossSpec spec = (LossSpec) k[2];
                int c = (int) shape[1];
                Tensor t;
                if ((Boolean) k[3]) {
                    double[] p = new double[(int) Tensor.numel(shape)];
                    for (int i = 0; i < p.length; i++) p[i] = gen.rnd.nextDouble();
                    t = Tensor.of(p, shape).to(DType.F32);
                } else {
                    long[] tShape = shape.length == 2 ? new long[] {shape[0]} : new long[] {shape[0], shape[2]};
                    long[] y = new long[(int) Tensor.numel(tShape)];
                    for (int i = 0; i < y.length; i++) y[i] = gen.rnd.nextInt(c);
                    t = Tensor.of(y, tShape);
                }
                LossResult host = cuda.lossFromHost(LossKind.CROSS_ENTROPY, x, t, spec);
                try (DeviceTensor dx = cuda.upload(x);
                        DeviceTensor dy = cuda.upload(t)) {
                    LossResult dev = cuda.loss(LossKind.CROSS_ENTROPY, dx, dy, spec, true);
                    String what = java.util.Arrays.toString(shape) + " " + k[1];
                    assertEquals(
                            Double.doubleToRawLongBits(dev.value()), Double.doubleToRawLongBits(host.value()), what);
                    assertArrayEquals(
                            dev.perElement().toDoubleArray(), host.perElement().toDoubleArray(), what);
                }
                check("e2e " + java.util.Arrays.toString(shape), LossProblem.of(LossKind.CROSS_ENTROPY, x, t, spec));
            }
            Tensor x = Tensor.of(new float[4 * 3], 4, 3);
            Tensor bad = Tensor.of(new long[] {0, 2, 3, -7}, 4);
            String cpuMessage = assertThrows(
                            InvalidInputException.class,
                            () -> cpu.loss(LossProblem.of(LossKind.CROSS_ENTROPY, x, bad, null)))
                    .getMessage();
            assertEquals(
                    cpuMessage,
                    assertThrows(
                                    InvalidInputException.class,
                                    () -> cuda.lossFromHost(LossKind.CROSS_ENTROPY, x, bad, LossSpec.DEFAULT))
                            .getMessage());
        } finally {
            System.clearProperty("xent.stageBytes");
        }
    }

    @Test
    void deviceResidentLossWithoutDownloadingPerElement() {
        Tensor x =
                Tensor.of(new float[] {3.2f, 1.3f, 0.2f, 0.8f, 1.2f, 4.1f, 3.8f, 0.1f, 3.3f, 2.5f, 1.9f, 5.9f}, 3, 4);
        try (DeviceTensor dx = cuda.upload(x);
                DeviceTensor dy = cuda.upload(Tensor.of(new int[] {0, 2, 3}, 3))) {
            LossResult r = cuda.loss(LossKind.CROSS_ENTROPY, dx, dy, LossSpec.DEFAULT, false);
            Tolerance.assertClose("seed 000", 0.42298611998558044, r.value(), DType.F32);
            assertEquals(null, r.perElement());
        }
    }

    /** Large random logits made in parallel (values in [-4, 4), one raised by 12 per row), in the given dtype. */
    static Tensor bigLogits(int n, int c, DType dt, long seed) {
        int len = Math.toIntExact((long) n * c);
        float[] a = new float[len];
        java.util.stream.IntStream.range(0, n).parallel().forEach(r -> {
            java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed * 1_000_003L + r);
            for (int k = 0; k < c; k++) a[r * c + k] = (float) (rnd.nextDouble() * 8 - 4);
            a[r * c + rnd.nextInt(c)] += 12;
        });
        if (dt == DType.F32) return Tensor.of(a, n, c);
        short[] h = new short[len];
        java.util.stream.IntStream.range(0, len)
                .parallel()
                .forEach(i -> h[i] = dt == DType.F16 ? Half.fromFloat(a[i]) : Half.bf16FromFloat(a[i]));
        return Tensor.ofHalfBits(dt, h, n, c);
    }

    private static float[] weights(RandomProblems gen, int c) {
        float[] w = new float[c];
        for (int k = 0; k < c; k++) w[k] = (float) (0.1 + 2 * gen.rnd.nextDouble());
        return w;
    }

    private static void check(String what, LossProblem p) {
        long elements = p.rows() * p.classes();
        Backend yard = elements <= REFERENCE_LIMIT ? reference : cpu;
        LossResult want = yard.loss(p), got = cuda.loss(p);
        DType ct = p.input().dtype().computeType();
        assertEquals("cuda", got.device());
        Tolerance.assertAllClose(
                what + " per-element (vs " + yard.name() + ")",
                want.perElement().toDoubleArray(),
                got.perElement().toDoubleArray(),
                ct);
        if (want.isScalar())
            Tolerance.assertClose(what + " value (vs " + yard.name() + ")", want.value(), got.value(), ct);
        Tolerance.assertClose(what + " divisor", want.weightSum(), got.weightSum(), ct);
    }
}
