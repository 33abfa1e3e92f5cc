package dev.xent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.cpu.CpuBackend;
import dev.xent.io.Npy;
import dev.xent.reference.ReferenceBackend;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The block stream gives the same bits whatever the blocking: random problems computed in one piece, and again with
 * their inputs cut into shards (row-wise concatenations) and their rows into blocks of random size, results streamed to
 * a sink. Every value, per-element loss, gradient element, prediction and count must be bit-identical.
 */
class BlockStreamTest {
    @TempDir
    Path dir;

    private static final long SEED = Long.getLong("xent.test.seed", System.nanoTime());

    @AfterEach
    void defaultBlocks() {
        System.clearProperty("xent.blockElements");
    }

    /** Everything a sink receives, placed by position. */
    static final class Collect implements ResultSink {
        final double[] losses, gradient, values;
        final long[] predictions;
        final double[] lse, entropy;
        long lastDone = -1;

        Collect(long rows, long elements) {
            losses = new double[(int) rows];
            lse = new double[(int) rows];
            entropy = new double[(int) rows];
            predictions = new long[(int) rows];
            gradient = new double[(int) elements];
            values = new double[(int) elements];
        }

        private static void put(double[] dst, long first, Tensor t) {
            double[] v = t.toDoubleArray();
            System.arraycopy(v, 0, dst, (int) first, v.length);
        }

        @Override
        public synchronized void losses(long firstRow, Tensor v) {
            put(losses, firstRow, v);
        }

        @Override
        public synchronized void gradient(long first, Tensor v) {
            put(gradient, first, v);
        }

        @Override
        public synchronized void predictions(long firstRow, Tensor v) {
            long[] p = v.toLongArray();
            System.arraycopy(p, 0, predictions, (int) firstRow, p.length);
        }

        @Override
        public synchronized void rowStatistics(long firstRow, Tensor l, Tensor h) {
            put(lse, firstRow, l);
            put(entropy, firstRow, h);
        }

        @Override
        public synchronized void values(long first, Tensor v) {
            put(values, first, v);
        }

        @Override
        public synchronized void progress(long done, long total) {
            assertTrue(done > lastDone && done <= total, "progress moves forward: " + done + " of " + total);
            lastDone = done;
        }
    }

    /** t as a concatenation of 1 to 4 random slices along axis 0 (so no longer one Java array). */
    static Tensor shards(Tensor t, Random r) {
        if (t.rank() == 0 || t.dim(0) == 0) return t;
        long n = t.dim(0);
        List<Tensor> parts = new ArrayList<>();
        long at = 0;
        int k = 1 + r.nextInt(4);
        for (int i = 0; i < k && at < n; i++) {
            long to = i == k - 1 ? n : Math.min(n, at + 1 + r.nextInt((int) Math.max(1, n / k)));
            parts.add(t.slice(at, to));
            at = to;
        }
        if (at < n) parts.add(t.slice(at, n));
        if (parts.size() == 1) parts.add(t.slice(n, n)); // an empty shard too
        return Tensor.concat(parts);
    }

    private static void sameBits(String what, double[] a, double[] b) {
        assertEquals(a.length, b.length, what + " length");
        for (int i = 0; i < a.length; i++) {
            if (Double.doubleToLongBits(a[i]) != Double.doubleToLongBits(b[i])) {
                throw new AssertionError(what + "[" + i + "]: " + a[i] + " in one piece, " + b[i] + " in blocks");
            }
        }
    }

    private static void sameBits(String what, double a, double b) {
        sameBits(what, new double[] {a}, new double[] {b});
    }

