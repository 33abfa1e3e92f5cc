package dev.xent;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** PyTorch's own float32 answers meet the float32 tolerance against its float64 ones: the rule asks no more of us than PyTorch achieves. */
class GoldenToleranceTest {
    @Test
    void pytorchFloat32MeetsTheFloat32Tolerance() {
        int checked = 0;
        for (Golden g : Golden.all()) {
            if (!g.node.has("torch_float32")) continue;
            double t = g.node.get("torch_float32").isTextual()
                    ? Double.parseDouble(g.node.get("torch_float32").asText())
                    : g.node.get("torch_float32").asDouble();
            Tolerance.assertClose(g.name + ": PyTorch float32 vs float64", g.expected(), t, DType.F32);
            checked++;
        }
        assertTrue(checked > 20, "only " + checked + " cases carry a float32 answer");
    }
}
