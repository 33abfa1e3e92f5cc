package dev.xent.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The exact sum against BigDecimal, in any order and any split, and IEEE's special values. */
class ExactSumTest {
    private static final long SEED = Long.getLong("xent.test.seed", System.nanoTime());

    /** The true sum rounded once to the nearest double (BigDecimal is exact; its doubleValue rounds correctly). */
    private static double exact(List<Double> xs) {
        BigDecimal s = BigDecimal.ZERO;
        for (double x : xs) s = s.add(new BigDecimal(x), MathContext.UNLIMITED);
        return s.doubleValue();
    }

    private static double wild(Random r) {
        switch (r.nextInt(6)) {
            case 0:
                return r.nextGaussian();
            case 1:
                return r.nextGaussian() * Math.pow(2, r.nextInt(2000) - 1000); // any exponent
            case 2:
                return Double.longBitsToDouble(r.nextLong() & 0x000fffffffffffffL); // subnormals
            case 3:
                return (r.nextBoolean() ? 1 : -1) * Double.MAX_VALUE * r.nextDouble();
            case 4:
                return (float) (r.nextGaussian() * 1e30);
            default:
                return r.nextBoolean() ? 1e16 : -1e16; // cancellation
        }
    }

    @Test
    void matchesTheCorrectlyRoundedSumInAnyOrderAndSplit() {
        Random r = new Random(SEED);
        for (int trial = 0; trial < 300; trial++) {
            int n = 1 + r.nextInt(trial < 50 ? 5 : 400);
            List<Double> xs = new ArrayList<>();
            for (int i = 0; i < n; i++) xs.add(wild(r));
            // keep the total finite: drop addends until the running exact sum stays within range
            double want = exact(xs);
            if (Double.isInfinite(want)) continue;
            ExactSum a = new ExactSum();
            for (double x : xs) a.add(x);
            assertEquals(want, a.value(), "seed " + SEED + " trial " + trial);
            Collections.shuffle(xs, r);
            ExactSum b = new ExactSum(), part = new ExactSum();
            for (int i = 0; i < xs.size(); i++) {
                part.add(xs.get(i));
                if (r.nextInt(7) == 0) {
                    b.add(part);
                    part = new ExactSum();
                }
            }
            b.add(part);
            assertEquals(
                    Double.doubleToRawLongBits(want == 0 ? 0.0 : want),
                    Double.doubleToRawLongBits(b.value() == 0 ? 0.0 : b.value()),
                    "shuffled and merged, seed " + SEED + " trial " + trial);
        }
    }

    @Test
    void floatsAndDoublesMixExactly() {
        Random r = new Random(SEED + 1);
        List<Double> xs = new ArrayList<>();
        ExactSum s = new ExactSum();
        for (int i = 0; i < 5000; i++) {
            float f = (float) (r.nextGaussian() * Math.pow(2, r.nextInt(200) - 100));
            double d = r.nextGaussian() * Math.pow(2, r.nextInt(200) - 100);
            s.add(f);
            s.add(d);
            xs.add((double) f);
            xs.add(d);
        }
        s.add(Float.MIN_VALUE);
        xs.add((double) Float.MIN_VALUE);
        assertEquals(exact(xs), s.value());
    }

    @Test
    void roundsHalfToEvenAtTheLastBit() {
        ExactSum s = new ExactSum();
        s.add(1.0);
        s.add(Math.ulp(1.0) / 2); // exactly half an ulp: ties to even, stays 1
        assertEquals(1.0, s.value());
        s.add(Math.ulp(1.0) / 4); // now above half: rounds up
        assertEquals(1.0 + Math.ulp(1.0), s.value());
        ExactSum t = new ExactSum();
        t.add(1e308);
        t.add(1e308);
        assertEquals(Double.POSITIVE_INFINITY, t.value(), "overflow of the true sum");
        t.add(-1e308);
        assertEquals(1e308, t.value(), "but an exact sum that comes back into range is exact");
    }

    @Test
    void subtractIsExact() {
        ExactSum a = new ExactSum(), b = new ExactSum();
        a.add(1e20);
        a.add(3.0);
        b.add(1e20);
        a.subtract(b);
        assertEquals(3.0, a.value());
    }

    @Test
    void nanAndInfinitiesAsIeeeAddition() {
        ExactSum s = new ExactSum();
        s.add(1.0);
        s.add(Double.POSITIVE_INFINITY);
        assertEquals(Double.POSITIVE_INFINITY, s.value());
        s.add(Float.NEGATIVE_INFINITY);
        assertEquals(Double.NaN, s.value());
        ExactSum n = new ExactSum();
        n.add(Float.NaN);
        assertEquals(Double.NaN, n.value());
        assertEquals(1, n.nanCount());
        assertEquals(0.0, new ExactSum().value());
    }
}
