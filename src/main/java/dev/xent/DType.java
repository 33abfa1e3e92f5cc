package dev.xent;

/** Element types xent reads and writes. Floating types hold logits, probabilities and weights; integer types hold class indices. */
public enum DType {
    F16(2, true, "float16"),
    BF16(2, true, "bfloat16"),
    F32(4, true, "float32"),
    F64(8, true, "float64"),
    I32(4, false, "int32"),
    I64(8, false, "int64");

    private final int byteSize;
    private final boolean floating;
    private final String label;

    DType(int byteSize, boolean floating, String label) {
        this.byteSize = byteSize;
        this.floating = floating;
        this.label = label;
    }

    public int byteSize() { return byteSize; }

    public boolean isFloating() { return floating; }

    /** The NumPy-style name, e.g. {@code float32}. */
    public String label() { return label; }

    /** The type arithmetic runs in for inputs of this type: float64 for float64, float32 otherwise. */
    public DType computeType() { return this == F64 ? F64 : F32; }
}
