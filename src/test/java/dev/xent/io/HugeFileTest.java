package dev.xent.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.xent.DType;
import dev.xent.Half;
import dev.xent.Tensor;
import dev.xent.Tolerance;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command on a float16 file of 65537 x 32768 = 2^31 + 2^15 elements (4 GiB, sparse: zeros cost no disk), in a
 * JVM limited to a 512 MiB heap: the loss with --out and --grad-out (4 GiB written), accuracy, top-k and --pred-out,
 * binary cross-entropy, and a
 * kill -9 in the middle of a gradient, which must leave the old output file as it was. Logits planted past element
 * 2^31 must be found exactly where the 64-bit indices say.
 */
class HugeFileTest {
    @TempDir
    Path dir;

    static final long ROWS = 65537, C = 32768;

    private static Path sparseF16(Path f, long rows, long c, boolean plant) throws IOException {
        NpyTest.write(
                f, 1, "{'descr': '<f2', 'fortran_order': False, 'shape': (" + rows + ", " + c + "), }", NpyTest.le(0));
        long header = Files.size(f);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(header + rows * c * 2);
            if (plant) { // the last row starts past element 2^31: logit 8 at class 5, -3 at class C - 1
                long last = (rows - 1) * c;
                plant(raf, header + (last + 5) * 2, 8f);
                plant(raf, header + (last + c - 1) * 2, -3f);
            }
        }
        return f;
    }

    private static void plant(RandomAccessFile raf, long at, float v) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort(Half.fromFloat(v));
        raf.seek(at);
        raf.write(b.array());
    }

    /** java -Xmx512m ... dev.xent.cli.Main args, as a child process. */
    private static ProcessBuilder xent(Path outLog, String... args) {
        return xent("-Xmx512m", outLog, args);
    }

    private static ProcessBuilder xent(String heap, Path outLog, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.add("--add-modules");
        cmd.add("jdk.incubator.vector");
        cmd.add(heap);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("dev.xent.cli.Main");
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(outLog.toFile());
    }

    private static JsonNode run(Path log, String... args) throws Exception {
        Process p = xent(log, args).start();
        assertTrue(p.waitFor(20, TimeUnit.MINUTES), "xent " + String.join(" ", args) + " did not finish");
        String out = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "xent " + String.join(" ", args) + ":\n" + out);
        String[] lines = out.trim().split("\n");
        return new ObjectMapper().readTree(lines[lines.length - 1]);
    }

    @Test
    void lossGradientOutAndBceOverMoreThan2To31ElementsIn512MiBOfHeap() throws Exception {
        assumeTrue(
                Files.getFileStore(dir).getUsableSpace() > (10L << 30),
                "needs 10 GiB free disk: 4 GiB of gradient are written");
        Path x = sparseF16(dir.resolve("x.npy"), ROWS, C, true);
        long[] y = new long[(int) ROWS];
        y[(int) ROWS - 1] = 5;
        y[0] = 3;
        Path t = dir.resolve("t.npy");
        Npy.write(t, Tensor.of(y, ROWS));
        Path per = dir.resolve("per.npy"), grad = dir.resolve("grad.npy");
        JsonNode j = run(
                dir.resolve("ce.log"),
                "eval",
                "--logits",
                x.toString(),
                "--targets",
                t.toString(),
                "--device",
                "cpu",
                "--reduction",
                "sum",
                "--out",
                per.toString(),
                "--grad-out",
                grad.toString(),
                "--json");
        double zeroRow = Math.log(C);
        double lse = Math.log(Math.exp(8) + Math.exp(-3) + (C - 2));
        Tolerance.assertClose(
                "sum of the losses",
                (ROWS - 1) * zeroRow + (lse - 8),
                j.get("loss").asDouble(),
                DType.F32);
        Tensor perRow = Npy.read(per);
        assertArrayEquals(new long[] {ROWS}, perRow.shape());
        Tolerance.assertClose("a zero row", zeroRow, perRow.getDouble(0), DType.F32);
        Tolerance.assertClose("the row past 2^31", lse - 8, perRow.getDouble(ROWS - 1), DType.F32);

        Tensor g = Npy.read(grad);
        assertEquals(DType.F16, g.dtype());
        assertArrayEquals(new long[] {ROWS, C}, g.shape());
        assertEquals(Files.size(x), Files.size(grad), "the gradient file has the logits' layout");
        float p0 = (float) (1.0 / C); // a zero row: p = 2^-15 everywhere, minus 1 at the target
        assertEquals(Half.fromFloat(p0), Half.fromFloat((float) g.getDouble(1)), "gradient of a zero row");
        assertEquals(Half.fromFloat(p0 - 1), Half.fromFloat((float) g.getDouble(3)), "gradient at row 0's target");
        long last = (ROWS - 1) * C;
        Tolerance.assertClose(
                "gradient at the planted target past 2^31", Math.exp(8 - lse) - 1, g.getDouble(last + 5), DType.F16);
        Tolerance.assertClose("gradient at the planted -3", Math.exp(-3 - lse), g.getDouble(last + C - 1), DType.F16);
        Tolerance.assertClose(
                "gradient of an ordinary class of that row", Math.exp(-lse), g.getDouble(last + 100), DType.F16);

        // accuracy, top-k and predictions (the metrics path), --pred-out of every row
        Path pred = dir.resolve("pred.npy");
        JsonNode m = run(
                dir.resolve("metrics.log"),
                "eval",
                "--logits",
                x.toString(),
                "--targets",
                t.toString(),
                "--device",
                "cpu",
                "--topk",
                "5",
                "--pred-out",
                pred.toString(),
                "--json");
        Tensor predicted = Npy.read(pred);
        assertEquals(0, predicted.getLong(0), "a zero row's first maximum is class 0");
        assertEquals(5, predicted.getLong(ROWS - 1), "the planted row past 2^31 predicts its planted class");
        // row 0 (target 3) ranks 3 classes above its target: a top-5 hit but no top-1; rows 1.. (target 0) are top-1
        // hits
        Tolerance.assertClose("accuracy", (ROWS - 1.0) / ROWS, m.get("accuracy").asDouble(), DType.F64);
        Tolerance.assertClose("top-5 accuracy", 1.0, m.get("topk_accuracy").asDouble(), DType.F64);

        // binary cross-entropy over the same logits against zeros: log 2 per zero logit
        Path zeros = sparseF16(dir.resolve("z.npy"), ROWS, C, false);
        JsonNode b = run(
                dir.resolve("bce.log"),
                "eval",
                "--loss",
                "bce",
                "--logits",
                x.toString(),
                "--targets",
                zeros.toString(),
                "--device",
                "cpu",
                "--json");
        double n = (double) ROWS * C;
        double want = ((n - 2) * Math.log(2) + Math.log1p(Math.exp(8)) + Math.log1p(Math.exp(-3))) / n;
        Tolerance.assertClose("bce mean", want, b.get("loss").asDouble(), DType.F64);
        assertEquals(ROWS * C, b.get("elements").asLong());
    }

    @Test
    void killMinus9DuringAGradientLeavesTheOldFileAlone() throws Exception {
        assumeTrue(
                Files.getFileStore(dir).getUsableSpace() > (10L << 30),
                "needs 10 GiB free disk for the partial gradient");
        Path x = sparseF16(dir.resolve("x.npy"), ROWS, C, false);
        Path t = dir.resolve("t.npy");
        Npy.write(t, Tensor.of(new long[(int) ROWS], ROWS));
        Path grad = dir.resolve("grad.npy");
        byte[] old = "the gradient of yesterday's run".getBytes(StandardCharsets.UTF_8);
        Files.write(grad, old);
        Process p = xent(
                        dir.resolve("kill.log"),
                        "eval",
                        "--logits",
                        x.toString(),
                        "--targets",
                        t.toString(),
                        "--device",
                        "cpu",
                        "--grad-out",
                        grad.toString())
                .start();
        Path tmp = null;
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (System.nanoTime() < deadline && p.isAlive()) { // wait until the temporary holds some of the gradient
            try (Stream<Path> s = Files.list(dir)) {
                tmp = s.filter(f -> f.getFileName().toString().endsWith(".xent-tmp"))
                        .findFirst()
                        .orElse(null);
            }
            if (tmp != null && Files.exists(tmp) && Files.size(tmp) > (64L << 20)) break;
            Thread.sleep(20);
        }
        assertTrue(
                p.isAlive(), "the run ended before it could be killed: " + Files.readString(dir.resolve("kill.log")));
        assertTrue(tmp != null, "no temporary appeared beside the target");
        p.destroyForcibly(); // SIGKILL: no shutdown hook runs
        assertTrue(p.waitFor(1, TimeUnit.MINUTES));
        assertArrayEquals(old, Files.readAllBytes(grad), "the old gradient file must be intact after kill -9");
        assertTrue(
                tmp.getFileName().toString().startsWith(".grad.npy."), "the only trace is a hidden temporary: " + tmp);
    }

    @Test
    void anInputThatShrinksWhileReadIsABadInputNotACrash() throws Exception {
        Path x = dir.resolve("x.npy");
        NpyTest.write(x, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (16384, 32768), }", NpyTest.le(0));
        try (RandomAccessFile raf = new RandomAccessFile(x.toFile(), "rw")) {
            raf.setLength(Files.size(x) + 16384L * 32768 * 4); // 2 GiB, sparse
        }
        Path t = dir.resolve("t.npy");
        Npy.write(t, Tensor.of(new long[16384], 16384));
        Path out = dir.resolve("out.npy");
        Files.writeString(out, "old");
        Path log = dir.resolve("shrink.log");
        Process p = xent(
                        log,
                        "eval",
                        "--logits",
                        x.toString(),
                        "--targets",
                        t.toString(),
                        "--device",
                        "reference",
                        "--reduction",
                        "none",
                        "--out",
                        out.toString())
                .start();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        boolean started = false;
        while (!started
                && System.nanoTime() < deadline
                && p.isAlive()) { // the temporary is made before the first block runs
            try (Stream<Path> s = Files.list(dir)) {
                started = s.anyMatch(f -> f.getFileName().toString().endsWith(".xent-tmp"));
            }
            Thread.sleep(10);
        }
        assertTrue(started && p.isAlive(), "the run must still be going: " + Files.readString(log));
        try (RandomAccessFile raf = new RandomAccessFile(x.toFile(), "rw")) {
            raf.setLength(1 << 20);
        }
        assertTrue(p.waitFor(5, TimeUnit.MINUTES));
        String err = Files.readString(log);
        assertEquals(2, p.exitValue(), err);
        assertTrue(err.contains("an input file shrank while it was being read"), err);
        assertTrue(!err.contains("\tat "), "no stack trace: " + err);
        assertEquals("old", Files.readString(out));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(
                    0,
                    s.filter(f -> f.getFileName().toString().endsWith(".xent-tmp"))
                            .count(),
                    "no temporary left");
        }
    }

    @Test
    void rowsTooWideForTheHeapAreRefusedNotOutOfMemory() throws Exception {
        Path x = dir.resolve("wide.npy");
        NpyTest.write(x, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 100000000), }", NpyTest.le(0));
        try (RandomAccessFile raf = new RandomAccessFile(x.toFile(), "rw")) {
            raf.setLength(Files.size(x) + 2L * 100000000 * 4);
        }
        Path t = dir.resolve("t.npy");
        Npy.write(t, Tensor.of(new long[] {1, 2}, 2));
        for (String[] extra : new String[][] {{}, {"--quiet"}, {"--device", "reference"}}) {
            Path log = dir.resolve("wide.log");
            List<String> args = new ArrayList<>(List.of("eval", "--logits", x.toString(), "--targets", t.toString()));
            args.addAll(List.of(extra));
            if (extra.length == 0 || extra[0].equals("--quiet")) args.addAll(List.of("--device", "cpu"));
            Process p = xent("-Xmx256m", log, args.toArray(new String[0])).start();
            assertTrue(p.waitFor(5, TimeUnit.MINUTES));
            String err = Files.readString(log);
            assertEquals(2, p.exitValue(), err);
            assertTrue(err.contains("rows of 100000000 classes need about") && err.contains("XENT_JVM_OPTS=-Xmx"), err);
            assertTrue(!err.contains("OutOfMemoryError") && !err.contains("\tat "), err);
        }
    }
}
