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
class NoVectorModuleTest {
    @Test void fallsBackToScalarLoopsAndStaysCorrect() {
        assumeTrue(Boolean.getBoolean("xent.expectNoVector"), "only meaningful in the JVM without the vector module");
        assertFalse(CpuBackend.vectorModulePresent());
        try (CpuBackend cpu = new CpuBackend(2, true)) {
            assertEquals("scalar", cpu.mathName());
            for (Golden g : Golden.all()) {
                LossResult r = cpu.loss(LossProblem.of(g.kind(), g.array("logits"), g.array("target"), g.spec()));
                Tolerance.assertAllClose(g.name, g.array("expected_none").toDoubleArray(), r.perElement().toDoubleArray(),
                        g.array("logits").dtype().computeType());
            }
        }
    }
}
