package dev.xent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.xent.DType;
import dev.xent.Tensor;
import dev.xent.Tolerance;
import dev.xent.io.Npy;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as a user meets it: outputs, JSON, exit codes and messages. */
class CliTest {
    @TempDir
    Path dir;

    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();

    static final class Run {
        final int code;
        final String out, err;

        Run(int code, String out, String err) {
            this.code = code;
            this.out = out;
            this.err = err;
        }

        JsonNode json() throws Exception {
            String[] lines = out.trim().split("\n");
            return JSON.readTree(lines[lines.length - 1]);
        }
    }

    static Run xent(String... args) {
        StringWriter o = new StringWriter(), e = new StringWriter();
        int code = Main.run(args, new PrintWriter(o), new PrintWriter(e));
        return new Run(code, o.toString(), e.toString());
    }

    private Path save(String name, Tensor t) {
        Path p = dir.resolve(name);
        Npy.write(p, t);
        return p;
    }

    private Path logits() {
        return save(
                "l.npy",
                Tensor.of(new float[] {3.2f, 1.3f, 0.2f, 0.8f, 1.2f, 4.1f, 3.8f, 0.1f, 3.3f, 2.5f, 1.9f, 5.9f}, 3, 4));
    }

    @Test
    void evalPrintsTheLossAndJson() throws Exception {
        Path t = save("t.npy", Tensor.of(new long[] {0, 2, 3}, 3));
        Run r = xent("eval", "--logits", logits().toString(), "--targets", t.toString(), "--device", "cpu", "--json");
        assertEquals(0, r.code, r.err);
        JsonNode j = r.json();
        Tolerance.assertClose(
                "seed 000 loss", 0.42298611998558044, j.get("loss").asDouble(), DType.F32);
        assertEquals("mean", j.get("reduction").asText());
        assertEquals("cpu", j.get("device").asText());
        assertEquals(3, j.get("rows").asInt());
        assertEquals(4, j.get("classes").asInt());
        assertTrue(j.get("seconds").asDouble() >= 0);
        assertTrue(r.out.startsWith("loss (mean): 0.4229"), r.out);
    }

    @Test
    void reductionNoneWritesPerElementLossesAndJsonLossIsNull() throws Exception {
        Path t = save("t.npy", Tensor.of(new int[] {0, -100, 3}, 3));
        Path out = dir.resolve("per.npy");
        Run r = xent(
                "eval",
                "--logits",
                logits().toString(),
                "--targets",
                t.toString(),
                "--reduction",
                "none",
                "--out",
                out.toString(),
                "--device",
                "reference",
                "--json");
        assertEquals(0, r.code, r.err);
        assertTrue(r.json().get("loss").isNull());
        Tensor per = Npy.read(out);
        assertEquals(3, per.numel());
        assertEquals(0.0, per.getDouble(1));
        Tolerance.assertClose("row 0", 0.2547, per.getDouble(0), DType.F16);
    }

    @Test
    void allIgnoredMeanIsNaNInJson() throws Exception {
        Path t = save("t.npy", Tensor.of(new long[] {-100, -100, -100}, 3));
        Run r = xent("eval", "--logits", logits().toString(), "--targets", t.toString(), "--json", "--device", "cpu");
        assertEquals(0, r.code, r.err);
        assertEquals("NaN", r.json().get("loss").asText());
    }

    @Test
    void optionsReachTheLoss() throws Exception {
        Path t = save("t.npy", Tensor.of(new long[] {0, 2, 1}, 3));
        Path w = save("w.npy", Tensor.of(new float[] {1, 2, 0.5f, 3}, 4));
        Run r = xent(
                "eval",
                "--logits",
                logits().toString(),
                "--targets",
                t.toString(),
                "--weights",
                w.toString(),
                "--label-smoothing",
                "0.1",
                "--ignore-index",
                "1",
                "--reduction",
                "sum",
                "--json",
                "--device",
                "cpu");
        assertEquals(0, r.code, r.err);
        Run ref = xent(
                "eval",
                "--logits",
                logits().toString(),
                "--targets",
                t.toString(),
                "--weights",
                w.toString(),
                "--label-smoothing",
                "0.1",
                "--ignore-index",
                "1",
                "--reduction",
                "sum",
                "--json",
                "--device",
                "reference");
        Tolerance.assertClose(
                "cpu vs reference",
                ref.json().get("loss").asDouble(),
                r.json().get("loss").asDouble(),
                DType.F32);
        assertEquals(1.0 + 0.5, r.json().get("weight_sum").asDouble(), 1e-12); // row 2 (target 1) is ignored
    }

