package dev.xent.cli;

import dev.xent.InvalidInputException;
import dev.xent.LossSpec;
import dev.xent.Outputs;
import dev.xent.Reduction;
import picocli.CommandLine.Option;

/**
 * The options of a cross-entropy or NLL loss and its metrics that {@code xent eval} and {@code xent-spark} share (hence
 * public): {@code --ignore-index}, {@code --label-smoothing}, {@code --accuracy}, {@code --topk}, {@code --z-loss} and
 * {@code --softcap}, with one description, one default and one message for a bad value. A command mixes it in, calls
 * {@link #check()} before it reads any input, and builds its request from {@link #spec(Reduction)} and
 * {@link #outputs()}.
 */
public final class CrossEntropyOptions {
    @Option(
            names = "--ignore-index",
            paramLabel = "N",
            defaultValue = "-100",
            description = "Target value to ignore (default: ${DEFAULT-VALUE}).")
    long ignoreIndex;

    @Option(
            names = "--label-smoothing",
            paramLabel = "E",
            defaultValue = "0",
            description = "Label smoothing in [0, 1] (default: ${DEFAULT-VALUE}).")
    double labelSmoothing;

    @Option(names = "--accuracy", description = "Report top-1 accuracy over non-ignored targets.")
    boolean accuracy;

    @Option(
            names = "--topk",
            paramLabel = "K",
            description = "Report top-K accuracy too (K >= 1; ties: lower class index first).")
    Integer topK;

    @Option(
            names = "--z-loss",
            paramLabel = "S",
            defaultValue = "0",
            description = "Add S * lse^2 per non-ignored row (Liger-Kernel's lse_square_scale; S >= 0).")
    double zLoss;

    @Option(
            names = "--softcap",
            paramLabel = "C",
            defaultValue = "0",
            description = "Cap logits as C * tanh(x / C) before the softmax (C > 0; 0: off).")
    double softcap;

    /** For picocli, which fills the options in. */
    public CrossEntropyOptions() {}

    /**
     * Refuses a value out of range, naming the option: picocli has checked only that each parses. The commands report
     * the exception as bad input (exit 2, one line).
     *
     * @throws InvalidInputException for a top-k below 1, a label smoothing outside [0, 1], a negative or infinite
     *     z-loss scale, a negative or infinite softcap
     */
    public void check() {
        if (topK != null && topK < 1) throw new InvalidInputException("--topk must be at least 1, got " + topK);
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
            throw new InvalidInputException("--label-smoothing must be in [0, 1], got " + labelSmoothing);
        if (!(zLoss >= 0) || Double.isInfinite(zLoss))
            throw new InvalidInputException("--z-loss must be a finite number >= 0, got " + zLoss);
        if (!(softcap >= 0) || Double.isInfinite(softcap))
            throw new InvalidInputException("--softcap must be a finite number > 0 (or 0: off), got " + softcap);
    }

    /**
     * {@return a loss specification with these options and {@code reduction}; the caller may add class weights}
     *
     * @param reduction the reduction
     */
    public LossSpec.Builder spec(Reduction reduction) {
        return LossSpec.builder()
                .reduction(reduction)
                .ignoreIndex(ignoreIndex)
                .labelSmoothing(labelSmoothing)
                .zLossScale(zLoss)
                .softcap(softcap);
    }

    /** {@return the outputs these options ask for (accuracy, top-k); the caller may ask for more} */
    public Outputs.Builder outputs() {
        return Outputs.builder().accuracy(accuracy).topK(topK == null ? 0 : topK);
    }

    /**
     * {@return whether an option only cross-entropy and NLL take is set off its default: any here but {@code
     * --ignore-index}, which the other losses' class targets take too}
     */
    public boolean usesCrossEntropyOnlyOptions() {
        return labelSmoothing != 0 || zLoss != 0 || softcap != 0 || topK != null || accuracy;
    }

    /** {@return --ignore-index: the target value that is ignored} */
    public long ignoreIndex() {
        return ignoreIndex;
    }

    /** {@return --label-smoothing, in [0, 1] once {@link #check()} has passed} */
    public double labelSmoothing() {
        return labelSmoothing;
    }

    /** {@return whether --accuracy was given (top-1 accuracy is reported also whenever --topk is)} */
    public boolean accuracy() {
        return accuracy;
    }

    /** {@return --topk, or null when not given} */
    public Integer topK() {
        return topK;
    }

    /** {@return --z-loss: the scale S of S * lse^2, 0 for none} */
    public double zLoss() {
        return zLoss;
    }

    /** {@return --softcap: the cap C of C * tanh(x / C), 0 for none} */
    public double softcap() {
        return softcap;
    }
}
