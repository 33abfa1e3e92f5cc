package dev.xent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.xent.cpu.CpuBackend;
import dev.xent.reference.ReferenceBackend;
import org.junit.jupiter.api.Test;

/** Probability targets holding +inf give +inf, as PyTorch's -sum t log p does (not the NaN of inf times a gap of 0). */
class InfiniteTargetsTest {
    @Test
    void infiniteProbabilityTargetsGiveInfinity() {
        float inf = Float.POSITIVE_INFINITY;
        Tensor x = Tensor.of(new float[] {3f, 1f, 0.5f, 2f, 2f, 2f, 1f, 2f, 3f}, 3, 3);
        Tensor t = Tensor.of(new float[] {inf, 0.2f, 0.1f, 0.3f, inf, 0f, 0.2f, 0.3f, 0.5f}, 3, 3);
        // torch 1.13: F.cross_entropy(x, t, reduction='none') -> [inf, inf, 1.1076]; with label_smoothing=0.1 likewise
        // inf
        for (Backend b : new Backend[] {new ReferenceBackend(), new CpuBackend(1, true), new CpuBackend(1, false)}) {
            try (Xent xe = Xent.on(b)) {
                for (double eps : new double[] {0, 0.1}) {
                    LossSpec spec = LossSpec.builder()
                            .reduction(Reduction.NONE)
                            .labelSmoothing(eps)
                            .build();
                    double[] got = xe.crossEntropy(x, t, spec).perElement().toDoubleArray();
                    assertArrayEquals(
                            new double[] {Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY},
                            new double[] {got[0], got[1]},
                            b.name() + " smoothing " + eps);
                    Tolerance.assertClose(
                            b.name() + " finite row",
                            xe.crossEntropy(x.slice(2, 3), t.slice(2, 3), spec)
                                    .perElement()
                                    .getDouble(0),
                            got[2],
                            DType.F32);
                }
            }
        }
    }
}
