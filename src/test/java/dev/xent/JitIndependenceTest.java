package dev.xent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.cpu.CpuBackend;
import dev.xent.io.Npy;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CPU path's bits must not depend on what the JIT has compiled: the first rows of a run go through the
 * interpreter, later ones through C2, and a row must come out the same either way (else the loss would depend on the
 * blocking or the partitioning). Every vector loop is run here in three JVMs, interpreted only (-Xint), compiled from
 * the first call (-Xcomp) and this one after warming up, and the results compared bit for bit.
 */
class JitIndependenceTest {
    @TempDir
    Path dir;

    /** Every loop: short rows, long rows over several blocks, float16, bfloat16, a mapped file, smoothing, softmax, the gradient, metrics. */
    static double[] compute(Path scratch) {
        Random r = new Random(11);
        List<double[]> out = new ArrayList<>();
        try (Xent x = Xent.on(new CpuBackend(1, true))) {
            for (int[] shape : new int[][] {{40, 10}, {17, 129}, {3, 5000}, {2, 4100}}) {
                int n = shape[0], c = shape[1];
                float[] v = new float[n * c];
                for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * 4 + (r.nextInt(c) == 0 ? 70 : 0));
                long[] y = new long[n];
                for (int i = 0; i < n; i++) y[i] = r.nextInt(c);
                Tensor logits = Tensor.of(v, n, c), t = Tensor.of(y, n);
                LossSpec none = LossSpec.builder().reduction(Reduction.NONE).build();
                out.add(x.crossEntropy(logits, t, none).perElement().toDoubleArray());
                out.add(x.crossEntropy(logits.to(DType.BF16), t, none)
                        .perElement()
                        .toDoubleArray());
                out.add(x.crossEntropy(logits.to(DType.F16), t, none)
                        .perElement()
                        .toDoubleArray());
                out.add(x.crossEntropy(
                                logits, t, none.toBuilder().labelSmoothing(0.2).build())
                        .perElement()
                        .toDoubleArray());
                out.add(x.crossEntropy(
                                logits,
                                t,
                                LossSpec.DEFAULT,
                                Outputs.builder().gradient(true).build())
                        .gradient()
                        .toDoubleArray());
                LossResult m = x.crossEntropy(
                        logits,
                        t,
                        none,
                        Outputs.builder().topK(2).predictions(true).build());
                out.add(m.perElement().toDoubleArray());
                out.add(new double[] {m.accuracy(), m.topkAccuracy()});
                out.add(x.softmax(logits, 1).toDoubleArray());
                out.add(x.logSoftmax(logits, 1).toDoubleArray());
                Tensor teacher =
                        Tensor.of(java.util.Arrays.copyOf(v, v.length), n, c).to(DType.BF16);
                for (DivergenceSpec spec : new DivergenceSpec[] {
                    DivergenceSpec.builder(DivergenceSpec.Kind.KD)
                            .temperature(2)
                            .build(),
                    DivergenceSpec.builder(DivergenceSpec.Kind.JSD).beta(0.3).build(),
                    DivergenceSpec.builder(DivergenceSpec.Kind.JSD).beta(1).build()
                }) {
                    DivergenceResult d = x.divergence(logits, teacher, null, spec, true);
                    out.add(d.perRow().toDoubleArray());
                    out.add(d.gradient().toDoubleArray());
                }
                Path f = scratch.resolve("x" + n + "x" + c + ".npy");
                Npy.write(f, logits);
                out.add(x.crossEntropy(Npy.read(f), t, none).perElement().toDoubleArray());
            }
        }
        int total = 0;
        for (double[] a : out) total += a.length;
        double[] all = new double[total];
        int at = 0;
        for (double[] a : out) {
            System.arraycopy(a, 0, all, at, a.length);
            at += a.length;
        }
        return all;
    }

    /** In a child JVM: writes the bits of {@link #compute} to args[0]. */
    public static void main(String[] args) throws IOException {
        double[] v = compute(Path.of(args[1]));
        try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(Path.of(args[0])))) {
            o.writeInt(v.length);
            for (double d : v) o.writeLong(Double.doubleToRawLongBits(d));
        }
    }

    private double[] child(String mode) throws Exception {
        Path out = dir.resolve(mode.replace("-", "") + ".bin"),
                scratch = Files.createDirectory(dir.resolve(mode.replace("-", "") + "-files"));
        List<String> cmd = List.of(
                ProcessHandle.current().info().command().orElse("java"),
                "--add-modules",
                "jdk.incubator.vector",
                mode,
                "-cp",
                System.getProperty("java.class.path"),
                JitIndependenceTest.class.getName(),
                out.toString(),
                scratch.toString());
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve(mode.replace("-", "") + ".log").toFile())
                .start();
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), mode + " did not finish");
        assertEquals(0, p.exitValue(), mode + ": " + Files.readString(dir.resolve(mode.replace("-", "") + ".log")));
        try (DataInputStream in = new DataInputStream(Files.newInputStream(out))) {
            double[] v = new double[in.readInt()];
            for (int i = 0; i < v.length; i++) v[i] = Double.longBitsToDouble(in.readLong());
            return v;
        }
    }

    private static void sameBits(String what, double[] a, double[] b) {
        assertEquals(a.length, b.length, what);
        for (int i = 0; i < a.length; i++) {
            if (Double.doubleToRawLongBits(a[i]) != Double.doubleToRawLongBits(b[i])
                    && !(Double.isNaN(a[i]) && Double.isNaN(b[i]))) {
                throw new AssertionError(what + ": value " + i + " of " + a.length + ": " + a[i] + " against " + b[i]);
            }
        }
    }

    @Test
    void theInterpreterAndCompiledCodeGiveTheSameBits() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                CpuBackend.vectorModulePresent(), "compares the vector loops (run with the vector module)");
        Path scratch = Files.createDirectory(dir.resolve("warm-files"));
        double[] warm = null;
        long until = System.nanoTime() + 4_000_000_000L;
        for (int i = 0; i < 3 || System.nanoTime() < until; i++) warm = compute(scratch);
        double[] interpreted = child("-Xint"), compiled = child("-Xcomp");
        sameBits("interpreted (-Xint) against warmed up", interpreted, warm);
        sameBits("compiled at the first call (-Xcomp) against warmed up", compiled, warm);
    }
}
