package dev.xent;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The one tolerance rule of the test suite: |actual - expected| <= atol + rtol * |expected|, with (rtol, atol) set by
 * the precision of the values under test. NaN matches only NaN; infinities match only themselves.
 */
public final class Tolerance {
    private Tolerance() {}

    /** (rtol, atol) for results computed or stored in {@code t}. */
    static double[] of(DType t) {
        switch (t) {
            case F64:
                return new double[] {1e-10, 1e-12};
            case F16:
                return new double[] {1e-3, 1e-6}; // float16 outputs: 2^-11 relative rounding, plus float32 arithmetic
            case BF16:
                return new double[] {8e-3, 1e-6}; // bfloat16 outputs: 2^-8 relative rounding
            default:
                return new double[] {2e-5, 2e-5}; // float32 arithmetic (float32, float16 and bfloat16 inputs)
        }
    }

    public static boolean close(double expected, double actual, DType t) {
        if (Double.isNaN(expected) || Double.isNaN(actual)) return Double.isNaN(expected) && Double.isNaN(actual);
        if (Double.isInfinite(expected) || Double.isInfinite(actual)) return expected == actual;
        double[] r = of(t);
        return Math.abs(actual - expected) <= r[1] + r[0] * Math.abs(expected);
    }

    public static void assertClose(String what, double expected, double actual, DType t) {
        if (!close(expected, actual, t))
            fail(what + ": expected " + expected + ", got " + actual + " (" + t.label() + " tolerance)");
    }

    public static void assertAllClose(String what, double[] expected, double[] actual, DType t) {
        if (expected.length != actual.length)
            fail(what + ": expected " + expected.length + " values, got " + actual.length);
        for (int i = 0; i < expected.length; i++) {
            if (!close(expected[i], actual[i], t)) {
                fail(what + "[" + i + "]: expected " + expected[i] + ", got " + actual[i] + " (" + t.label()
                        + " tolerance; " + expected.length + " values)");
            }
        }
    }
}