    @Test
    void lossesHaveTheSameBitsForAnyBlockingAndSharding() {
        List<Supplier<Backend>> backends =
                List.of(() -> new CpuBackend(2, true), () -> new CpuBackend(3, false), ReferenceBackend::new);
        RandomProblems gen = new RandomProblems(SEED);
        Random r = new Random(SEED);
        for (Supplier<Backend> make : backends) {
            try (Xent xent = Xent.on(make.get())) {
                for (int i = 0; i < 300; i++) {
                    LossProblem p = gen.problem();
                    boolean indices = !p.probabilityTarget();
                    int pick = r.nextInt(4);
                    Outputs outs = Outputs.builder()
                            .gradient(pick == 1 || pick == 3)
                            .predictions(indices && pick >= 2)
                            .topK(indices && pick >= 2 ? 1 + r.nextInt(Math.min(3, p.classes())) : 0)
                            .rowStatistics(p.kind() == LossKind.CROSS_ENTROPY && r.nextInt(3) == 0)
                            .build();
                    LossSpec spec = p.spec();
                    if (p.kind() == LossKind.CROSS_ENTROPY && r.nextInt(5) == 0)
                        spec = spec.toBuilder().zLossScale(1e-3).build();
                    String what = xent.deviceName() + " problem " + i + " (seed " + SEED + ", " + p.input() + ", "
                            + spec + ", " + outs + ")";
                    System.clearProperty("xent.blockElements");
                    LossResult one = xent.loss(p.kind(), p.input(), p.target(), spec, outs, null);
                    System.setProperty("xent.blockElements", String.valueOf(1 + r.nextInt(300)));
                    Tensor x = shards(p.input(), r), t = shards(p.target(), r);
                    Collect c =
                            new Collect(p.rows(), outs.gradient() ? p.input().numel() : 0);
                    LossResult blocks = xent.loss(p.kind(), x, t, spec, outs, c);
                    sameBits(what + " value", one.value(), blocks.value());
                    sameBits(what + " W", one.weightSum(), blocks.weightSum());
                    sameBits(what + " z-loss", one.zLoss(), blocks.zLoss());
                    sameBits(what + " accuracy", one.accuracy(), blocks.accuracy());
                    sameBits(what + " top-k accuracy", one.topkAccuracy(), blocks.topkAccuracy());
                    sameBits(what + " per-element", one.perElement().toDoubleArray(), c.losses);
                    assertNull(blocks.perElement(), "streamed parts are not kept");
                    if (outs.gradient())
                        sameBits(what + " gradient", one.gradient().toDoubleArray(), c.gradient);
                    if (outs.predictions())
                        assertArrayEquals(one.predictions().toLongArray(), c.predictions, what + " predictions");
                    if (outs.rowStatistics()) {
                        sameBits(what + " lse", one.lse().toDoubleArray(), c.lse);
                        sameBits(what + " entropy", one.entropy().toDoubleArray(), c.entropy);
                        sameBits(what + " mean entropy", one.meanEntropy(), blocks.meanEntropy());
                        assertArrayEquals(p.outputShape(), one.lse().shape(), what + " lse shape");
                    }
                }
            }
        }
    }

