package dev.xent.spark;

import dev.xent.LossKind;
import dev.xent.LossSpec;
import dev.xent.Outputs;
import dev.xent.Reduction;
import dev.xent.Tensor;
import java.io.Serializable;

/** A loss request's options in a form that travels to executors (LossSpec holds a Tensor, which does not). */
final class LossOptions implements Serializable {
    private static final long serialVersionUID = 1L;

    final LossKind kind;
    final Reduction reduction;
    final long ignoreIndex;
    final float[] weights;
    final double labelSmoothing, zLossScale, softcap;
    final boolean accuracy;
    final int topK;

    LossOptions(LossKind kind, LossSpec spec, Outputs outputs) {
        LossSpec s = spec == null ? LossSpec.DEFAULT : spec;
        Outputs o = outputs == null ? Outputs.LOSS_ONLY : outputs;
        if (o.gradient())
            throw new dev.xent.InvalidInputException("the Spark job computes losses and metrics, not gradients");
        if (o.predictions())
            throw new dev.xent.InvalidInputException(
                    "the Spark job reports accuracy and top-k, not per-row predictions");
        if (o.rowStatistics())
            throw new dev.xent.InvalidInputException(
                    "the Spark job reports accuracy and top-k, not log-sum-exp or entropy");
        this.kind = kind;
        this.reduction = s.reduction();
        this.ignoreIndex = s.ignoreIndex();
        Tensor w = s.weights();
        if (w == null) {
            this.weights = null;
        } else {
            this.weights = new float[Math.toIntExact(w.numel())];
            w.readFloats(0, 1, weights, 0, weights.length);
        }
        this.labelSmoothing = s.labelSmoothing();
        this.zLossScale = s.zLossScale();
        this.softcap = s.softcap();
        this.accuracy = o.accuracy();
        this.topK = o.topK();
    }

    LossSpec spec() {
        LossSpec.Builder b = LossSpec.builder()
                .reduction(reduction)
                .ignoreIndex(ignoreIndex)
                .labelSmoothing(labelSmoothing)
                .zLossScale(zLossScale)
                .softcap(softcap);
        if (weights != null) b.weights(weights);
        return b.build();
    }

    Outputs outputs() {
        return Outputs.builder().accuracy(accuracy).topK(topK).build();
    }
}
