package dev.xent.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The error bounds and edge values that VectorRowMath.expOfNegated's comment promises, lane by lane against Math.exp. */
class VectorRowMathTest {
    @BeforeAll
    static void vectorModule() {
        assumeTrue(CpuBackend.vectorModulePresent(), "jdk.incubator.vector is not in this JVM");
    }

    /** Worst relative error of exp(-g) over n evenly spaced gaps g in [lo, hi]. */
    private static double worstRelativeError(double lo, double hi, int n) {
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        float[] d = new float[lanes], e = new float[lanes];
        double worst = 0;
        for (int i = 0; i < n; i += lanes) {
            for (int k = 0; k < lanes; k++) d[k] = (float) (lo + (hi - lo) * Math.min(i + k, n - 1) / (n - 1));
            VectorRowMath.expOfNegated(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, d, 0))
                    .intoArray(e, 0);
            for (int k = 0; k < lanes; k++) {
                double exact = Math.exp(-d[k]); // of the float gap actually passed in
                worst = Math.max(worst, Math.abs(e[k] - exact) / exact);
            }
        }
        return worst;
    }

    @Test
    void nearZeroTheErrorIsFloatRounding() {
        // |d| < 1: only the polynomial and float32 roundings; 2e-7 is under two ulps (measured 1.74e-7)
        double err = worstRelativeError(-1, 1, 1_000_001);
        assertTrue(err < 2e-7, "relative error " + err);
    }

    @Test
    void overTheWholeRangeTheBoundHolds() {
        double err = worstRelativeError(-60, 87, 4_000_001); // measured 1.31e-6
        assertTrue(err < 1.5e-6, "relative error " + err);
    }

    @Test
    void edgeValues() {
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        float[] g = new float[lanes], e = new float[lanes];
        float negativeNaN = Float.intBitsToFloat(0xffc00000); // what x86 makes of inf - inf
        float[] special = {0f, -0f, negativeNaN, Float.POSITIVE_INFINITY, 1000f, 87.3f, Float.NaN};
        for (int k = 0; k < lanes; k++) g[k] = special[k % special.length];
        VectorRowMath.expOfNegated(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, g, 0))
                .intoArray(e, 0);
        assertEquals(1f, e[0], 1e-7f);
        assertEquals(1f, e[1], 1e-7f);
        assertTrue(Float.isNaN(e[2]), "a negative NaN gap stays NaN");
        // gaps past 87 (x = -inf among them) read as 87: about 1.6e-38, harmless in a sum that holds exp(0) = 1
        for (int k = 3; k <= 6; k++) assertTrue(e[k] > 0 && e[k] < 2e-38f, "exp(-" + g[k] + ") = " + e[k]);
    }

    /** Max and log-sum-exp of a row in double: what rowMaxAndSumExp must match. */
    private static double[] exact(float[] a) {
        double m = Double.NEGATIVE_INFINITY;
        for (float v : a) m = Float.isNaN(v) || Double.isNaN(m) ? Double.NaN : Math.max(m, v);
        double s = 0;
        for (float v : a) s += Math.exp(v - m);
        return new double[] {m, m == Double.NEGATIVE_INFINITY ? Double.NaN : Math.log(s)};
    }

    private static void check(String what, float[] a) {
        float[] out = new float[2];
        // at an offset inside a larger array, as the backend calls it
        float[] padded = new float[a.length + 37];
        java.util.Arrays.fill(padded, 1e30f);
        System.arraycopy(a, 0, padded, 17, a.length);
        RowStats.rowStats(new VectorRowMath(), padded, 17, a.length, out);
        double[] want = exact(a);
        if (Double.isNaN(want[0]) || Double.isNaN(want[1])) {
            assertTrue(Float.isNaN(out[1]), what + ": log-sum-exp should be NaN, got " + out[1]);
            return;
        }
        assertEquals((float) want[0], out[0], what + ": max");
        assertEquals(want[1], out[1], 2e-6 + 2e-6 * Math.abs(want[1]), what + ": log of the sum");
    }

    @Test
    void rowsAgainstDoublePrecision() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(7);
        // tails of 1, 15, 1, 15, 4 and 1 values after whole vectors, in the row's only block or a later one
        int[] lengths = {1, 15, 16, 17, 31, 33, 4095, 4096, 4097, 4100, 8192 + 5, 32000, 50257};
        for (int len : lengths) {
            float[] a = new float[len];
            for (int i = 0; i < len; i++) a[i] = (float) (r.nextGaussian() * 4);
            check("gaussian " + len, a);
            // the max far beyond the seed, in a later block, and past the re-sum margin
            float[] b = a.clone();
            b[len - 1] = 500f;
            check("late max " + len, b);
            float[] c = a.clone();
            c[len / 2] = a[0] + 30; // within the margin: re-anchored
            check("rise within margin " + len, c);
            float[] c2 = a.clone();
            c2[Math.max(0, len - 9)] = a[0] + 30; // the same where the tail step reads it again
            check("rise before the tail " + len, c2);
            float[] d = a.clone(); // masked vocabulary: most of the row -inf, including the seed
            for (int i = 0; i < len; i++) if (i % 7 != 3) d[i] = Float.NEGATIVE_INFINITY;
            check("mostly -inf " + len, d);
            float[] e = a.clone(); // huge magnitudes and a -1e9 mask
            for (int i = 0; i < len; i += 5) e[i] = -1e9f;
            e[len / 3] = 1e30f;
            check("huge " + len, e);
            for (float nan : new float[] {Float.NaN, Float.intBitsToFloat(0xffc00000)}) {
                for (int at : new int[] {0, len / 2, Math.max(0, len - 9), len - 1
                }) { // len - 9: summed once, then masked in the tail step
                    float[] f = a.clone();
                    f[at] = nan;
                    check("NaN " + Integer.toHexString(Float.floatToRawIntBits(nan)) + " at " + at + " of " + len, f);
                }
            }
        }
        check("all -inf", new float[] {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY});
        float[] inf = new float[40];
        inf[20] = Float.POSITIVE_INFINITY;
        float[] out = new float[2];
        RowStats.rowStats(new VectorRowMath(), inf, 0, inf.length, out);
        assertTrue(Float.isNaN(out[1]), "+inf in a row makes its log-sum-exp NaN, as PyTorch's log_softmax does");
        check("zeros of both signs", new float[] {-0f, 0f, -0f, -1f});
        check("negative only", new float[] {-0f, -3f, -2f, -5f, -0.5f});
        check("one class", new float[] {42f});
    }

    @Test
    void sumExpTimesGapAgainstDoublePrecision() {
        java.util.Random r = new java.util.Random(11);
        VectorRowMath vec = new VectorRowMath();
        for (int len : new int[] {1, 7, 8, 17, 64, 1000, 4101}) {
            for (int kind = 0; kind < 4; kind++) {
                float[] a = new float[len + 3];
                for (int i = 0; i < a.length; i++) a[i] = (float) (r.nextGaussian() * (kind == 2 ? 40 : 3));
                if (kind == 1) for (int i = 4; i < a.length; i += 3) a[i] = Float.NEGATIVE_INFINITY; // masked classes
                if (kind == 3) for (int i = 3; i < a.length; i++) a[i] = 5e4f + a[i]; // huge logits
                float m = Float.NEGATIVE_INFINITY;
                for (int i = 3; i < a.length; i++) m = Math.max(m, a[i]);
                double want = 0, scale = 0; // Σ e d in double, and Σ e |d| for the error bound
                for (int i = 3; i < a.length; i++) {
                    double d = (double) a[i] - m, e = Math.exp(d);
                    if (e != 0) {
                        want += e * d;
                        scale += e * Math.abs(d);
                    }
                }
                double got = vec.sumExpTimesGap(a, 3, len, m);
                assertTrue(
                        Math.abs(got - want) <= 2e-6 * scale + 1e-30,
                        len + " kind " + kind + ": " + got + " vs " + want);
                double scalar = new ScalarRowMath().sumExpTimesGap(a, 3, len, m);
                assertTrue(
                        Math.abs(scalar - want) <= 2e-7 * scale + 1e-30,
                        "scalar " + len + " kind " + kind); // d rounded to float
            }
        }
    }

    @Test
    void keptExpsGiveTheStatsBitsAndTheGradient() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(17);
        VectorRowMath math = new VectorRowMath();
        for (int c : new int[] {16, 17, 31, 1000, 4099, 4096 + 31, 3 * 4096 + 5, 20000}) {
            for (int kind = 0; kind < 4; kind++) {
                float[] a = new float[c];
                for (int i = 0; i < c; i++) {
                    // kind 1: a max that rises block by block (each block kept with its own reference);
                    // kind 2: -inf values and a jump past the resum margin
                    double v = r.nextGaussian() * 3 + (kind == 1 ? i / 400.0 : 0);
                    a[i] = kind == 2 && r.nextInt(7) == 0 ? Float.NEGATIVE_INFINITY : (float) v;
                }
                if (kind == 2) a[c - 1] = 150f;
                if (kind == 3) { // a leading block of -inf and a max far below 0: the factor exp(ref - m) overflowed
                    for (int i = 0; i < c; i++) a[i] = i < 4096 ? Float.NEGATIVE_INFINITY : a[i] - 120f;
                    if (c <= 4096 + 1) a[c - 1] = -120f;
                }
                float[] plain = new float[2], st = new float[2], refs = new float[c / 4096 + 1];
                float[] e = new float[c + 3], want = new float[c];
                math.rowMaxAndSumExp(a, 0, c, plain);
                assertTrue(math.rowMaxAndSumExpKeeping(a, 0, c, st, e, 3, refs), c + " classes: kept");
                String what = c + " classes, kind " + kind;
                assertEquals(Float.floatToRawIntBits(plain[0]), Float.floatToRawIntBits(st[0]), what + ": max bits");
                assertEquals(Float.floatToRawIntBits(plain[1]), Float.floatToRawIntBits(st[1]), what + ": sum bits");
                RowStats.logOfSum(st);
                float invS = (float) Math.exp(-st[1]);
                math.gradientRow(a, 0, c, st[0], invS, 0.75f, 0.001f, null, want, 0);
                math.gradientFromKept(e, 3, c, refs, st[0], invS, 0.75f, 0.001f, null);
                for (int k = 0; k < c; k++) {
                    float got = e[3 + k];
                    if (a[k] == Float.NEGATIVE_INFINITY) assertEquals(-0.001f, got, what + ": -inf class " + k);
                    else // the p term of each within the exp's relative bound of 1.5e-6 of exact, plus roundings of
                        // size coefB
                        assertEquals(want[k], got, 4e-6 * (Math.abs(want[k]) + 0.001) + 1e-12, what + ": class " + k);
                }
            }
        }
    }

    @Test
    void manyRowsMatchOneRowAtATime() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(11);
        VectorRowMath math = new VectorRowMath();
        float[] specials = {
            Float.NaN,
            Float.intBitsToFloat(0xffc00000),
            Float.NEGATIVE_INFINITY,
            Float.POSITIVE_INFINITY,
            -1e9f,
            1e30f,
            -0f,
            0f
        };
        for (int c : new int[] {1, 2, 10, 16, 31, 32, 33, 63, 64, 65, 100, 128, 200, 256, 257}) {
            for (int rows : new int[] {1, 15, 16, 17, 50}) {
                float[] a = new float[3 + rows * c];
                for (int i = 0; i < a.length; i++) a[i] = (float) (r.nextGaussian() * 5);
                for (int k = 0; k < rows; k += 3) a[3 + k * c + r.nextInt(c)] = specials[r.nextInt(specials.length)];
                if (rows > 4) for (int i = 0; i < c; i++) a[3 + 4 * c + i] = Float.NEGATIVE_INFINITY; // an all -inf row
                float[] max = new float[rows], logS = new float[rows], st = new float[2];
                math.manyRowStats(a, 3, rows, c, max, logS);
                for (int k = 0; k < rows; k++) {
                    RowStats.rowStats(math, a, 3 + k * c, c, st);
                    String what = c + " classes, row " + k + " of " + rows;
                    if (Float.isNaN(st[1])) {
                        assertTrue(Float.isNaN(logS[k]), what + ": log-sum-exp should be NaN, got " + logS[k]);
                        continue;
                    }
                    assertEquals(st[0], max[k], what + ": max");
                    assertEquals(st[1], logS[k], 2e-6 + 2e-6 * Math.abs(st[1]), what + ": log of the sum");
                }
            }
        }
    }

    @Test
    void halfConversionIsExactForEveryPattern() {
        short[] all = new short[65536 + 5];
        for (int i = 0; i < all.length; i++) all[i] = (short) i;
        float[] out = new float[all.length + 3];
        VectorRowMath math = new VectorRowMath();
        for (boolean bf16 : new boolean[] {false, true}) {
            math.halfToFloat(all, 0, out, 3, all.length, bf16); // at a destination offset, with a scalar tail of 5
            for (int i = 0; i < all.length; i++) {
                float want = bf16 ? dev.xent.Half.bf16ToFloat(all[i]) : dev.xent.Half.toFloat(all[i]);
                if (Float.isNaN(want))
                    assertTrue(Float.isNaN(out[3 + i]), "NaN pattern " + Integer.toHexString(i & 0xffff));
                else
                    assertEquals(
                            Float.floatToRawIntBits(want),
                            Float.floatToRawIntBits(out[3 + i]),
                            (bf16 ? "bfloat16 " : "float16 ") + Integer.toHexString(i & 0xffff));
            }
        }
    }

    @Test
    void halfRowsMatchConvertedRows() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        VectorRowMath math = new VectorRowMath();
        short[] specials = {
            (short) 0x7e00, (short) 0xfe00, (short) 0xfc00, (short) 0x7c00, (short) 0x0001, (short) 0x8000
        };
        for (boolean bf16 : new boolean[] {false, true}) {
            for (int len : new int[] {1, 15, 16, 33, 4096, 4097, 32000}) {
                for (int variant = 0; variant < 4; variant++) {
                    short[] h = new short[len + 9];
                    for (int i = 0; i < h.length; i++) {
                        float v = (float) (r.nextGaussian() * 4);
                        h[i] = bf16 ? dev.xent.Half.bf16FromFloat(v) : dev.xent.Half.fromFloat(v);
                    }
                    if (variant == 1)
                        h[9 + len - 1] = bf16 ? dev.xent.Half.bf16FromFloat(200f) : dev.xent.Half.fromFloat(200f);
                    if (variant >= 2) h[9 + r.nextInt(len)] = specials[r.nextInt(specials.length)];
                    if (variant == 3)
                        for (int i = 9; i < 9 + len; i += 2) h[i] = (short) (bf16 ? 0xff80 : 0xfc00); // -inf
                    float[] row = new float[len], want = new float[2], got = new float[2];
                    math.halfToFloat(h, 9, row, 0, len, bf16);
                    RowStats.rowStats(math, row, 0, len, want);
                    RowStats.rowStatsHalf(math, h, bf16, 9, len, got);
                    String what = (bf16 ? "bfloat16 " : "float16 ") + len + " variant " + variant;
                    if (Float.isNaN(want[1])) {
                        assertTrue(Float.isNaN(got[1]), what + ": NaN expected, got " + got[1]);
                        continue;
                    }
                    assertEquals(want[0], got[0], what + ": max");
                    assertEquals(want[1], got[1], 0f, what + ": the same values in the same order give the same sum");
                }
            }
        }
    }

    /** The fused gradient row gives the bits of its definition: normalize, then the products and difference. */
    @Test
    void gradientRowMatchesNormalizeThenCombine() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(13);
        RowMath[] maths = {new VectorRowMath(), new ScalarRowMath()};
        for (RowMath math : maths) {
            for (int c : new int[] {1, 7, 8, 9, 33, 1000, 4099}) {
                for (boolean weighted : new boolean[] {false, true}) {
                    float[] a = new float[5 + c], u = weighted ? new float[c] : null;
                    for (int i = 0; i < a.length; i++) a[i] = (float) (r.nextGaussian() * 6);
                    if (c > 8) {
                        a[5 + 3] = Float.NEGATIVE_INFINITY;
                        a[5 + 4] = -1e30f;
                    }
                    if (u != null) for (int i = 0; i < c; i++) u[i] = (float) r.nextDouble() * 3;
                    float[] st = new float[2];
                    RowStats.rowStats(math, a, 5, c, st);
                    float invS = (float) Math.exp(-st[1]), coefA = 0.37f, coefB = 0.011f;
                    float[] want = new float[c], got = new float[c + 2];
                    math.normalize(a, 5, c, st[0], st[1], invS, false, want, 0);
                    for (int k = 0; k < c; k++) want[k] = coefA * want[k] - coefB * (u == null ? 1f : u[k]);
                    math.gradientRow(a, 5, c, st[0], invS, coefA, coefB, u, got, 2);
                    for (int k = 0; k < c; k++) {
                        assertEquals(
                                Float.floatToRawIntBits(want[k]),
                                Float.floatToRawIntBits(got[k + 2]),
                                math.name() + ", " + c + " classes, weighted " + weighted + ", class " + k + ": "
                                        + want[k] + " vs " + got[k + 2]);
                    }
                }
            }
        }
    }
}