    @Test
    void badTargetIsExit2WithPositionValueAndRange() {
        Path t = save("t.npy", Tensor.of(new long[] {0, 9, 3}, 3));
        Run r = xent("eval", "--logits", logits().toString(), "--targets", t.toString(), "--device", "cpu");
        assertEquals(2, r.code);
        assertEquals(
                "xent: error: target[1] = 9 is not a valid class: expected 0 <= target < 4 or ignore_index -100",
                r.err.trim());
        assertFalse(r.err.contains("\tat "), "no stack trace for bad input");
    }

    @Test
    void shapeMismatchIsExit2NamingBothShapes() {
        Path t = save("t.npy", Tensor.of(new long[] {0, 1}, 2));
        Run r = xent("eval", "--logits", logits().toString(), "--targets", t.toString());
        assertEquals(2, r.code);
        assertTrue(r.err.contains("input (3, 4) needs class-index target of shape (3,), got (2,)"), r.err);
    }

    @Test
    void usageErrorsAreExit2() {
        assertEquals(2, xent("eval", "--logits", "x.npy").code); // missing --targets
        Run r0 = xent("frobnicate");
        assertEquals(2, r0.code);
        assertEquals("xent: Unmatched argument at index 0: 'frobnicate' (see: xent --help)", r0.err.trim());
        r0 = xent();
        assertEquals(2, r0.code);
        assertEquals("xent: name a command: eval, softmax, demo, bench or info (see: xent --help)", r0.err.trim());
        r0 = xent("eval", "--bogus");
        assertTrue(r0.err.trim().endsWith("(see: xent eval --help)"), r0.err);
        Path t = save("t.npy", Tensor.of(new long[] {0, 1, 2}, 3));
        Run r = xent("eval", "--logits", logits().toString(), "--targets", t.toString(), "--reduction", "avg");
        assertEquals(2, r.code);
        assertTrue(r.err.contains("reduction must be none, sum, mean or batchmean, not 'avg'"), r.err);
        r = xent("eval", "--logits", logits().toString(), "--targets", t.toString(), "--label-smoothing", "1.5");
        assertEquals(2, r.code);
        assertTrue(r.err.contains("--label-smoothing must be in [0, 1]"), r.err);
        r = xent("eval", "--logits", dir.resolve("nope.npy").toString(), "--targets", t.toString());
        assertEquals(2, r.code);
        assertTrue(r.err.contains("nope.npy: no such file"), r.err);
        r = xent("eval", "--logits", logits().toString(), "--targets", t.toString(), "--device", "tpu");
        assertEquals(2, r.code);
        assertTrue(r.err.contains("device must be auto, cpu, cuda or reference"), r.err);
    }

    @Test
    void cudaWhereUnusableIsExit2WithTheReason() {
        org.junit.jupiter.api.Assumptions.assumeFalse(
                dev.xent.cuda.CudaProbe.probe().usable, "this machine has a usable GPU");
        Path t = save("t.npy", Tensor.of(new long[] {0, 1, 2}, 3));
        Run r = xent("eval", "--logits", logits().toString(), "--targets", t.toString(), "--device", "cuda");
        assertEquals(2, r.code);
        assertTrue(r.err.startsWith("xent: error: device cuda is not usable: "), r.err);
        assertFalse(r.err.contains("\tat "));
    }

    @Test
    void warnsWhenLogitsLookLikeProbabilities() {
        Path p = save("p.npy", Tensor.of(new float[] {0.7f, 0.2f, 0.1f, 0.1f, 0.3f, 0.6f}, 2, 3));
        Path t = save("t.npy", Tensor.of(new long[] {0, 2}, 2));
        Run r = xent("eval", "--logits", p.toString(), "--targets", t.toString(), "--device", "cpu");
        assertEquals(0, r.code);
        assertTrue(r.err.contains("look like probabilities"), r.err);
        Run clean = xent(
                "eval",
                "--logits",
                logits().toString(),
                "--targets",
                save("t3.npy", Tensor.of(new long[] {0, 1, 2}, 3)).toString());
        assertFalse(clean.err.contains("look like probabilities"), clean.err);
    }

    @Test
    void probabilityTargetsAndNllFromTheCommandLine() throws Exception {
        Path pt = save("pt.npy", Tensor.of(new float[] {1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}, 3, 4));
        Run r = xent("eval", "--logits", logits().toString(), "--targets", pt.toString(), "--json", "--device", "cpu");
        assertEquals(0, r.code, r.err);
        Tolerance.assertClose(
                "one-hot probabilities = indices",
                0.42298611998558044,
                r.json().get("loss").asDouble(),
                DType.F32);
        Path lp = save("lp.npy", Tensor.of(new float[] {-0.2547f, -2.1547f, -3.2547f, -2.6547f}, 1, 4));
        r = xent(
                "eval",
                "--logits",
                lp.toString(),
                "--targets",
                save("t1.npy", Tensor.of(new long[] {0}, 1)).toString(),
                "--loss",
                "nll",
                "--json");
        assertEquals(0, r.code, r.err);
        assertEquals(0.2547, r.json().get("loss").asDouble(), 1e-6);
    }

