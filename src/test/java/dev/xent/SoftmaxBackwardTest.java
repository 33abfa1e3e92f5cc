package dev.xent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.xent.cli.Main;
import dev.xent.cpu.CpuBackend;
import dev.xent.io.Npy;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** softmax / log_softmax backward against torch 1.13 autograd (scripts/golden.py), in blocks, and as xent softmax --grad-out. */
class SoftmaxBackwardTest {
    static Stream<Golden> cases() {
        return Golden.softmaxBackward().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesAutograd(Golden g) {
        Tensor x = g.array("input"), go = g.array("grad_output");
        try (Xent xe = Xent.on(new CpuBackend(1, true))) {
            Tensor gx = xe.softmaxBackward(
                    x, go, g.node.get("dim").asInt(), g.node.get("log").asBoolean());
            assertEquals(x.dtype(), gx.dtype());
            assertArrayEquals(x.shape(), gx.shape());
            Tolerance.assertAllClose(
                    g.name,
                    g.array("grad").toDoubleArray(),
                    gx.toDoubleArray(),
                    x.dtype() == DType.F64 ? DType.F64 : DType.F32);
        }
    }

    @TempDir
    Path dir;

    @Test
    void blocksAndTheCommandGiveTheSameBits() throws Exception {
        Random r = new Random(8);
        float[] v = new float[40 * 7 * 3], w = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * 2);
            w[i] = (float) r.nextGaussian();
        }
        Tensor x = Tensor.of(v, 40, 7, 3), go = Tensor.of(w, 40, 7, 3);
        Path fx = dir.resolve("x.npy"), fg = dir.resolve("go.npy"), out = dir.resolve("gx.npy");
        Npy.write(fx, x);
        Npy.write(fg, go);
        try (Xent xe = Xent.on(new CpuBackend())) {
            Tensor whole = xe.softmaxBackward(x, go, 1, true);
            StringWriter e = new StringWriter();
            String old = System.getProperty("xent.blockElements");
            System.setProperty("xent.blockElements", "100"); // blocks of 4 indices of axis 0, from mapped files
            int code;
            try {
                code = Main.run(
                        new String[] {
                            "softmax",
                            "--input",
                            fx.toString(),
                            "--dim",
                            "1",
                            "--log",
                            "--grad-output",
                            fg.toString(),
                            "--grad-out",
                            out.toString(),
                            "--device",
                            "cpu"
                        },
                        new PrintWriter(new StringWriter()),
                        new PrintWriter(e));
            } finally {
                if (old == null) System.clearProperty("xent.blockElements");
                else System.setProperty("xent.blockElements", old);
            }
            assertEquals(0, code, e.toString());
            assertArrayEquals(whole.toDoubleArray(), Npy.read(out).toDoubleArray());
        }
    }
}
