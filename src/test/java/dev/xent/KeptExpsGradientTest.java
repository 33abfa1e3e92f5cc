package dev.xent;

import dev.xent.cpu.CpuBackend;
import dev.xent.reference.ReferenceBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The CPU gradient from kept exps against the reference on the rows that stress it: leading -inf blocks, maxima far below 0, rises past the resum margin, every option that forms a gradient. */
class KeptExpsGradientTest {
    static final float NI = Float.NEGATIVE_INFINITY;

    interface Gen {
        float at(int i, int c, SplittableRandom r);
    }

    static List<Object[]> rows() {
        List<Object[]> l = new ArrayList<>();
        // name, classes, generator
        l.add(new Object[] {
            "first block -inf, rest -100", 8192, (Gen) (i, c, r) -> i < 4096 ? NI : (float) (-100 + r.nextGaussian())
        });
        l.add(new Object[] {
            "first block -inf, rest -1e6",
            4096 + 40,
            (Gen) (i, c, r) -> i < 4096 ? NI : (float) (-1e6 + r.nextGaussian())
        });
        l.add(new Object[] {
            "first block -inf, rest -60", 8192, (Gen) (i, c, r) -> i < 4096 ? NI : (float) (-60 + r.nextGaussian())
        });
        l.add(new Object[] {
            "first 2 blocks -inf, tail 5 of -95",
            2 * 4096 + 5,
            (Gen) (i, c, r) -> i < 8192 ? NI : (float) (-95 + r.nextGaussian())
        });
        l.add(new Object[] {"all -100", 5000, (Gen) (i, c, r) -> (float) (-100 + r.nextGaussian())});
        l.add(new Object[] {
            "rising 59/block", 4 * 4096 + 3, (Gen) (i, c, r) -> (float) (59 * (i / 4096) + r.nextGaussian())
        });
        l.add(new Object[] {
            "jump past margin late in block",
            3 * 4096 + 17,
            (Gen) (i, c, r) -> i % 4096 == 4000 ? 200f * (1 + i / 4096) : (float) r.nextGaussian()
        });
        l.add(new Object[] {"single finite", 9000, (Gen) (i, c, r) -> i == 8999 ? 3f : NI});
        l.add(new Object[] {"single finite in tail", 4096 + 9, (Gen) (i, c, r) -> i == 4096 + 8 ? -120f : NI});
        l.add(new Object[] {
            "sparse -inf", 4096 + 23, (Gen) (i, c, r) -> r.nextInt(3) == 0 ? NI : (float) (r.nextGaussian() * 10)
        });
        l.add(new Object[] {"NaN", 5000, (Gen) (i, c, r) -> i == 4500 ? Float.NaN : (float) r.nextGaussian()});
        l.add(new Object[] {
            "+inf", 5000, (Gen) (i, c, r) -> i == 4500 ? Float.POSITIVE_INFINITY : (float) r.nextGaussian()
        });
        l.add(new Object[] {"all -inf", 5000, (Gen) (i, c, r) -> NI});
        for (int c : new int[] {
            15, 16, 17, 23, 24, 31, 33, 100, 129, 1000, 4095, 4096, 4097, 4103, 4104, 4111, 4112, 8191, 8193, 12288 + 15
        }) l.add(new Object[] {"gauss c=" + c, c, (Gen) (i, cc, r) -> (float) (r.nextGaussian() * 5)});
        return l;
    }

