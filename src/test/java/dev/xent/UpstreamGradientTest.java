package dev.xent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.cli.Main;
import dev.xent.cpu.CpuBackend;
import dev.xent.io.Npy;
import dev.xent.reference.ReferenceBackend;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The gradient times autograd's grad_output (scripts/golden.py), in the API on every CPU path and as --grad-output. */
class UpstreamGradientTest {
    static Stream<Golden> cases() {
        return Golden.gradOutput().stream();
    }

    private static Golden named(String name) {
        return cases().filter(g -> g.name.equals(name)).findFirst().orElseThrow();
    }

    private static LossResult compute(Xent x, Golden g, Tensor go) {
        Reduction red = Reduction.parse(g.node.get("reduction").asText());
        Outputs outs = Outputs.builder().gradient(true).gradOutput(go).build();
        String loss = g.node.get("loss").asText();
        if (loss.equals("kd")) {
            DivergenceSpec spec = DivergenceSpec.builder(DivergenceSpec.Kind.KD)
                    .reduction(red)
                    .temperature(g.number("temperature", 1))
                    .build();
            DivergenceResult d = x.divergence(
                    Divergence.of(g.array("logits"), g.array("target"), null, spec, true)
                            .withGradOutput(go),
                    null);
            return new LossResult(
                    red,
                    d.value(),
                    d.perRow(),
                    d.divisor(),
                    d.validRows(),
                    d.device(),
                    LossResult.Extras.NONE.withGradient(d.gradient()),
                    Double.NaN);
        }
        if (loss.equals("kl"))
            return x.klDiv(
                    KlDivergence.of(g.array("logits"), g.array("target"), red, false, true)
                            .withGradOutput(go),
                    null);
        if (loss.equals("bce")) {
            return x.bceWithLogits(
                    g.array("logits"),
                    g.array("target"),
                    BceSpec.builder().reduction(red).build(),
                    outs);
        }
        return x.crossEntropy(
                g.array("logits"),
                g.array("target"),
                LossSpec.builder().reduction(red).build(),
                outs);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradientTimesGradOutputMatchesAutograd(Golden g) {
        for (Xent x : List.of(
                Xent.on(new ReferenceBackend()), Xent.on(new CpuBackend(2, true)), Xent.on(new CpuBackend(1, false)))) {
            try (x) {
                LossResult r = compute(x, g, g.array("grad_output"));
                Tolerance.assertAllClose(
                        g.name + " on " + x.deviceName(),
                        g.array("grad").toDoubleArray(),
                        r.gradient().toDoubleArray(),
                        x.deviceName().equals("reference") ? DType.F64 : DType.F32);
            }
        }
    }

    @Test
    void aGradOutputOfTheWrongShapeIsRefused() {
        Golden g = named("go_ce_none"); // (12, 7)
        try (Xent x = Xent.on(new CpuBackend())) {
            InvalidInputException e =
                    assertThrows(InvalidInputException.class, () -> compute(x, g, Tensor.of(new float[11], 11)));
            assertTrue(e.getMessage().contains("must have the losses' shape (12,), got (11,)"), e.getMessage());
            e = assertThrows(
                    InvalidInputException.class,
                    () -> Outputs.builder()
                            .gradOutput(Tensor.of(new float[1], 1))
                            .build());
            assertTrue(e.getMessage().contains("needs gradient(true)"), e.getMessage());
        }
    }

    @TempDir
    Path dir;

    @Test
    void theCommandsGradOutputOption() throws Exception {
        Golden g = named("go_ce_kdim_none"); // (3, 5, 4)
        Path l = dir.resolve("l.npy"), t = dir.resolve("t.npy"), go = dir.resolve("go.npy"), out = dir.resolve("g.npy");
        Npy.write(l, g.array("logits"));
        Npy.write(t, g.array("target"));
        Npy.write(go, g.array("grad_output"));
        StringWriter o = new StringWriter(), e = new StringWriter();
        int code = Main.run(
                new String[] {
                    "eval",
                    "--logits",
                    l.toString(),
                    "--targets",
                    t.toString(),
                    "--reduction",
                    "none",
                    "--device",
                    "cpu",
                    "--grad-out",
                    out.toString(),
                    "--grad-output",
                    go.toString()
                },
                new PrintWriter(o),
                new PrintWriter(e));
        assertEquals(0, code, e.toString());
        Tolerance.assertAllClose(
                "xent eval --grad-output",
                g.array("grad").toDoubleArray(),
                Npy.read(out).toDoubleArray(),
                DType.F32);
        code = Main.run(
                new String[] {
                    "eval", "--logits", l.toString(), "--targets", t.toString(), "--grad-output", go.toString()
                },
                new PrintWriter(new StringWriter()),
                new PrintWriter(e = new StringWriter()));
        assertEquals(2, code);
        assertTrue(e.toString().contains("give --grad-out too"), e.toString());
    }
}