    @Test
    void mappedFilesAndInMemoryBlocksGiveTheSameBits() {
        Random r = new Random(SEED);
        try (Xent xent = Xent.on(new CpuBackend(2, true))) {
            for (int c : new int[] {1, 7, 100, 129, 1000, 4099}) {
                int rows = 1 + 30000 / c;
                float[] v = new float[rows * c];
                for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * 4 + (r.nextInt(c) == 0 ? 20 : 0));
                long[] y = new long[rows];
                for (int i = 0; i < rows; i++) y[i] = r.nextInt(6) == 0 ? -100 : r.nextInt(c);
                Tensor x = Tensor.of(v, rows, c), t = Tensor.of(y, rows);
                Path xf = dir.resolve("x" + c + ".npy"), tf = dir.resolve("t" + c + ".npy");
                Npy.write(xf, x);
                Npy.write(tf, t);
                LossSpec spec = LossSpec.builder().reduction(Reduction.NONE).build();
                LossResult heap = xent.crossEntropy(x, t, spec);
                for (long block : new long[] {Settings.DEFAULT_BLOCK_ELEMENTS, 1, 3L * c + 1}) {
                    System.setProperty("xent.blockElements", String.valueOf(block));
                    LossResult mapped = xent.crossEntropy(Npy.read(xf), Npy.read(tf), spec);
                    sameBits(
                            c + " classes, block " + block,
                            heap.perElement().toDoubleArray(),
                            mapped.perElement().toDoubleArray());
                    LossResult withMetrics = xent.crossEntropy(
                            Npy.read(xf),
                            Npy.read(tf),
                            spec,
                            Outputs.builder().topK(Math.min(2, c)).build());
                    sameBits(
                            c + " classes, block " + block + " (metrics path)",
                            heap.perElement().toDoubleArray(),
                            withMetrics.perElement().toDoubleArray());
                }
            }
        }
    }

    @Test
    void softmaxAndBceStreamTheSameBits() {
        Random r = new Random(SEED);
        RandomProblems gen = new RandomProblems(SEED);
        try (Xent xent = Xent.on(new CpuBackend(2, true))) {
            for (int i = 0; i < 60; i++) {
                int c = gen.classes();
                long[] shape = gen.shape(c);
                DType dt = RandomProblems.LOGIT_TYPES[r.nextInt(RandomProblems.LOGIT_TYPES.length)];
                Tensor x = gen.logits(shape, dt, 0);
                int dim = shape.length == 1 ? 0 : 1 + r.nextInt(shape.length - 1);
                Tensor want = xent.softmax(x, dim);
                System.setProperty("xent.blockElements", String.valueOf(1 + r.nextInt(500)));
                Collect col = new Collect(0, x.numel());
                xent.softmax(shards(x, r), dim, false, col);
                sameBits("softmax " + i + " " + x + " dim " + dim, want.toDoubleArray(), col.values);
                System.clearProperty("xent.blockElements");

                Tensor t = gen.logits(shape, DType.F32, 0);
                BceSpec bs = BceSpec.builder()
                        .reduction(Reduction.values()[r.nextInt(3)])
                        .build();
                Outputs g = Outputs.builder().gradient(true).build();
                LossResult one = xent.bceWithLogits(x, t, bs, g);
                System.setProperty("xent.blockElements", String.valueOf(2 + r.nextInt(500)));
                Collect cb = new Collect(x.numel(), x.numel());
                LossResult blocks = xent.bceWithLogits(shards(x, r), shards(t, r), bs, g, cb);
                sameBits("bce " + i + " value", one.value(), blocks.value());
                sameBits("bce " + i + " per-element", one.perElement().toDoubleArray(), cb.losses);
                sameBits("bce " + i + " gradient", one.gradient().toDoubleArray(), cb.gradient);
                System.clearProperty("xent.blockElements");
            }
        }
    }

    /**
     * What a backend is handed (the CUDA backend's pinned staging copies from it): views of the mapped file, never
     * copies, each at most one block of elements, together covering every row once, in order.
     */
    @Test
    void backendsSeeBoundedViewsOfTheMappedFile() {
        int rows = 1000, c = 300;
        Path xf = dir.resolve("x.npy"), tf = dir.resolve("t.npy");
        Npy.write(xf, Tensor.of(new float[rows * c], rows, c));
        Npy.write(tf, Tensor.of(new long[rows], rows));
        List<long[]> seen = new ArrayList<>();
        CpuBackend cpu = new CpuBackend(2, true);
        Backend recording = new Backend() {
            @Override
            public String name() {
                return "recording";
            }

            @Override
            public LossResult loss(LossProblem p) {
                assertTrue(p.input().region(0, p.input().numel()) != null, "a view into the mapping, not a heap copy");
                seen.add(new long[] {p.firstRow(), p.rows(), p.input().numel()});
                return cpu.loss(p);
            }

            @Override
            public Tensor softmax(Tensor input, int dim, boolean logOutput) {
                return cpu.softmax(input, dim, logOutput);
            }

            @Override
            public void close() {
                cpu.close();
            }
        };
        System.setProperty("xent.blockElements", "10000");
        try (Xent xent = Xent.on(recording)) {
            xent.loss(
                    LossKind.CROSS_ENTROPY,
                    Npy.read(xf),
                    Npy.read(tf),
                    LossSpec.DEFAULT,
                    Outputs.LOSS_ONLY,
                    new ResultSink() {});
        }
        long next = 0;
        for (long[] b : seen) {
            assertEquals(next, b[0], "blocks in order, no row twice");
            assertTrue(b[2] <= 10000, "a block of " + b[2] + " elements");
            next += b[1];
        }
        assertEquals(rows, next);
        assertEquals(31, seen.size(), "ceil(1000 / 33): 33 rows of 300 per block of 10000 elements");
    }

    @Test
    void aBadTargetIsNamedInTheWholeRequestBeforeAnyBlockRuns() {
        long[] y = new long[1000];
        y[977] = 12;
        Tensor x = Tensor.of(new float[1000 * 10], 1000, 10), t = Tensor.of(y, 1000);
        System.setProperty("xent.blockElements", "30");
        List<Long> delivered = new ArrayList<>();
        ResultSink sink = new ResultSink() {
            @Override
            public void losses(long firstRow, Tensor values) {
                delivered.add(firstRow);
            }
        };
        try (Xent xent = Xent.on(new CpuBackend(2, true))) {
            InvalidInputException e = assertThrows(
                    InvalidInputException.class,
                    () -> xent.loss(
                            LossKind.CROSS_ENTROPY,
                            shards(x, new Random(1)),
                            t,
                            LossSpec.DEFAULT,
                            Outputs.LOSS_ONLY,
                            sink));
            assertTrue(e.getMessage().startsWith("target[977] = 12 is not a valid class"), e.getMessage());
            assertTrue(delivered.isEmpty(), "no block ran: " + delivered);
        }
    }

    @Test
    void aSinkFailureStopsTheStream() {
        Tensor x = Tensor.of(new float[1000 * 10], 1000, 10), t = Tensor.of(new long[1000], 1000);
        System.setProperty("xent.blockElements", "100");
        List<Long> delivered = new ArrayList<>();
        ResultSink sink = new ResultSink() {
            @Override
            public void losses(long firstRow, Tensor values) {
                delivered.add(firstRow);
                if (firstRow >= 30) throw new InvalidInputException("disk full");
            }
        };
        try (Xent xent = Xent.on(new CpuBackend(2, true))) {
            InvalidInputException e = assertThrows(
                    InvalidInputException.class,
                    () -> xent.loss(LossKind.CROSS_ENTROPY, x, t, LossSpec.DEFAULT, Outputs.LOSS_ONLY, sink));
            assertEquals("disk full", e.getMessage());
            assertTrue(delivered.size() <= 5, "delivery stops at the failure: " + delivered);
        }
    }
}
