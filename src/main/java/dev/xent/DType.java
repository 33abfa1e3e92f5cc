package dev.xent;

/** Element types xent reads and writes. Floating types hold logits, probabilities and weights; integer types hold class indices. */
public enum DType {
    /** IEEE binary16 (NumPy's float16): 5 exponent bits, 10 fraction bits. */
    F16(2, true, "float16"),
    /** bfloat16: float32's 8 exponent bits, 7 fraction bits (NumPy has no such type). */
    BF16(2, true, "bfloat16"),
    /** IEEE binary32. */
    F32(4, true, "float32"),
    /** IEEE binary64. */
    F64(8, true, "float64"),
    /** 32-bit two's complement integer (also how bool data is read: 0 and 1). */
    I32(4, false, "int32"),
    /** 64-bit two's complement integer: PyTorch's class-index type. */
    I64(8, false, "int64");

    private final int byteSize;
    private final boolean floating;
    private final String label;

    DType(int byteSize, boolean floating, String label) {
        this.byteSize = byteSize;
        this.floating = floating;
        this.label = label;
    }

    /** {@return bytes per element: 2, 4 or 8} */
    public int byteSize() {
        return byteSize;
    }

    /** {@return true for the floating types (F16, BF16, F32, F64), false for the integer ones} */
    public boolean isFloating() {
        return floating;
    }

    /** {@return the NumPy-style name, e.g. {@code float32}} */
    public String label() {
        return label;
    }

    /** {@return the type arithmetic runs in for inputs of this type: float64 for float64, float32 otherwise} */
    public DType computeType() {
        return this == F64 ? F64 : F32;
    }
}
