package dev.xent.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link VectorTwin} gives {@link VectorRowMath}'s bits, so which of the two ran never shows in a result. */
class VectorTwinTest {
    @BeforeAll
    static void vectorModule() {
        assumeTrue(CpuBackend.vectorModulePresent(), "jdk.incubator.vector is not in this JVM");
    }

    private static final float[] SPECIALS = {
        Float.NaN,
        Float.intBitsToFloat(0xffc00000), // a negative NaN
        Float.NEGATIVE_INFINITY,
        Float.POSITIVE_INFINITY,
        -1e9f,
        1e30f,
        -3e38f,
        -0f,
        0f,
        Float.MIN_VALUE,
        -100f, // gaps past the exp's cap of 87
        65f, // a rise past the row loop's re-anchoring margin
    };

    @Test
    void shortRowStatsHaveTheVectorLoopsBits() {
        int L = VectorRowMath.LANES;
        SplittableRandom r = new SplittableRandom(21);
        VectorRowMath math = new VectorRowMath();
        int cases = 0;
        for (int c = 1; c <= VectorRowMath.MANY_ROWS_MAX_CLASSES; c += c < 4 * L + 2 ? 1 : 1 + r.nextInt(23)) {
            for (int rows : new int[] {1, L - 1, L, L + 1, 3 * L + 5}) {
                for (int kind = 0; kind < 4; kind++) {
                    float[] a = new float[5 + rows * c];
                    for (int i = 0; i < a.length; i++)
                        a[i] = (float) (r.nextGaussian() * (kind == 1 ? 40 : 3) + (kind == 2 ? 1e4 : 0));
                    if (kind == 3) // specials in some rows, and an all -inf row
                    for (int k = 0; k < rows; k += 2)
                            a[5 + k * c + r.nextInt(c)] = SPECIALS[r.nextInt(SPECIALS.length)];
                    if (kind == 3 && rows > 2) java.util.Arrays.fill(a, 5 + 2 * c, 5 + 3 * c, Float.NEGATIVE_INFINITY);
                    float[] vMax = new float[rows],
                            vLogS = new float[rows],
                            tMax = new float[rows],
                            tLogS = new float[rows];
                    math.manyRowStatsVector(a, 5, rows, c, vMax, vLogS);
                    VectorTwin.manyRowStats(a, 5, rows, c, tMax, tLogS);
                    for (int k = 0; k < rows; k++) {
                        String what = c + " classes, " + rows + " rows, kind " + kind + ", row " + k;
                        assertSameBits(vMax[k], tMax[k], what + ": max");
                        assertSameBits(vLogS[k], tLogS[k], what + ": log of the sum");
                    }
                    cases++;
                }
            }
        }
        assertTrue(cases > 300, "cases: " + cases);
    }

    @Test
    void expLogAndLaneSumHaveTheVectorBits() {
        int L = VectorRowMath.LANES;
        SplittableRandom r = new SplittableRandom(22);
        float[] v = new float[L], out = new float[L];
        for (int round = 0; round < 20000; round++) {
            for (int l = 0; l < L; l++)
                v[l] = switch (round % 4) {
                    case 0 -> (float) (r.nextDouble() * 160 - 70); // gaps across [-60, 87] and past it
                    case 1 -> SPECIALS[r.nextInt(SPECIALS.length)];
                    case 2 -> Float.intBitsToFloat(r.nextInt()); // any bits
                    default -> (float) (r.nextDouble() * 1e6);
                };
            FloatVector x = FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, v, 0);
            VectorRowMath.expOfNegated(x).intoArray(out, 0);
            for (int l = 0; l < L; l++) assertSameBits(out[l], VectorTwin.expOfNegated(v[l]), "exp(-" + v[l] + ")");
            VectorRowMath.logOfPositive(x).intoArray(out, 0);
            for (int l = 0; l < L; l++) {
                if (!(v[l] > 0) && !Float.isNaN(v[l])) continue; // defined for positive normal floats and NaN
                assertSameBits(out[l], VectorTwin.logOfPositive(v[l]), "log(" + v[l] + ")");
            }
            assertSameBits(VectorRowMath.sumLanes(x), VectorTwin.sumLanes(v), "lane sum of " + round);
        }
    }

    @Test
    void theWarmUpHandsOverToTheVectorLoops() throws InterruptedException {
        assertTrue(
                VectorWarmup.awaitShortRows(120, TimeUnit.SECONDS),
                "the vector loops never beat their scalar twin within 120 s");
        assertTrue(VectorWarmup.shortRowsReady());
    }

    private static void assertSameBits(float want, float got, String what) {
        if (Float.isNaN(want)) assertTrue(Float.isNaN(got), what + ": want NaN, got " + got);
        else
            assertEquals(
                    Float.floatToRawIntBits(want), Float.floatToRawIntBits(got), what + ": " + want + " vs " + got);
    }
}