    @Test
    void trainingOutputsFromTheCommandLine() throws Exception {
        Path t = save("t.npy", Tensor.of(new long[] {0, 2, 1}, 3));
        Path g = dir.resolve("g.npy"), pr = dir.resolve("p.npy");
        Run r = xent(
                "eval",
                "--logits",
                logits().toString(),
                "--targets",
                t.toString(),
                "--grad-out",
                g.toString(),
                "--pred-out",
                pr.toString(),
                "--topk",
                "2",
                "--z-loss",
                "0.01",
                "--softcap",
                "4",
                "--device",
                "cpu",
                "--json");
        assertEquals(0, r.code, r.err);
        JsonNode j = r.json();
        assertEquals(1.0 / 3, j.get("accuracy").asDouble(), 1e-12); // argmax 0, 1, 3 against 0, 2, 1
        assertEquals(
                2.0 / 3,
                j.get("topk_accuracy").asDouble(),
                1e-12); // class 2 is second in row 1; class 1 is third in row 2
        assertEquals(Math.exp(j.get("loss").asDouble()), j.get("perplexity").asDouble(), 1e-12);
        assertTrue(j.get("z_loss").asDouble() > 0);
        assertEquals(DType.F32, Npy.read(g).dtype());
        assertEquals(12, Npy.read(g).numel());
        assertEquals(
                java.util.List.of(0L, 1L, 3L),
                java.util.Arrays.stream(Npy.read(pr).toLongArray())
                        .boxed()
                        .collect(java.util.stream.Collectors.toList()));
        // each row of the mean gradient sums to 0 without z-loss: softmax minus one-hot, divided by N
        Run plain = xent(
                "eval",
                "--logits",
                logits().toString(),
                "--targets",
                t.toString(),
                "--grad-out",
                g.toString(),
                "--device",
                "cpu");
        assertEquals(0, plain.code, plain.err);
        double[] gv = Npy.read(g).toDoubleArray();
        for (int row = 0; row < 3; row++)
            assertEquals(0, gv[row * 4] + gv[row * 4 + 1] + gv[row * 4 + 2] + gv[row * 4 + 3], 1e-6);
    }

    @Test
    void binaryCrossEntropyFromTheCommandLine() throws Exception {
        Path x = save("bx.npy", Tensor.of(new float[] {2f, -1f, 0.5f, 0f}, 2, 2));
        Path t = save("bt.npy", Tensor.of(new float[] {1f, 0f, 0.25f, 1f}, 2, 2));
        Path pw = save("pw.npy", Tensor.of(new float[] {2f, 0.5f}, 2));
        Run r = xent(
                "eval",
                "--loss",
                "bce",
                "--logits",
                x.toString(),
                "--targets",
                t.toString(),
                "--pos-weight",
                pw.toString(),
                "--json",
                "--device",
                "cpu");
        assertEquals(0, r.code, r.err);
        double expect = 0;
        double[] xs = {2, -1, 0.5, 0}, ts = {1, 0, 0.25, 1}, pws = {2, 0.5, 2, 0.5};
        for (int i = 0; i < 4; i++) { // (1 - t) x + lw softplus(-x), lw = (pw - 1) t + 1: PyTorch's formula, by hand
            double lw = (pws[i] - 1) * ts[i] + 1;
            expect += (1 - ts[i]) * xs[i] + lw * Math.log1p(Math.exp(-xs[i]));
        }
        assertEquals(expect / 4, r.json().get("loss").asDouble(), 1e-6);
        assertEquals("bce", r.json().get("loss_kind").asText());
        Run bad = xent(
                "eval",
                "--loss",
                "bce",
                "--logits",
                x.toString(),
                "--targets",
                t.toString(),
                "--label-smoothing",
                "0.1");
        assertEquals(2, bad.code);
    }

    @Test
    void demoMatchesEveryNotebookValue() {
        for (String device : new String[] {"cpu", "reference"}) {
            Run r = xent("demo", "--device", device);
            assertEquals(0, r.code, r.out + r.err);
            assertTrue(r.out.contains("demo: 50 checks, 50 match, 0 differ"), r.out);
            assertFalse(r.out.contains("[DIFFER]"));
        }
    }

    @Test
    void infoNamesWhatABugReportNeeds() throws Exception {
        Run r = xent("info", "--json");
        assertEquals(0, r.code, r.err);
        JsonNode j = r.json();
        for (String k : new String[] {"xent", "java", "cores", "vector_module", "cpu_math", "cuda", "jcuda"})
            assertTrue(j.has(k), k);
    }

