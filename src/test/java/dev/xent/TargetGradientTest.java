package dev.xent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.cli.Main;
import dev.xent.cpu.CpuBackend;
import dev.xent.io.Npy;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** d loss / d targets against torch 1.13 autograd (scripts/golden.py): CE probability targets and BCE, API and command. */
class TargetGradientTest {
    static Stream<Golden> cases() {
        return Golden.targetGradient().stream();
    }

    private static Tensor compute(Xent x, Golden g) {
        Reduction red = Reduction.parse(g.node.get("reduction").asText());
        Tensor w = g.array("weights");
        if (g.node.get("loss").asText().equals("bce")) {
            return x.bceTargetGradient(
                    g.array("logits"),
                    g.array("target"),
                    BceSpec.builder()
                            .reduction(red)
                            .weight(w)
                            .posWeight(g.array("pos_weight"))
                            .build());
        }
        LossSpec.Builder b = LossSpec.builder().reduction(red).labelSmoothing(g.number("label_smoothing", 0));
        if (w != null) b.weights(w);
        return x.crossEntropyTargetGradient(g.array("logits"), g.array("target"), b.build());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesAutograd(Golden g) {
        try (Xent x = Xent.on(new CpuBackend())) {
            Tensor tg = compute(x, g);
            assertArrayEquals(g.array("target").shape(), tg.shape());
            Tolerance.assertAllClose(g.name, g.array("target_grad").toDoubleArray(), tg.toDoubleArray(), DType.F64);
        }
    }

    @TempDir
    Path dir;

    @Test
    void theCommandWritesThemAndRefusesClassTargets() throws Exception {
        Golden g = Golden.targetGradient().stream()
                .filter(c -> c.name.equals("tg_ce_kdim"))
                .findFirst()
                .orElseThrow();
        Path l = dir.resolve("l.npy"), t = dir.resolve("t.npy"), out = dir.resolve("tg.npy");
        Npy.write(l, g.array("logits"));
        Npy.write(t, g.array("target"));
        StringWriter e = new StringWriter();
        int code = Main.run(
                new String[] {
                    "eval",
                    "--logits",
                    l.toString(),
                    "--targets",
                    t.toString(),
                    "--label-smoothing",
                    "0.1",
                    "--device",
                    "cpu",
                    "--target-grad-out",
                    out.toString()
                },
                new PrintWriter(new StringWriter()),
                new PrintWriter(e));
        assertEquals(0, code, e.toString());
        Tolerance.assertAllClose(
                "xent eval --target-grad-out",
                g.array("target_grad").toDoubleArray(),
                Npy.read(out).toDoubleArray(),
                DType.F32);
        Path y = dir.resolve("y.npy");
        Npy.write(y, Tensor.of(new long[] {0, 1, 2, 3, 4, 0}, 2, 3));
        code = Main.run(
                new String[] {
                    "eval",
                    "--logits",
                    l.toString(),
                    "--targets",
                    y.toString(),
                    "--device",
                    "cpu",
                    "--target-grad-out",
                    out.toString()
                },
                new PrintWriter(new StringWriter()),
                new PrintWriter(e = new StringWriter()));
        assertEquals(2, code);
        assertTrue(e.toString().contains("needs probability targets"), e.toString());
    }
}
