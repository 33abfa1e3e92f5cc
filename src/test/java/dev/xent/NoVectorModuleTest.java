package dev.xent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.xent.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

/**
 * Runs in a JVM started without jdk.incubator.vector (the surefire execution no-vector-module): the CPU backend must
 * notice, fall back to scalar loops asking for the vector path, and still agree with PyTorch.
 */
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class NoVectorModuleTest {
    /** First in this JVM, before any other CpuBackend: the notice must come once, as a warning naming the flag. */
    @Test
    @org.junit.jupiter.api.Order(1)
    void warnsOnceNamingTheFlag() {
        assumeTrue(Boolean.getBoolean("xent.expectNoVector"), "only meaningful in the JVM without the vector module");
        java.io.PrintStream err = System.err;
        java.io.ByteArrayOutputStream seen = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(seen, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            for (int i = 0; i < 3; i++) new CpuBackend(2, true).close();
            new CpuBackend().close();
        } finally {
            System.setErr(err);
        }
        String[] lines =
                seen.toString(java.nio.charset.StandardCharsets.UTF_8).strip().split("\n");
        assertEquals(1, lines.length, String.join("\n", lines));
        org.junit.jupiter.api.Assertions.assertTrue(
                lines[0].startsWith("[WARN]") && lines[0].contains("--add-modules jdk.incubator.vector"), lines[0]);
    }

    @Test
    void fallsBackToScalarLoopsAndStaysCorrect() {
        assumeTrue(Boolean.getBoolean("xent.expectNoVector"), "only meaningful in the JVM without the vector module");
        assertFalse(CpuBackend.vectorModulePresent());
        try (CpuBackend cpu = new CpuBackend(2, true)) {
            assertEquals("scalar", cpu.mathName());
            for (Golden g : Golden.all()) {
                LossResult r = cpu.loss(LossProblem.of(g.kind(), g.array("logits"), g.array("target"), g.spec()));
                Tolerance.assertAllClose(
                        g.name,
                        g.array("expected_none").toDoubleArray(),
                        r.perElement().toDoubleArray(),
                        g.array("logits").dtype().computeType());
            }
        }
    }
}
