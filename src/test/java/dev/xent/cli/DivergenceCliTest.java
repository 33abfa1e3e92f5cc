package dev.xent.cli;

import static dev.xent.cli.CliTest.xent;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.xent.DivergenceResult;
import dev.xent.DivergenceSpec;
import dev.xent.LossResult;
import dev.xent.Reduction;
import dev.xent.Tensor;
import dev.xent.Xent;
import dev.xent.cpu.CpuBackend;
import dev.xent.io.Npy;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code xent eval --loss kl|kd|jsd}: the API's values, per-row and gradient files, JSON parts, refusals. */
class DivergenceCliTest {
    @TempDir
    Path dir;

    private Path save(String name, Tensor t) {
        Path p = dir.resolve(name);
        Npy.write(p, t);
        return p;
    }

    private static Tensor random(Random r, int n, int c) {
        float[] v = new float[n * c];
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * 2);
        return Tensor.of(v, n, c);
    }

    @Test
    void kdWithAlphaWritesWhatTheApiComputes() throws Exception {
        Random r = new Random(4);
        Tensor s = random(r, 50, 17), t = random(r, 50, 17);
        long[] y = new long[50];
        for (int i = 0; i < 50; i++) y[i] = i % 5 == 0 ? -100 : r.nextInt(17);
        Path fs = save("s.npy", s), ft = save("t.npy", t), fy = save("y.npy", Tensor.of(y, 50));
        Path out = dir.resolve("rows.npy"), grad = dir.resolve("g.npy");
        CliTest.Run run = xent(
                "eval",
                "--loss",
                "kd",
                "--logits",
                fs.toString(),
                "--teacher",
                ft.toString(),
                "--targets",
                fy.toString(),
                "--alpha",
                "0.3",
                "--temperature",
                "2",
                "--device",
                "cpu",
                "--json",
                "--out",
                out.toString(),
                "--grad-out",
                grad.toString());
        assertEquals(0, run.code, run.err);
        JsonNode j = run.json();
        DivergenceSpec spec = DivergenceSpec.builder(DivergenceSpec.Kind.KD)
                .temperature(2)
                .alpha(0.3)
                .build();
        try (Xent x = Xent.on(new CpuBackend())) {
            DivergenceResult want = x.divergence(s, t, Tensor.of(y, 50), spec, true);
            assertEquals(want.value(), j.get("loss").asDouble(), 0.0);
            assertEquals(want.divergence(), j.get("kd").asDouble(), 0.0);
            assertEquals(want.crossEntropy(), j.get("cross_entropy").asDouble(), 0.0);
            assertEquals("batchmean", j.get("reduction").asText());
            assertEquals(40, j.get("valid_rows").asLong());
            assertEquals(40.0, j.get("divisor").asDouble(), 0.0);
            assertArrayEquals(want.perRow().toDoubleArray(), Npy.read(out).toDoubleArray());
            assertArrayEquals(want.gradient().toDoubleArray(), Npy.read(grad).toDoubleArray());
        }
        assertTrue(run.out.contains("parts: kd "), run.out);
    }

    @Test
    void jsdAndKlDivFromFiles() throws Exception {
        Random r = new Random(5);
        Tensor s = random(r, 20, 9), t = random(r, 20, 9);
        Path fs = save("s.npy", s), ft = save("t.npy", t);
        CliTest.Run run = xent(
                "eval",
                "--loss",
                "jsd",
                "--logits",
                fs.toString(),
                "--teacher",
                ft.toString(),
                "--beta",
                "0.2",
                "--reduction",
                "sum",
                "--device",
                "cpu",
                "--json");
        assertEquals(0, run.code, run.err);
        try (Xent x = Xent.on(new CpuBackend())) {
            double want = x.divergence(
                            s,
                            t,
                            null,
                            DivergenceSpec.builder(DivergenceSpec.Kind.JSD)
                                    .beta(0.2)
                                    .reduction(Reduction.SUM)
                                    .build(),
                            false)
                    .value();
            assertEquals(want, run.json().get("loss").asDouble(), 0.0);
            // kl_div of log-probabilities against probabilities, batchmean by default
            Tensor lq = x.logSoftmax(s, 1), p = x.softmax(t, 1);
            Path fl = save("lq.npy", lq), fp = save("p.npy", p), out = dir.resolve("kl.npy");
            run = xent(
                    "eval",
                    "--loss",
                    "kl",
                    "--logits",
                    fl.toString(),
                    "--targets",
                    fp.toString(),
                    "--device",
                    "cpu",
                    "--json",
                    "--out",
                    out.toString());
            assertEquals(0, run.code, run.err);
            LossResult kl = x.klDiv(lq, p, Reduction.BATCHMEAN, false, false);
            assertEquals(kl.value(), run.json().get("loss").asDouble(), 0.0);
            assertEquals("batchmean", run.json().get("reduction").asText());
            assertArrayEquals(new long[] {20, 9}, Npy.read(out).shape());
            assertArrayEquals(
                    x.klDiv(lq, p, Reduction.NONE, false, false).perElement().toDoubleArray(),
                    Npy.read(out).toDoubleArray());
        }
    }

    @Test
    void optionsThatDoNotBelongAreRefused() {
        Tensor s = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2);
        Path fs = save("s.npy", s), fy = save("y.npy", Tensor.of(new long[] {0, 1}, 2));
        String[][] cases = {
            {
                "--teacher belongs to --loss kd and jsd",
                "eval",
                "--logits",
                fs.toString(),
                "--targets",
                fy.toString(),
                "--teacher",
                fs.toString()
            },
            {"needs the teacher's logits: --teacher", "eval", "--loss", "kd", "--logits", fs.toString()},
            {
                "give --targets",
                "eval",
                "--loss",
                "kd",
                "--logits",
                fs.toString(),
                "--teacher",
                fs.toString(),
                "--alpha",
                "0.5"
            },
            {
                "--beta belongs to --loss jsd",
                "eval",
                "--loss",
                "kd",
                "--logits",
                fs.toString(),
                "--teacher",
                fs.toString(),
                "--beta",
                "0.5"
            },
            {
                "--alpha belongs to --loss kd",
                "eval",
                "--loss",
                "jsd",
                "--logits",
                fs.toString(),
                "--teacher",
                fs.toString(),
                "--alpha",
                "0.5"
            },
            {
                "--temperature belongs to --loss kd and jsd",
                "eval",
                "--logits",
                fs.toString(),
                "--targets",
                fy.toString(),
                "--temperature",
                "2"
            },
            {
                "--loss kd takes --reduction",
                "eval",
                "--loss",
                "kd",
                "--logits",
                fs.toString(),
                "--teacher",
                fs.toString(),
                "--label-smoothing",
                "0.1"
            },
            {
                "batchmean belongs to kl_div",
                "eval",
                "--logits",
                fs.toString(),
                "--targets",
                fy.toString(),
                "--reduction",
                "batchmean"
            },
            {"--targets is required for --loss ce", "eval", "--logits", fs.toString()},
            {
                "--log-target belongs to --loss kl",
                "eval",
                "--logits",
                fs.toString(),
                "--targets",
                fy.toString(),
                "--log-target"
            },
        };
        for (String[] c : cases) {
            String[] args = java.util.Arrays.copyOfRange(c, 1, c.length);
            CliTest.Run run = xent(args);
            assertEquals(2, run.code, String.join(" ", args) + ": " + run.err);
            assertTrue(run.err.contains(c[0]), c[0] + " not in: " + run.err);
        }
    }
}
