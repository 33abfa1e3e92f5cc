package dev.xent;

import dev.xent.cpu.CpuBackend;
import dev.xent.reference.ReferenceBackend;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Long rows whose sums are of near-equal terms of one sign: a vocabulary masked with -inf under a softcap turns every
 * masked logit into -cap, so label smoothing's sum of gaps (and the entropy's sum) adds C nearly equal values and
 * float rounding drifts one way. The CPU's float32 rows must still hold float32's tolerance against the reference.
 */
class MaskedVocabularyTest {
    @Test
    void smoothingAndEntropyOfAMaskedVocabularyUnderASoftcap() {
        Random r = new Random(5);
        for (int c : new int[] {32000, 256000}) {
            float[] v = new float[4 * c];
            for (int i = 0; i < v.length; i++)
                v[i] = i % c > 100 ? Float.NEGATIVE_INFINITY : (float) (r.nextGaussian() * 3);
            LossSpec spec = LossSpec.builder()
                    .labelSmoothing(0.1)
                    .softcap(30)
                    .zLossScale(1e-4)
                    .reduction(Reduction.NONE)
                    .build();
            Outputs o = Outputs.builder().rowStatistics(true).gradient(true).build();
            LossProblem p = LossProblem.of(
                    LossKind.CROSS_ENTROPY, Tensor.of(v, 4, c), Tensor.of(new long[] {0, 2, 4, 6}, 4), spec, o);
            try (Backend ref = new ReferenceBackend()) {
                LossResult want = ref.loss(p);
                for (boolean vector : new boolean[] {true, false}) {
                    try (Backend cpu = new CpuBackend(2, vector)) {
                        LossResult got = cpu.loss(p);
                        String what = "C=" + c + (vector ? " vector" : " scalar");
                        Tolerance.assertAllClose(
                                what + " losses",
                                want.perElement().toDoubleArray(),
                                got.perElement().toDoubleArray(),
                                DType.F32);
                        Tolerance.assertAllClose(
                                what + " entropy",
                                want.entropy().toDoubleArray(),
                                got.entropy().toDoubleArray(),
                                DType.F32);
                        Tolerance.assertAllClose(
                                what + " gradient",
                                want.gradient().toDoubleArray(),
                                got.gradient().toDoubleArray(),
                                DType.F32);
                    }
                }
            }
        }
    }
}
