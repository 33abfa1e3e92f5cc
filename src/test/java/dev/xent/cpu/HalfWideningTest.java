package dev.xent.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.xent.DType;
import dev.xent.LossResult;
import dev.xent.LossSpec;
import dev.xent.Outputs;
import dev.xent.Reduction;
import dev.xent.Tensor;
import dev.xent.Xent;
import dev.xent.io.Npy;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * float16 and bfloat16 logits are computed in float32: each must give exactly the result of its values widened to
 * float32 (losses and metrics bit for bit, the gradient as that float32 gradient rounded to the input's type), in a
 * Java array and in a mapped file, on the row lengths where the loops differ (many rows per vector up to
 * {@link VectorRowMath#MANY_ROWS_MAX_CLASSES}, one row at a time above).
 */
class HalfWideningTest {
    @TempDir
    Path dir;

    @Test
    void halfLogitsGiveTheBitsOfTheirFloat32Twin() throws IOException {
        Random r = new Random(5);
        for (boolean vector : new boolean[] {true, false}) {
            try (Xent x = Xent.on(new CpuBackend(2, vector))) {
                for (int c : new int[] {1, 5, 10, 31, 64, 100, 128, 256, 257, 1000, 5000}) {
                    int n = 37;
                    float[] v = new float[n * c];
                    for (int i = 0; i < v.length; i++)
                        v[i] = (float) (r.nextGaussian() * 3 + (r.nextInt(8) == 0 ? 40 : 0));
                    long[] y = new long[n];
                    for (int i = 0; i < n; i++) y[i] = i % 7 == 3 ? -100 : r.nextInt(c);
                    Tensor t = Tensor.of(y, n);
                    for (DType half : new DType[] {DType.BF16, DType.F16}) {
                        Tensor h = Tensor.of(v, n, c).to(half), wide = h.to(DType.F32);
                        Path f = dir.resolve(half.label() + c + ".npy");
                        if (half == DType.F16) Npy.write(f, h);
                        for (Tensor in : half == DType.F16 ? new Tensor[] {h, Npy.read(f)} : new Tensor[] {h}) {
                            String what = (vector ? "vector " : "scalar ") + half.label() + " C=" + c
                                    + (in.isArrayBacked() ? "" : " mapped");
                            compare(x, in, wide, t, what);
                        }
                    }
                }
            }
        }
    }

    private static void compare(Xent x, Tensor in, Tensor wide, Tensor t, String what) {
        LossSpec none = LossSpec.builder().reduction(Reduction.NONE).build();
        assertArrayEquals(
                bits(x.crossEntropy(wide, t, none).perElement()),
                bits(x.crossEntropy(in, t, none).perElement()),
                what);
        LossSpec smooth = none.toBuilder().labelSmoothing(0.1).build();
        assertArrayEquals(
                bits(x.crossEntropy(wide, t, smooth).perElement()),
                bits(x.crossEntropy(in, t, smooth).perElement()),
                what + " smoothing");
        Outputs metrics = Outputs.builder()
                .topK((int) Math.min(2, wide.dim(1)))
                .predictions(true)
                .build();
        LossResult a = x.crossEntropy(wide, t, none, metrics), b = x.crossEntropy(in, t, none, metrics);
        assertArrayEquals(bits(a.perElement()), bits(b.perElement()), what + " with metrics");
        assertEquals(a.accuracy(), b.accuracy(), 0.0, what + " accuracy");
        assertEquals(a.topkAccuracy(), b.topkAccuracy(), 0.0, what + " top-2");
        Outputs grad = Outputs.builder().gradient(true).build();
        LossResult ga = x.crossEntropy(wide, t, LossSpec.DEFAULT, grad),
                gb = x.crossEntropy(in, t, LossSpec.DEFAULT, grad);
        assertEquals(ga.value(), gb.value(), 0.0, what + " mean loss");
        assertArrayEquals(
                bits(ga.gradient().to(in.dtype()).to(DType.F32)),
                bits(gb.gradient().to(DType.F32)),
                what + " gradient");
    }

    private static long[] bits(Tensor t) {
        double[] d = t.toDoubleArray();
        long[] b = new long[d.length];
        for (int i = 0; i < d.length; i++) b[i] = Double.doubleToRawLongBits(d[i]);
        return b;
    }
}
