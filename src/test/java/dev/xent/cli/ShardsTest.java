package dev.xent.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.xent.Tensor;
import dev.xent.io.Npy;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Shards (several files, or a glob) are their row-wise concatenation: the same result bits and output bytes as one file. */
class ShardsTest {
    @TempDir
    Path dir;

    private static JsonNode json(SafeOutputTest.Run r) throws Exception {
        String[] lines = r.out.trim().split("\n");
        return new ObjectMapper().readTree(lines[lines.length - 1]);
    }

    @Test
    void shardsGiveTheBitsOfOneFile() throws Exception {
        Random rnd = new Random(7);
        int rows = 1000, c = 37;
        float[] v = new float[rows * c];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextGaussian() * 3);
        long[] y = new long[rows];
        for (int i = 0; i < rows; i++) y[i] = rnd.nextInt(8) == 0 ? -100 : rnd.nextInt(c);
        Tensor x = Tensor.of(v, rows, c), t = Tensor.of(y, rows);
        Npy.write(dir.resolve("all-x.npy"), x);
        Npy.write(dir.resolve("all-t.npy"), t);
        int[] cuts = {0, 1, 300, 301, 777, 1000}; // uneven shards, one of a single row
        Files.createDirectory(dir.resolve("shards"));
        for (int k = 0; k + 1 < cuts.length; k++) {
            Npy.write(dir.resolve("shards/x-" + k + ".npy"), x.slice(cuts[k], cuts[k + 1]));
            Npy.write(dir.resolve("shards/t-" + k + ".npy"), t.slice(cuts[k], cuts[k + 1]));
        }
        String[] common = {"--device", "cpu", "--json", "--accuracy", "--topk", "3", "--label-smoothing", "0.1"};
        SafeOutputTest.Run one = SafeOutputTest.xent(concat(
                new String[] {
                    "eval",
                    "--logits",
                    dir.resolve("all-x.npy").toString(),
                    "--targets",
                    dir.resolve("all-t.npy").toString(),
                    "--out",
                    dir.resolve("o1.npy").toString(),
                    "--grad-out",
                    dir.resolve("g1.npy").toString(),
                    "--pred-out",
                    dir.resolve("p1.npy").toString()
                },
                common));
        assertEquals(0, one.code, one.err);
        SafeOutputTest.Run glob = SafeOutputTest.xent(concat(
                new String[] {
                    "eval",
                    "--logits",
                    dir.resolve("shards/x-*.npy").toString(),
                    "--targets",
                    dir.resolve("shards/t-*.npy").toString(),
                    "--out",
                    dir.resolve("o2.npy").toString(),
                    "--grad-out",
                    dir.resolve("g2.npy").toString(),
                    "--pred-out",
                    dir.resolve("p2.npy").toString()
                },
                common));
        assertEquals(0, glob.code, glob.err);
        String[] listed = new String[cuts.length - 1];
        for (int k = 0; k < listed.length; k++)
            listed[k] = dir.resolve("shards/x-" + k + ".npy").toString();
        String[] targets = new String[listed.length];
        for (int k = 0; k < listed.length; k++)
            targets[k] = dir.resolve("shards/t-" + k + ".npy").toString();
        SafeOutputTest.Run list = SafeOutputTest.xent(concat(
                concat(concat(new String[] {"eval", "--logits"}, listed), concat(new String[] {"--targets"}, targets)),
                concat(
                        new String[] {
                            "--out",
                            dir.resolve("o3.npy").toString(),
                            "--grad-out",
                            dir.resolve("g3.npy").toString(),
                            "--pred-out",
                            dir.resolve("p3.npy").toString()
                        },
                        common)));
        assertEquals(0, list.code, list.err);
        for (String field : new String[] {"loss", "weight_sum", "accuracy", "topk_accuracy", "perplexity", "rows"}) {
            assertEquals(json(one).get(field).toString(), json(glob).get(field).toString(), field + " (glob)");
            assertEquals(json(one).get(field).toString(), json(list).get(field).toString(), field + " (listed)");
        }
        for (String f : new String[] {"o", "g", "p"}) {
            assertArrayEquals(
                    Files.readAllBytes(dir.resolve(f + "1.npy")),
                    Files.readAllBytes(dir.resolve(f + "2.npy")),
                    f + " output bytes (glob)");
            assertArrayEquals(
                    Files.readAllBytes(dir.resolve(f + "1.npy")),
                    Files.readAllBytes(dir.resolve(f + "3.npy")),
                    f + " output bytes (listed)");
        }
    }

    @Test
    void misorderedOrMismatchedShardsAreNamed() {
        Npy.write(dir.resolve("x-0.npy"), Tensor.of(new float[30], 10, 3));
        Npy.write(dir.resolve("x-1.npy"), Tensor.of(new float[15], 5, 3));
        Npy.write(dir.resolve("t-0.npy"), Tensor.of(new long[5], 5));
        Npy.write(dir.resolve("t-1.npy"), Tensor.of(new long[10], 10));
        SafeOutputTest.Run r = SafeOutputTest.xent(
                "eval",
                "--logits",
                dir.resolve("x-*.npy").toString(),
                "--targets",
                dir.resolve("t-*.npy").toString(),
                "--device",
                "cpu");
        assertEquals(2, r.code);
        assertTrue(
                r.err.contains("shard 0") && r.err.contains("x-0.npy has 10 rows") && r.err.contains("t-0.npy has 5"),
                r.err);
        Npy.write(dir.resolve("w-0.npy"), Tensor.of(new float[20], 5, 4));
        r = SafeOutputTest.xent(
                "eval",
                "--logits",
                dir.resolve("x-0.npy").toString(),
                dir.resolve("w-0.npy").toString(),
                "--targets",
                dir.resolve("t-1.npy").toString(),
                dir.resolve("t-0.npy").toString(),
                "--device",
                "cpu");
        assertEquals(2, r.code);
        assertTrue(r.err.contains("must agree after axis 0"), r.err);
        r = SafeOutputTest.xent(
                "eval",
                "--logits",
                dir.resolve("nothing-*.npy").toString(),
                "--targets",
                dir.resolve("t-0.npy").toString());
        assertEquals(2, r.code);
        assertTrue(r.err.contains("nothing-*.npy: no file matches"), r.err);
        assertFalse(r.err.contains("Exception"), r.err);
    }

    @Test
    void theProgressBarAppearsOnlyForLongWorkOnATerminal() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        try (Progress p = new Progress(true, err, Duration.ofMillis(50), 4_000_000_000L, 1000, 4)) {
            p.update(100_000_000, 1_000_000_000); // before the delay: nothing
            assertEquals("", bytes.toString(StandardCharsets.UTF_8));
            sleep(80);
            p.update(500_000_000, 1_000_000_000);
            sleep(300);
            p.update(600_000_000, 1_000_000_000);
            sleep(300);
        }
        String shown = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(
                shown.contains("xent") && shown.contains("MB") && shown.contains("/s") && shown.contains("rows"),
                shown);
        ByteArrayOutputStream none = new ByteArrayOutputStream();
        try (Progress p =
                new Progress(false, new PrintStream(none, true, StandardCharsets.UTF_8), Duration.ZERO, 100, 10, 1)) {
            sleep(20);
            p.update(50, 100);
        }
        assertEquals(0, none.size(), "no bar when stderr is not a terminal or with --quiet");
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String[] concat(String[] a, String[] b) {
        String[] r = new String[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
