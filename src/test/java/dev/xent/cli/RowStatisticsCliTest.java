package dev.xent.cli;

import static dev.xent.cli.CliTest.xent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.DType;
import dev.xent.Tensor;
import dev.xent.Tolerance;
import dev.xent.io.Npy;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --lse-out}, {@code --entropy} and {@code --entropy-out} against torch 1.13's logsumexp and -xlogy(p, p).sum. */
class RowStatisticsCliTest {
    @TempDir
    Path dir;

    // torch: x = these float32 logits in float64; torch.logsumexp(x, 1); -(torch.special.xlogy(p, p)).sum(1), p =
    // softmax(x, 1)
    private static final double[] LSE = {3.454699335084608, 4.695620870323569, 2.4076059644443806};
    private static final double[] ENTROPY = {0.7595267926030624, 0.8464676808418916, 0.8323955818399388};

    @Test
    void lseAndEntropyAsTorchComputesThem() throws Exception {
        float inf = Float.NEGATIVE_INFINITY;
        Tensor x = Tensor.of(new float[] {3.2f, 1.3f, 0.2f, 0.8f, 1.2f, 4.1f, 3.8f, 0.1f, 0f, inf, 1f, 2f}, 3, 4);
        Path l = dir.resolve("l.npy"), t = dir.resolve("t.npy"), lse = dir.resolve("lse.npy"), h = dir.resolve("h.npy");
        Npy.write(l, x);
        Npy.write(t, Tensor.of(new long[] {0, -100, 3}, 3));
        CliTest.Run r = xent(
                "eval",
                "--logits",
                l.toString(),
                "--targets",
                t.toString(),
                "--device",
                "cpu",
                "--json",
                "--lse-out",
                lse.toString(),
                "--entropy-out",
                h.toString());
        assertEquals(0, r.code, r.err);
        Tolerance.assertAllClose("lse", LSE, Npy.read(lse).toDoubleArray(), DType.F32);
        Tolerance.assertAllClose("entropy", ENTROPY, Npy.read(h).toDoubleArray(), DType.F32);
        // the mean over the rows whose target is not ignored: rows 0 and 2
        Tolerance.assertClose(
                "mean entropy",
                (ENTROPY[0] + ENTROPY[2]) / 2,
                r.json().get("entropy").asDouble(),
                DType.F32);
        assertTrue(r.out.contains("entropy (mean over non-ignored rows)"), r.out);
        r = xent("eval", "--loss", "nll", "--logits", l.toString(), "--targets", t.toString(), "--entropy");
        assertEquals(2, r.code);
        assertTrue(r.err.contains("are for ce"), r.err);
    }
}
