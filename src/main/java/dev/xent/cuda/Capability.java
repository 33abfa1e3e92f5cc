package dev.xent.cuda;

import dev.xent.DType;
import dev.xent.LossKind;
import dev.xent.LossProblem;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * What a request to {@link CudaBackend} can need. {@link #ON_CUDA} declares which of them have CUDA kernels; a request
 * that needs anything else runs on the CPU path, and each missing thing is logged once per backend.
 */
public enum Capability {
    /** cross_entropy of logits. */
    CROSS_ENTROPY("cross_entropy"),
    /** nll_loss of log-probabilities. */
    NLL("nll_loss"),
    /** float32 input. */
    FLOAT32("float32 input"),
    /** float16 input. */
    FLOAT16("float16 input"),
    /** bfloat16 input. */
    BFLOAT16("bfloat16 input"),
    /** float64 input. */
    FLOAT64("float64 input"),
    /** The gradient with respect to the input, with nothing else besides the loss. */
    GRADIENT("gradient"),
    /** Top-k accuracy. */
    ACCURACY("accuracy"),
    /** Predicted classes. */
    PREDICTIONS("predictions"),
    /** Per-row log-sum-exp and entropy ({@link dev.xent.Outputs#rowStatistics()}). */
    ROW_STATISTICS("log-sum-exp and entropy"),
    /** The z-loss term. */
    Z_LOSS("z-loss"),
    /** Logit soft-capping. */
    SOFTCAP("softcap"),
    /** softmax and log_softmax. */
    SOFTMAX("softmax"),
    /** binary_cross_entropy_with_logits. */
    BCE("binary_cross_entropy_with_logits"),
    /** kl_div. */
    KL_DIV("kl_div"),
    /** The kd and jsd divergences. */
    KD_JSD("kd and jsd");

    /** What has a CUDA kernel. */
    public static final Set<Capability> ON_CUDA =
            Collections.unmodifiableSet(EnumSet.of(CROSS_ENTROPY, NLL, FLOAT32, FLOAT16, BFLOAT16, GRADIENT, SOFTMAX));

    private final String label;

    Capability(String label) {
        this.label = label;
    }

    /** {@return its name in log lines and in {@code xent info}} */
    public String label() {
        return label;
    }

    /** {@return the input dtype's capability, or null for a dtype no loss takes (the kernels then say so)} */
    static Capability of(DType d) {
        switch (d) {
            case F32:
                return FLOAT32;
            case F16:
                return FLOAT16;
            case BF16:
                return BFLOAT16;
            case F64:
                return FLOAT64;
            default:
                return null;
        }
    }

    /** {@return what the host request {@code p} needs} */
    static Set<Capability> needs(LossProblem p) {
        Set<Capability> n = EnumSet.of(p.kind() == LossKind.NLL ? NLL : CROSS_ENTROPY);
        Capability d = of(p.input().dtype());
        if (d != null) n.add(d);
        if (p.outputs().gradient()) n.add(GRADIENT);
        if (p.outputs().accuracy()) n.add(ACCURACY);
        if (p.outputs().predictions()) n.add(PREDICTIONS);
        if (p.outputs().rowStatistics()) n.add(ROW_STATISTICS);
        if (p.spec().zLossScale() != 0) n.add(Z_LOSS);
        if (p.spec().softcap() != 0) n.add(SOFTCAP);
        return n;
    }

    /** {@return true when every one of {@code cs} has a CUDA kernel} */
    static boolean onCuda(Capability... cs) {
        for (Capability c : cs) if (!ON_CUDA.contains(c)) return false;
        return true;
    }

    /** {@return what of {@code needs} has no CUDA kernel} */
    static Set<Capability> missing(Set<Capability> needs) {
        Set<Capability> m = needs.isEmpty() ? EnumSet.noneOf(Capability.class) : EnumSet.copyOf(needs);
        m.removeAll(ON_CUDA);
        return m;
    }
}
