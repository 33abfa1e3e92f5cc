package dev.xent;

/** IEEE binary16 and bfloat16 conversions (round to nearest even), since Java 17 has neither. */
public final class Half {
    private Half() {}

    private static final float[] F16_TO_F32 = new float[1 << 16];

    static {
        for (int h = 0; h < (1 << 16); h++) F16_TO_F32[h] = slowToFloat((short) h);
    }

    /**
     * binary16 bits to float (exact).
     *
     * @param bits an IEEE binary16 bit pattern
     * @return its value; every binary16 value, subnormals, infinities and NaN included, is a float
     */
    public static float toFloat(short bits) {
        return F16_TO_F32[bits & 0xffff];
    }

    /**
     * bfloat16 bits to float (exact).
     *
     * @param bits a bfloat16 bit pattern: the upper 16 bits of a float
     * @return its value
     */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    private static float slowToFloat(short hbits) {
        int h = hbits & 0xffff;
        int sign = (h >>> 15) << 31;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        if (exp == 0) {
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }

    /**
     * float to binary16 bits, round to nearest even; overflow gives infinity, NaN stays NaN.
     *
     * @param f any float
     * @return the binary16 bit pattern nearest {@code f} (subnormal or zero below binary16's normal range)
     */
    public static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs >= 0x7f800000) return (short) (sign | 0x7c00 | (abs > 0x7f800000 ? 0x200 : 0));
        if (abs >= 0x477ff000) return (short) (sign | 0x7c00); // rounds to >= 65520: infinity
        if (abs < 0x38800000) { // subnormal or zero in binary16
            if (abs < 0x33000000) return (short) sign; // below half the smallest subnormal
            int exp = abs >>> 23;
            int mant = (abs & 0x7fffff) | 0x800000;
            int shift = 126 - exp; // bits to drop from the 24-bit significand to land on units of 2^-24
            int value = mant >>> shift;
            int rem = mant & ((1 << shift) - 1);
            int halfway = 1 << (shift - 1);
            if (rem > halfway || (rem == halfway && (value & 1) != 0)) value++;
            return (short) (sign | value);
        }
        int rounded = abs + 0xfff + ((abs >>> 13) & 1); // round to nearest even at bit 13
        return (short) (sign | ((rounded - 0x38000000) >>> 13));
    }

    /**
     * float to bfloat16 bits, round to nearest even; NaN stays NaN.
     *
     * @param f any float
     * @return the bfloat16 bit pattern nearest {@code f} (a quiet NaN for a NaN)
     */
    public static short bf16FromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) return (short) ((bits >>> 16) | 0x40);
        int rounded = bits + 0x7fff + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }
}
