package dev.xent;

/** Which loss a {@link LossProblem} computes. */
public enum LossKind {
    /** {@code F.cross_entropy}: input holds logits. */
    CROSS_ENTROPY,
    /** {@code F.nll_loss}: input already holds log-probabilities. */
    NLL
}
