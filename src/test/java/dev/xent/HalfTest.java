package dev.xent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HalfTest {
    @Test
    void everyFloat16RoundTrips() {
        for (int h = 0; h < 1 << 16; h++) {
            float f = Half.toFloat((short) h);
            if (Float.isNaN(f)) assertTrue(Float.isNaN(Half.toFloat(Half.fromFloat(f))));
            else assertEquals((short) h, Half.fromFloat(f), "bits " + Integer.toHexString(h));
        }
    }

    @Test
    void float16RoundsToNearestEven() {
        // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties go to the even significand (1.0)
        assertEquals(0x3c00, Half.fromFloat(1f + 0x1p-11f) & 0xffff);
        assertEquals(0x3c02, Half.fromFloat(1f + 3 * 0x1p-11f) & 0xffff);
        assertEquals(0x7c00, Half.fromFloat(65520f) & 0xffff); // rounds up to infinity
        assertEquals(0x7bff, Half.fromFloat(65519f) & 0xffff); // largest finite
        assertEquals(0x0001, Half.fromFloat(0x1p-24f) & 0xffff); // smallest subnormal
        assertEquals(0x0000, Half.fromFloat(0x1p-25f) & 0xffff); // halfway to it: ties to even (0)
        assertEquals(0x0001, Half.fromFloat(0x1.8p-25f) & 0xffff);
        assertEquals(0x8000, Half.fromFloat(-0f) & 0xffff);
    }

    @Test
    void float16MidpointsMatchDoubleRounding() {
        // for every pair of neighbouring float16 values, a float just above/below their midpoint rounds to the nearer
        for (int h = 0; h < 0x7bff; h++) {
            float a = Half.toFloat((short) h), b = Half.toFloat((short) (h + 1));
            float mid = (float) (((double) a + b) / 2);
            assertEquals((short) h, Half.fromFloat(Math.nextDown(mid)));
            assertEquals((short) (h + 1), Half.fromFloat(Math.nextUp(mid)));
        }
    }

    @Test
    void bfloat16() {
        for (int h = 0; h < 1 << 16; h++) {
            float f = Half.bf16ToFloat((short) h);
            if (!Float.isNaN(f)) assertEquals((short) h, Half.bf16FromFloat(f));
        }
        assertEquals(0x3f80, Half.bf16FromFloat(1f + 0x1p-8f) & 0xffff); // tie to even
        assertEquals(0x3f82, Half.bf16FromFloat(1f + 3 * 0x1p-8f) & 0xffff);
        assertTrue(Float.isNaN(Half.bf16ToFloat(Half.bf16FromFloat(Float.NaN))));
    }
}