    @Test
    void benchReportsThroughputAndMemoryRate() throws Exception {
        Run r = xent(
                "bench",
                "--device",
                "cpu",
                "--rows",
                "64",
                "--classes",
                "1000",
                "--runs",
                "3",
                "--warmup",
                "1",
                "--json");
        assertEquals(0, r.code, r.err);
        JsonNode j = r.json();
        for (String k :
                new String[] {"device", "dtype", "rows", "classes", "seconds_median", "gb_per_s", "memory_gb_per_s"})
            assertTrue(j.has(k), k);
        assertEquals(
                64 * 1000 * 4 / j.get("seconds_median").asDouble() / 1e9,
                j.get("gb_per_s").asDouble(),
                1e-6);
        assertTrue(j.get("memory_gb_per_s").asDouble() > 0.1);
        assertTrue(Double.isFinite(j.get("loss").asDouble()));
        JsonNode range = j.get("memory_gb_per_s_range");
        assertTrue(
                range.get(0).asDouble() <= j.get("memory_gb_per_s").asDouble()
                        && j.get("memory_gb_per_s").asDouble() <= range.get(1).asDouble(),
                "the median probe pass lies within the passes' range: " + range);

        assertEquals(3, j.get("memory_probe_passes").asInt(), "a small shape: as many passes as runs, up to 30");
        double ns = j.get("compute_ns_per_value").asDouble();
        assertTrue(ns > 0.01 && ns < 1000, "the compute probe's ns per value: " + ns);
        assertEquals(
                4.0 * j.get("threads").asInt() / ns,
                j.get("compute_gb_per_s_f32").asDouble(),
                1e-9,
                "the ceiling the compute rate sets");
        assertTrue(j.get("compute_ns_per_value_range").get(0).asDouble() <= ns
                && ns <= j.get("compute_ns_per_value_range").get(1).asDouble());
        Run many = xent(
                "bench",
                "--device",
                "cpu",
                "--rows",
                "16",
                "--classes",
                "10",
                "--runs",
                "45",
                "--warmup",
                "1",
                "--json");
        assertEquals(0, many.code, many.err);
        assertEquals(
                30,
                many.json().get("memory_probe_passes").asInt(),
                "a 1 GiB pass per run would make many runs of a small shape slow");

        Run k = xent(
                "bench",
                "--device",
                "cpu",
                "--rows",
                "64",
                "--classes",
                "1000",
                "--runs",
                "3",
                "--warmup",
                "1",
                "--topk",
                "5",
                "--json");
        assertEquals(0, k.code, k.err);
        assertEquals(5, k.json().get("topk").asInt());
        assertEquals(
                j.get("loss").asDouble(),
                k.json().get("loss").asDouble(),
                0,
                "the same data and loss with metrics beside it");
        Run bad = xent("bench", "--device", "cpu", "--rows", "64", "--classes", "10", "--topk", "11");
        assertEquals(2, bad.code);
        assertTrue(bad.err.contains("--topk"), bad.err);
    }

    @Test
    void torchPeerLineWithEscapedQuotes() {
        // what PyTorch 1.13 says for float16 on the CPU, as torch_peer.py prints it
        TorchPeer.Result m = TorchPeer.parse(
                "{\"error\": \"\\\"log_softmax_lastdim_kernel_impl\\\" not implemented for 'Half'\", \"torch_version\": \"1.13.0a0\", \"seconds_median\": 0.25}");
        assertEquals("\"log_softmax_lastdim_kernel_impl\" not implemented for 'Half'", m.error());
        assertEquals("1.13.0a0", m.torchVersion());
        assertEquals(0.25, m.secondsMedian());
        // JSON's null is Java's null (the CPU's extra_device_bytes), a number a number, escapes undone
        TorchPeer.Result ok = TorchPeer.parse(
                "{\"seconds_median\": 1.5e-05, \"torch_version\": \"2.\\u00e9\\n\", \"threads\": 2, \"extra_device_bytes\": null}");
        assertEquals(1.5e-5, ok.secondsMedian());
        assertEquals("2.\u00e9\n", ok.torchVersion());
        assertEquals(null, ok.error());
        assertEquals(null, ok.extraDeviceBytes());
        assertEquals(
                java.math.BigInteger.valueOf(4096),
                TorchPeer.parse("{\"seconds_median\": 0.5, \"extra_device_bytes\": 4096}")
                        .extraDeviceBytes());
        assertTrue(TorchPeer.parse("{\"seconds_median\": 0.5").error().contains("malformed"));
    }
}
