package dev.xent.cli;

import static dev.xent.cli.CliTest.xent;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.DType;
import dev.xent.Tensor;
import dev.xent.Tolerance;
import dev.xent.Xent;
import dev.xent.cpu.CpuBackend;
import dev.xent.io.Npy;
import dev.xent.reference.ReferenceBackend;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** softmax and log_softmax with PyTorch's dtype argument and 0-d inputs, in the API and as {@code xent softmax}. */
class SoftmaxCliTest {
    @TempDir
    Path dir;

    // torch 1.13: F.softmax(torch.tensor([[1,2,3],[4,4,0]]), 1, dtype=torch.float64) and F.log_softmax(..., 0,
    // dtype=torch.float32)
    private static final double[] SOFTMAX_INT_F64 = {
        0.09003057317038045, 0.2447284710547976, 0.6652409557748218,
        0.4954626425778431, 0.4954626425778431, 0.009074714844313747
    };
    private static final double[] LOG_SOFTMAX_INT_DIM0_F32 = {
        -3.0485873222351074, -2.1269280910491943, -0.04858732968568802,
        -0.04858732968568802, -0.12692804634571075, -3.0485873222351074
    };

    @Test
    void integerInputsCastByDtypeAndZeroDimInputsAsPyTorch() {
        Tensor ints = Tensor.of(new long[] {1, 2, 3, 4, 4, 0}, 2, 3);
        for (Xent x : new Xent[] {
            Xent.on(new ReferenceBackend()), Xent.on(new CpuBackend(2, true)), Xent.on(new CpuBackend(1, false))
        }) {
            try (x) {
                Tensor y = x.softmax(ints, 1, false, DType.F64);
                assertEquals(DType.F64, y.dtype());
                Tolerance.assertAllClose("softmax int64 dtype f64", SOFTMAX_INT_F64, y.toDoubleArray(), DType.F64);
                Tensor l = x.softmax(ints, 0, true, DType.F32);
                if (!x.deviceName().equals("reference"))
                    assertEquals(DType.F32, l.dtype()); // the reference answers in float64
                Tolerance.assertAllClose(
                        "log_softmax int64 dim 0 dtype f32", LOG_SOFTMAX_INT_DIM0_F32, l.toDoubleArray(), DType.F32);
                // 0-d: torch gives 1 and 0 (NaN for inf), shape ()
                Tensor s = Tensor.of(new float[] {2.5f}).reshape();
                Tensor one = x.softmax(s, 0), zero = x.logSoftmax(s, -1);
                assertEquals(0, one.rank());
                assertEquals(1.0, one.getDouble(0), 0.0);
                assertEquals(0.0, zero.getDouble(0), 0.0);
                assertTrue(Double.isNaN(x.softmax(
                                Tensor.of(new float[] {Float.POSITIVE_INFINITY}).reshape(), 0)
                        .getDouble(0)));
                CliTestSupport.assertMessage("dim 1 is out of range for a 0-d input", () -> x.softmax(s, 1));
                CliTestSupport.assertMessage("needs a floating dtype", () -> x.softmax(ints, 1));
            }
        }
    }

    @Test
    void theCommandWritesWhatTheApiComputes() throws Exception {
        Random r = new Random(2);
        float[] v = new float[6 * 5 * 4];
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * 3);
        Tensor x = Tensor.of(v, 6, 5, 4);
        Path in = dir.resolve("x.npy"), out = dir.resolve("y.npy");
        Npy.write(in, x);
        CliTest.Run run = xent(
                "softmax",
                "--input",
                in.toString(),
                "--dim",
                "1",
                "--log",
                "--out",
                out.toString(),
                "--device",
                "cpu",
                "--json");
        assertEquals(0, run.code, run.err);
        assertEquals("log_softmax", run.json().get("op").asText());
        try (Xent xe = Xent.on(new CpuBackend())) {
            assertArrayEquals(xe.logSoftmax(x, 1).toDoubleArray(), Npy.read(out).toDoubleArray());
            assertArrayEquals(new long[] {6, 5, 4}, Npy.read(out).shape());
            Path ints = dir.resolve("i.npy");
            Npy.write(ints, Tensor.of(new long[] {1, 2, 3, 4, 4, 0}, 2, 3));
            run = xent(
                    "softmax",
                    "--input",
                    ints.toString(),
                    "--dim",
                    "-1",
                    "--dtype",
                    "f64",
                    "--out",
                    out.toString(),
                    "--device",
                    "cpu");
            assertEquals(0, run.code, run.err);
            assertEquals(DType.F64, Npy.read(out).dtype());
            Tolerance.assertAllClose(
                    "xent softmax --dtype f64", SOFTMAX_INT_F64, Npy.read(out).toDoubleArray(), DType.F64);
            run = xent("softmax", "--input", ints.toString(), "--dim", "1", "--out", out.toString());
            assertEquals(2, run.code);
            assertTrue(run.err.contains("needs --dtype"), run.err);
            run = xent("softmax", "--input", in.toString(), "--dim", "1", "--out", in.toString());
            assertEquals(2, run.code, "an output that is its input is refused");
        }
    }
}
