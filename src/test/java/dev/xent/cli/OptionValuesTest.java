package dev.xent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.Tensor;
import dev.xent.io.Npy;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every bad option value of every command is exit 2 with a one-line message that names the option; no stack trace. */
class OptionValuesTest {
    @TempDir
    Path dir;

    private static void refused(String expected, String... args) {
        SafeOutputTest.Run r = SafeOutputTest.xent(args);
        assertEquals(2, r.code, String.join(" ", args) + ": " + r.err);
        assertTrue(r.err.contains(expected), String.join(" ", args) + " should say '" + expected + "', said: " + r.err);
        assertFalse(r.err.contains("Exception") || r.err.contains("\tat "), "no stack trace: " + r.err);
    }

    @Test
    void bench() {
        refused("--threads must be at least 1, got 0", "bench", "--threads", "0", "--rows", "4", "--classes", "4");
        refused("--threads must be at least 1, got -1", "bench", "--threads", "-1", "--rows", "4", "--classes", "4");
        refused("--runs must be at least 1, got 0", "bench", "--runs", "0", "--rows", "4", "--classes", "4");
        refused("--runs must be at least 1, got -1", "bench", "--runs", "-1", "--rows", "4", "--classes", "4");
        refused("--warmup must be at least 0, got -1", "bench", "--warmup", "-1", "--rows", "4", "--classes", "4");
        refused(
                "--topk must be between 1 and --classes (4), got 0",
                "bench",
                "--topk",
                "0",
                "--rows",
                "4",
                "--classes",
                "4");
        refused(
                "--topk must be between 1 and --classes (4), got 5",
                "bench",
                "--topk",
                "5",
                "--rows",
                "4",
                "--classes",
                "4");
        refused("--rows and --classes must be positive", "bench", "--rows", "0", "--classes", "4");
        refused("--rows and --classes must be positive", "bench", "--rows", "4", "--classes", "-3");
        refused("--peer must be torch or none", "bench", "--peer", "jax", "--rows", "4", "--classes", "4");
        refused("--op must be", "bench", "--op", "backward", "--rows", "4", "--classes", "4");
        refused(
                "device must be auto, cpu, cuda or reference",
                "bench",
                "--device",
                "tpu",
                "--rows",
                "4",
                "--classes",
                "4");
        refused("Invalid value for option '--rows'", "bench", "--rows", "many");
    }

    @Test
    void eval() {
        Path x = dir.resolve("x.npy"), t = dir.resolve("t.npy");
        Npy.write(x, Tensor.of(new float[12], 3, 4));
        Npy.write(t, Tensor.of(new long[3], 3));
        String l = x.toString(), y = t.toString();
        refused("--topk must be at least 1, got 0", "eval", "--logits", l, "--targets", y, "--topk", "0");
        refused("--topk must be at least 1, got -2", "eval", "--logits", l, "--targets", y, "--topk", "-2");
        refused(
                "top-k of 5 exceeds the 4 classes",
                "eval",
                "--logits",
                l,
                "--targets",
                y,
                "--topk",
                "5",
                "--device",
                "cpu");
        refused(
                "--label-smoothing must be in [0, 1], got -0.1",
                "eval",
                "--logits",
                l,
                "--targets",
                y,
                "--label-smoothing",
                "-0.1");
        refused(
                "--label-smoothing must be in [0, 1], got NaN",
                "eval",
                "--logits",
                l,
                "--targets",
                y,
                "--label-smoothing",
                "NaN");
        refused("--z-loss must be a finite number >= 0", "eval", "--logits", l, "--targets", y, "--z-loss", "-1");
        refused("--z-loss must be a finite number >= 0", "eval", "--logits", l, "--targets", y, "--z-loss", "Infinity");
        refused("--softcap must be a finite number > 0", "eval", "--logits", l, "--targets", y, "--softcap", "-5");
        refused(
                "--loss must be ce, nll, bce, kl, kd or jsd, not 'mse'",
                "eval",
                "--logits",
                l,
                "--targets",
                y,
                "--loss",
                "mse");
        refused(
                "reduction must be none, sum, mean or batchmean, not 'avg'",
                "eval",
                "--logits",
                l,
                "--targets",
                y,
                "--reduction",
                "avg");
        refused(
                "device must be auto, cpu, cuda or reference",
                "eval",
                "--logits",
                l,
                "--targets",
                y,
                "--device",
                "gpu");
        refused("--pos-weight belongs to --loss bce", "eval", "--logits", l, "--targets", y, "--pos-weight", l);
        refused("--loss bce takes", "eval", "--loss", "bce", "--logits", l, "--targets", l, "--topk", "2");
        refused(
                "Invalid value for option '--ignore-index'",
                "eval",
                "--logits",
                l,
                "--targets",
                y,
                "--ignore-index",
                "x");
        refused("--targets is required for --loss ce", "eval", "--logits", l);
    }

    @Test
    void outputsNameFiles() {
        Path x = dir.resolve("x.npy"), t = dir.resolve("t.npy");
        Npy.write(x, Tensor.of(new float[12], 3, 4));
        Npy.write(t, Tensor.of(new long[3], 3));
        refused(
                "does not name a file",
                "eval",
                "--logits",
                x.toString(),
                "--targets",
                t.toString(),
                "--out",
                dir.resolve("o.npy") + "/");
        refused("does not name a file", "eval", "--logits", x.toString(), "--targets", t.toString(), "--grad-out", "");
        assertFalse(
                java.nio.file.Files.exists(dir.resolve("o.npy")),
                "no file o.npy: " + java.util.Arrays.toString(dir.toFile().list()));
    }

    @Test
    void errorsFromFilesAreOnePrintableLine() throws Exception {
        Path bad = dir.resolve("nl.npy");
        dev.xent.io.NpyTest.write(
                bad,
                1,
                "{'descr': '<f4',\n 'fortran_order': False, 'shape': (2,), '\u001b[31m':\n1}",
                dev.xent.io.NpyTest.le(8));
        Path t = dir.resolve("t.npy");
        Npy.write(t, Tensor.of(new long[2], 2));
        SafeOutputTest.Run r =
                SafeOutputTest.xent("eval", "--logits", bad.toString(), "--targets", t.toString(), "--device", "cpu");
        assertEquals(2, r.code);
        assertEquals(1, r.err.strip().split("\n").length, "one line: " + r.err);
        assertFalse(r.err.strip().chars().anyMatch(c -> c < 0x20), "no control character: " + r.err);
        assertTrue(r.err.contains("\\n") && r.err.contains("\\x1b"), r.err);
        SafeOutputTest.Run u = SafeOutputTest.xent("eval", "--logits", bad.toString());
        assertEquals(1, u.err.strip().split("\n").length, "a usage error is one line too: " + u.err);
    }

    @Test
    void demo() {
        refused("device must be auto, cpu, cuda or reference", "demo", "--device", "npu");
    }
}
