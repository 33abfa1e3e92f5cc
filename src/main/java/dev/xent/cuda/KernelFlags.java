package dev.xent.cuda;

import dev.xent.DType;
import dev.xent.InvalidInputException;
import dev.xent.LossKind;
import dev.xent.LossProblem;

/** The flags word of the kernel ABI (cuda/README.md): its bits, and the word for a problem. */
final class KernelFlags {
    static final int F_DTYPE_F16 = 1,
            F_DTYPE_BF16 = 2,
            F_TARGET_I64 = 1 << 2,
            F_PROB = 1 << 3,
            F_NLL = 1 << 4,
            F_GAP = 1 << 5,
            F_WEIGHTS = 1 << 6,
            F_LOG_OUTPUT = 1 << 7,
            F_VEC16 = 1 << 8,
            F_MEAN = 1 << 10;

    private KernelFlags() {}

    static int dtypeFlag(DType d) {
        switch (d) {
            case F32:
                return 0;
            case F16:
                return F_DTYPE_F16;
            case BF16:
                return F_DTYPE_BF16;
            default:
                throw new InvalidInputException(
                        "the CUDA kernels take float32, float16 or bfloat16 input, got " + d.label());
        }
    }

    /** The flags word of the kernel ABI for a problem (cuda/README.md). */
    static int flags(LossProblem p, DType inputType, DType targetType, Plan plan) {
        int flags = dtypeFlag(inputType);
        if (p.probabilityTarget()) flags |= F_PROB | F_GAP;
        else if (targetType == DType.I64) flags |= F_TARGET_I64;
        if (p.kind() == LossKind.NLL) flags |= F_NLL;
        if (p.spec().labelSmoothing() > 0) flags |= F_GAP;
        if (p.weights() != null) flags |= F_WEIGHTS;
        // 16-byte loads when rows are contiguous, only (max, sum) is accumulated, and a group has a lane for each
        // of the up to 7 head and 7 tail classes outside the whole vectors
        if (p.inner() == 1 && (flags & F_GAP) == 0 && plan.group() >= 8) flags |= F_VEC16;
        return flags;
    }
}