    @Test
    void againstReference() {
        SplittableRandom r = new SplittableRandom(3);
        StringBuilder fails = new StringBuilder();
        int n = 3;
        for (Object[] row : rows()) {
            String name = (String) row[0];
            int c = (Integer) row[1];
            Gen gen = (Gen) row[2];
            float[] v = new float[n * c];
            for (int k = 0; k < n; k++) for (int i = 0; i < c; i++) v[k * c + i] = gen.at(i, c, r);
            long[] y = new long[n];
            for (int k = 0; k < n; k++) {
                y[k] = c - 1 - k;
            }
            float[] w = new float[c];
            for (int i = 0; i < c; i++) w[i] = 0.5f + (i % 7) / 7f;
            float[] t = new float[n * c];
            for (int k = 0; k < n; k++)
                for (int i = 0; i < c; i++) t[k * c + i] = (i == c - 1 - k ? 0.7f : 0) + 0.3f / c;
            for (int variant = 0; variant < 9; variant++) {
                LossSpec.Builder sb = LossSpec.builder().reduction(variant % 2 == 0 ? Reduction.MEAN : Reduction.SUM);
                Outputs.Builder ob = Outputs.builder().gradient(true);
                Tensor in = Tensor.of(v, n, c);
                Tensor tg = Tensor.of(y, n);
                String vn;
                switch (variant) {
                    case 0:
                        vn = "plain";
                        break;
                    case 1:
                        vn = "weights";
                        sb.weights(w);
                        break;
                    case 2:
                        vn = "smoothing";
                        sb.labelSmoothing(0.1);
                        break;
                    case 3:
                        vn = "zloss";
                        sb.zLossScale(1e-3);
                        break;
                    case 4:
                        vn = "probTargets";
                        tg = Tensor.of(t, n, c);
                        break;
                    case 5:
                        vn = "metrics+stats";
                        ob.accuracy(true).rowStatistics(true);
                        break;
                    case 6:
                        vn = "f16";
                        in = in.to(DType.F16);
                        break;
                    case 7:
                        vn = "bf16";
                        in = in.to(DType.BF16);
                        break;
                    default:
                        vn = "ignored row";
                        sb.ignoreIndex(c - 2);
                        ob.accuracy(true);
                        break;
                }
                LossProblem p = LossProblem.of(LossKind.CROSS_ENTROPY, in, tg, sb.build(), ob.build());
                try (Backend ref = new ReferenceBackend();
                        Backend cpu = new CpuBackend(1, true)) {
                    double[] want = ref.loss(p).gradient().toDoubleArray();
                    double[] got = cpu.loss(p).gradient().toDoubleArray();
                    DType dt = in.dtype();
                    int bad = 0;
                    for (int i = 0; i < want.length; i++) {
                        if (!Tolerance.close(want[i], got[i], dt)) {
                            if (bad < 2)
                                fails.append(name)
                                        .append(" / ")
                                        .append(vn)
                                        .append(" [")
                                        .append(i / c)
                                        .append(',')
                                        .append(i % c)
                                        .append("] x=")
                                        .append(v[i])
                                        .append(" want ")
                                        .append(want[i])
                                        .append(" got ")
                                        .append(got[i])
                                        .append('\n');
                            bad++;
                        }
                    }
                    if (bad > 0)
                        fails.append("  ")
                                .append(name)
                                .append(" / ")
                                .append(vn)
                                .append(": ")
                                .append(bad)
                                .append(" bad of ")
                                .append(want.length)
                                .append('\n');
                } catch (RuntimeException ex) {
                    fails.append(name)
                            .append(" / ")
                            .append(vn)
                            .append(": threw ")
                            .append(ex)
                            .append('\n');
                }
            }
        }
        if (fails.length() > 0) throw new AssertionError(fails.toString());
    }

    @Test
    void kDimensional() {
        // (N, C, K) with inner K > 1: gradient through g
        SplittableRandom r = new SplittableRandom(9);
        int n = 2, c = 4096 + 13, k = 3;
        float[] v = new float[n * c * k];
        for (int i = 0; i < v.length; i++) {
            int cls = (i / k) % c;
            v[i] = cls < 4096 && (i % k) == 0 ? NI : (float) (-100 + r.nextGaussian());
        }
        long[] y = new long[n * k];
        for (int i = 0; i < y.length; i++) y[i] = c - 1 - i;
        LossProblem p = LossProblem.of(
                LossKind.CROSS_ENTROPY,
                Tensor.of(v, n, c, k),
                Tensor.of(y, n, k),
                LossSpec.builder().build(),
                Outputs.builder().gradient(true).build());
        try (Backend ref = new ReferenceBackend();
                Backend cpu = new CpuBackend(1, true)) {
            double[] want = ref.loss(p).gradient().toDoubleArray();
            double[] got = cpu.loss(p).gradient().toDoubleArray();
            int bad = 0;
            String first = "";
            for (int i = 0; i < want.length; i++)
                if (!Tolerance.close(want[i], got[i], DType.F32)) {
                    if (bad++ == 0) first = i + " want " + want[i] + " got " + got[i];
                }
            if (bad > 0) throw new AssertionError("K-dim: " + bad + " bad, first " + first);
        }
    }
}
