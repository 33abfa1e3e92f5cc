package dev.xent.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.Tensor;
import dev.xent.io.Npy;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The xent-spark command: xent eval's numbers and JSON fields, its per-row output, its one-line errors. */
class SparkMainTest {
    @TempDir
    static Path dir;

    static Path x, t;

    @BeforeAll
    static void files() {
        Random r = new Random(5);
        int n = 500, c = 300;
        float[] v = new float[n * c];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian() * 2;
        long[] y = new long[n];
        for (int i = 0; i < n; i++) y[i] = r.nextInt(c);
        x = dir.resolve("x.npy");
        t = dir.resolve("t.npy");
        Npy.write(x, Tensor.of(v, n, c));
        Npy.write(t, Tensor.of(y, n));
    }

    private static String[] run(int expect, String... args) {
        StringWriter o = new StringWriter(), e = new StringWriter();
        int code = SparkMain.run(args, new PrintWriter(o), new PrintWriter(e));
        assertEquals(expect, code, String.join(" ", args) + "\n" + o + e);
        return new String[] {o.toString(), e.toString()};
    }

    private static String field(String json, String name) {
        int at = json.indexOf("\"" + name + "\": ");
        assertTrue(at >= 0, name + " in " + json);
        int from = at + name.length() + 4, to = json.indexOf(',', from);
        return json.substring(from, to < 0 ? json.indexOf('}', from) : to);
    }

    @Test
    void theJobPrintsXentEvalsNumbers() {
        String[] spark = run(
                0, "--logits", x.toString(), "--targets", t.toString(), "--partitions", "3", "--topk", "5", "--json");
        StringWriter o = new StringWriter(), e = new StringWriter();
        assertEquals(
                0,
                dev.xent.cli.Main.run(
                        new String[] {
                            "eval",
                            "--logits",
                            x.toString(),
                            "--targets",
                            t.toString(),
                            "--device",
                            "cpu",
                            "--topk",
                            "5",
                            "--json"
                        },
                        new PrintWriter(o),
                        new PrintWriter(e)),
                e.toString());
        String[] lines = spark[0].trim().split("\n"), eval = o.toString().trim().split("\n");
        String sj = lines[lines.length - 1], ej = eval[eval.length - 1];
        for (String f : new String[] {
            "loss", "weight_sum", "accuracy", "topk_accuracy", "perplexity", "rows", "classes", "reduction"
        }) {
            assertEquals(field(ej, f), field(sj, f), f);
        }
        assertEquals("3", field(sj, "partitions"));
        assertEquals("3", field(sj, "tasks"));
    }

    @Test
    void perRowLossesGoToAFile() {
        Path out = dir.resolve("per.npy");
        run(
                0,
                "--logits",
                x.toString(),
                "--targets",
                t.toString(),
                "--partitions",
                "4",
                "--reduction",
                "none",
                "--out",
                out.toString());
        StringWriter o = new StringWriter(), e = new StringWriter();
        Path single = dir.resolve("single.npy");
        assertEquals(
                0,
                dev.xent.cli.Main.run(
                        new String[] {
                            "eval",
                            "--logits",
                            x.toString(),
                            "--targets",
                            t.toString(),
                            "--device",
                            "cpu",
                            "--reduction",
                            "none",
                            "--out",
                            single.toString()
                        },
                        new PrintWriter(o),
                        new PrintWriter(e)),
                e.toString());
        assertArrayEquals(Npy.read(single).toDoubleArray(), Npy.read(out).toDoubleArray());
    }

    @Test
    void badInputIsOneLine() {
        String[] r = run(2, "--logits", x.toString(), "--targets", t.toString(), "--partitions", "0");
        assertTrue(r[1].contains("--partitions must be at least 1"), r[1]);
        r = run(2, "--logits", x.toString());
        assertTrue(r[1].contains("--logits and --targets go together"), r[1]);
        r = run(2, "--logits", dir.resolve("missing-*.npy").toString(), "--targets", t.toString());
        assertTrue(r[1].contains("missing-*.npy: no file matches"), r[1]);
        r = run(2, "--logits", x.toString(), "--targets", t.toString(), "--out", x.toString());
        assertTrue(r[1].contains("is the same file as --logits"), r[1]);
        assertFalse(r[1].contains("\tat "), r[1]);
    }

    /** The options shared with xent eval (one mixin) take the same values and refuse bad ones in the same words. */
    @Test
    void sharedOptionsSayWhatXentEvalSays() {
        String[][] cases = {
            {"--topk", "0", "--topk must be at least 1, got 0"},
            {"--label-smoothing", "2", "--label-smoothing must be in [0, 1], got 2.0"},
            {"--z-loss", "-1", "--z-loss must be a finite number >= 0, got -1.0"},
            {"--softcap", "Infinity", "--softcap must be a finite number > 0 (or 0: off), got Infinity"},
            {"--ignore-index", "x", "Invalid value for option '--ignore-index'"}
        };
        for (String[] c : cases) {
            String[] r = run(2, "--logits", x.toString(), "--targets", t.toString(), c[0], c[1]);
            assertTrue(r[1].contains(c[2]), c[0] + " " + c[1] + ": " + r[1]);
            StringWriter o = new StringWriter(), e = new StringWriter();
            int code = dev.xent.cli.Main.run(
                    new String[] {"eval", "--logits", x.toString(), "--targets", t.toString(), c[0], c[1]},
                    new PrintWriter(o),
                    new PrintWriter(e));
            assertEquals(2, code, e.toString());
            assertTrue(e.toString().contains(c[2]), "xent eval " + c[0] + " " + c[1] + ": " + e);
        }
        picocli.CommandLine.Model.CommandSpec spark = new picocli.CommandLine(new SparkMain()).getCommandSpec();
        picocli.CommandLine.Model.CommandSpec eval = new picocli.CommandLine(new dev.xent.cli.Main())
                .getSubcommands()
                .get("eval")
                .getCommandSpec();
        for (String name :
                new String[] {"--ignore-index", "--label-smoothing", "--accuracy", "--topk", "--z-loss", "--softcap"}) {
            assertArrayEquals(
                    eval.findOption(name).description(), spark.findOption(name).description(), name);
            assertEquals(
                    eval.findOption(name).defaultValue(), spark.findOption(name).defaultValue(), name);
        }
    }
}
