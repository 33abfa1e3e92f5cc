package dev.xent.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.DType;
import dev.xent.InvalidInputException;
import dev.xent.LossKind;
import dev.xent.LossProblem;
import dev.xent.LossSpec;
import dev.xent.Outputs;
import dev.xent.Tensor;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The declared capability set routes host problems as the flags it replaced did (runs without a GPU). */
class CapabilityTest {
    /** The routing before the capability set: the fused kernel, the streamed forward kernels, or the CPU path. */
    private static boolean onCudaBefore(LossProblem p) {
        boolean f64 = p.input().dtype() == DType.F64;
        return !f64 && (p.gradientOnly() || !p.needsTrainingPath());
    }

    @Test
    void routesEveryCombinationAsBefore() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor y = Tensor.of(new long[] {0, 2}, 2);
        int checked = 0;
        for (DType d : new DType[] {DType.F32, DType.F16, DType.BF16, DType.F64})
            for (LossKind k : LossKind.values())
                for (int mask = 0; mask < 64; mask++) {
                    LossSpec spec = LossSpec.builder()
                            .zLossScale((mask & 8) != 0 ? 1e-4 : 0)
                            .softcap((mask & 16) != 0 ? 30 : 0)
                            .build();
                    Outputs o = Outputs.builder()
                            .gradient((mask & 1) != 0)
                            .accuracy((mask & 2) != 0)
                            .predictions((mask & 4) != 0)
                            .rowStatistics((mask & 32) != 0)
                            .build();
                    LossProblem p;
                    try {
                        p = LossProblem.of(k, x.to(d), y, spec, o);
                    } catch (InvalidInputException e) {
                        continue; // a request no backend takes (z-loss, softcap or row statistics of nll_loss)
                    }
                    Set<Capability> missing = Capability.missing(Capability.needs(p));
                    assertEquals(onCudaBefore(p), missing.isEmpty(), d + " " + k + " mask " + mask + ": " + missing);
                    checked++;
                }
        assertEquals(4 * (64 + 8), checked); // nll_loss takes no z-loss, softcap or row statistics
    }

    @Test
    void namesWhatIsMissing() {
        Tensor x = Tensor.of(new double[] {1, 2, 3}, 1, 3);
        Tensor y = Tensor.of(new long[] {1}, 1);
        LossProblem p = LossProblem.of(
                LossKind.CROSS_ENTROPY,
                x,
                y,
                LossSpec.DEFAULT,
                Outputs.builder().gradient(true).accuracy(true).build());
        assertEquals(EnumSet.of(Capability.FLOAT64, Capability.ACCURACY), Capability.missing(Capability.needs(p)));
        assertTrue(Capability.onCuda(Capability.SOFTMAX, Capability.BFLOAT16));
        assertTrue(!Capability.onCuda(Capability.SOFTMAX, Capability.FLOAT64));
    }
}
