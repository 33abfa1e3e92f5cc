package dev.xent.cli;

import dev.xent.BceSpec;
import dev.xent.DType;
import dev.xent.Device;
import dev.xent.InvalidInputException;
import dev.xent.LossResult;
import dev.xent.LossSpec;
import dev.xent.Outputs;
import dev.xent.Reduction;
import dev.xent.RowLayout;
import dev.xent.Tensor;
import dev.xent.Xent;
import dev.xent.io.Npy;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code xent eval}: the loss of logits in .npy files, as F.cross_entropy / F.nll_loss would compute it. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Cross-entropy (or NLL) of logits against targets, from .npy files. Targets with the logits' shape "
                + "and a float dtype are class probabilities; integer targets are class indices.")
final class EvalCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--logits", required = true, paramLabel = "L.npy", description = "Logits (C), (N, C) or (N, C, d1..dk); float16/32/64.")
    Path logits;

    @Option(names = "--targets", required = true, paramLabel = "T.npy", description = "Class indices (int) or probabilities (float, the logits' shape).")
    Path targets;

    @Option(names = "--weights", paramLabel = "W.npy", description = "Class weights, shape (C).")
    Path weights;

    @Option(names = "--reduction", defaultValue = "mean", description = "none, sum or mean (default: ${DEFAULT-VALUE}).")
    String reduction;

    @Option(names = "--ignore-index", defaultValue = "-100", description = "Target value to ignore (default: ${DEFAULT-VALUE}).")
    long ignoreIndex;

    @Option(names = "--label-smoothing", defaultValue = "0", description = "Label smoothing in [0, 1] (default: ${DEFAULT-VALUE}).")
    double labelSmoothing;

    @Option(names = "--loss", defaultValue = "ce",
            description = "ce (logits in), nll (log-probabilities in) or bce (binary cross-entropy with logits: targets of the logits' shape, --weights broadcast, --pos-weight); default: ${DEFAULT-VALUE}.")
    String loss;

    @Option(names = "--pos-weight", paramLabel = "PW.npy", description = "bce only: weight of positive examples, broadcast from the last axis (e.g. shape (C)).")
    Path posWeight;

    @Option(names = "--device", defaultValue = "auto", description = "auto, cpu, cuda or reference (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--out", paramLabel = "FILE.npy", description = "Write per-element losses (the target's shape; float32, float64 for float64 logits).")
    Path out;

    @Option(names = "--json", description = "Print one JSON object as the last line of stdout.")
    boolean json;

    @Option(names = "--grad-out", paramLabel = "FILE.npy",
            description = "Write the gradient of the reduced loss (of the sum for 'none') with respect to the logits: their shape; float16/32/64 as the logits (bfloat16 as float32).")
    Path gradOut;

    @Option(names = "--pred-out", paramLabel = "FILE.npy", description = "Write the predicted classes (argmax, first maximum on ties), int64, the target's shape.")
    Path predOut;

    @Option(names = "--accuracy", description = "Report top-1 accuracy over non-ignored targets.")
    boolean accuracy;

    @Option(names = "--topk", paramLabel = "K", defaultValue = "0", description = "Report top-K accuracy too (ties: lower class index first).")
    int topK;

    @Option(names = "--z-loss", paramLabel = "S", defaultValue = "0", description = "Add S * lse^2 per non-ignored row (Liger-Kernel's lse_square_scale).")
    double zLoss;

    @Option(names = "--softcap", paramLabel = "C", defaultValue = "0", description = "Cap logits as C * tanh(x / C) before the softmax (0: off).")
    double softcap;

    @Override public Integer call() {
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Reduction red = Reduction.parse(reduction);
        boolean nll;
        switch (loss.toLowerCase(Locale.ROOT)) {
            case "ce": nll = false; break;
            case "nll": nll = true; break;
            case "bce": return binaryCrossEntropy(o, red);
            default: throw new InvalidInputException("--loss must be ce, nll or bce, not '" + loss + "'");
        }
        if (posWeight != null) throw new InvalidInputException("--pos-weight belongs to --loss bce");
        Tensor x = Npy.read(logits);
        Tensor t = Npy.read(targets);
        LossSpec.Builder b = LossSpec.builder().reduction(red).ignoreIndex(ignoreIndex).labelSmoothing(labelSmoothing)
                .zLossScale(zLoss).softcap(softcap);
        if (weights != null) b.weights(Npy.read(weights));
        LossSpec ls = b.build();
        if (!nll && looksLikeProbabilities(x)) {
            err.println("xent: warning: every row of the logits lies in [0, 1] and sums to 1: these look like probabilities. "
                    + "cross_entropy applies log_softmax itself; pass the raw logits (or use --loss nll with log-probabilities).");
        }
        Outputs outs = Outputs.builder().gradient(gradOut != null).accuracy(accuracy).topK(topK).predictions(predOut != null).build();
        long t0 = System.nanoTime();
        LossResult r;
        try (Xent xent = Xent.open(Device.parse(device))) {
            r = nll ? xent.nllLoss(x, t, ls, outs) : xent.crossEntropy(x, t, ls, outs);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (out != null) Npy.write(out, r.perElement());
        if (gradOut != null) Npy.write(gradOut, r.gradient().dtype() == DType.BF16 ? r.gradient().to(DType.F32) : r.gradient());
        if (predOut != null) Npy.write(predOut, r.predictions());
        double perplexity = red == Reduction.MEAN ? Math.exp(r.value()) : Double.NaN;
        long rows = r.perElement().numel();
        long classes = x.rank() == 1 ? x.dim(0) : x.dim(1);
        if (r.isScalar()) o.printf(Locale.ROOT, "loss (%s): %s%n", red.label(), fmt(r.value()));
        else o.printf(Locale.ROOT, "loss (none): %d per-element values%s%n", rows, out == null ? " (write them with --out)" : " written to " + out);
        if (red == Reduction.MEAN) o.printf(Locale.ROOT, "perplexity: %s%n", fmt(perplexity));
        if (zLoss > 0 && r.isScalar()) o.printf(Locale.ROOT, "z-loss part (%s): %s%n", red.label(), fmt(r.zLoss()));
        if (outs.accuracy()) o.printf(Locale.ROOT, "accuracy: %s%s%n", fmt(r.accuracy()),
                topK > 0 ? String.format(Locale.ROOT, ", top-%d accuracy: %s", topK, fmt(r.topkAccuracy())) : "");
        if (gradOut != null) o.println("gradient written to " + gradOut);
        if (predOut != null) o.println("predictions written to " + predOut);
        o.printf(Locale.ROOT, "device: %s, rows: %d, classes: %d, seconds: %.6f%n", r.device(), rows, classes, seconds);
        if (json) {
            o.println(new Json().put("loss", r.isScalar() ? (Object) r.value() : null).put("reduction", red.label())
                    .put("device", r.device()).put("rows", rows).put("classes", classes).put("seconds", seconds)
                    .put("weight_sum", r.weightSum()).put("loss_kind", nll ? "nll" : "ce")
                    .put("logits_dtype", x.dtype().label()).put("out", out == null ? null : out.toString())
                    .put("perplexity", red == Reduction.MEAN ? (Object) perplexity : null)
                    .put("accuracy", outs.accuracy() ? (Object) r.accuracy() : null)
                    .put("topk", topK > 0 ? (Object) topK : null).put("topk_accuracy", topK > 0 ? (Object) r.topkAccuracy() : null)
                    .put("z_loss", zLoss > 0 && r.isScalar() ? (Object) r.zLoss() : null)
                    .put("grad_out", gradOut == null ? null : gradOut.toString()).put("pred_out", predOut == null ? null : predOut.toString()));
        }
        return 0;
    }

    private int binaryCrossEntropy(PrintWriter o, Reduction red) {
        if (labelSmoothing != 0 || zLoss != 0 || softcap != 0 || topK != 0 || accuracy || predOut != null) {
            throw new InvalidInputException("--loss bce takes --weights, --pos-weight, --reduction, --grad-out and --out only");
        }
        Tensor x = Npy.read(logits);
        Tensor t = Npy.read(targets);
        BceSpec spec = BceSpec.builder().reduction(red).weight(weights == null ? null : Npy.read(weights))
                .posWeight(posWeight == null ? null : Npy.read(posWeight)).build();
        long t0 = System.nanoTime();
        LossResult r;
        try (Xent xent = Xent.open(Device.parse(device))) {
            r = xent.bceWithLogits(x, t, spec, Outputs.builder().gradient(gradOut != null).build());
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (out != null) Npy.write(out, r.perElement());
        if (gradOut != null) Npy.write(gradOut, r.gradient().dtype() == DType.BF16 ? r.gradient().to(DType.F32) : r.gradient());
        if (r.isScalar()) o.printf(Locale.ROOT, "loss (bce, %s): %s%n", red.label(), fmt(r.value()));
        else o.printf(Locale.ROOT, "loss (bce, none): %d per-element values%s%n", x.numel(), out == null ? " (write them with --out)" : " written to " + out);
        o.printf(Locale.ROOT, "device: %s, elements: %d, seconds: %.6f%n", r.device(), x.numel(), seconds);
        if (json) {
            o.println(new Json().put("loss", r.isScalar() ? (Object) r.value() : null).put("reduction", red.label()).put("device", r.device())
                    .put("loss_kind", "bce").put("elements", x.numel()).put("seconds", seconds).put("logits_dtype", x.dtype().label())
                    .put("out", out == null ? null : out.toString()).put("grad_out", gradOut == null ? null : gradOut.toString()));
        }
        return 0;
    }

    private static String fmt(double v) { return Double.isNaN(v) ? "NaN" : Double.toString(v); }

    /** True when every one of the first 4096 rows lies in [0, 1] and sums to 1 within 1e-3 (the softmax-twice mistake). */
    static boolean looksLikeProbabilities(Tensor x) {
        if (x.numel() == 0 || x.rank() == 0) return false;
        RowLayout rl = RowLayout.along(x.shape(), x.rank() == 1 ? 0 : 1); // the class axis, as the loss sees it
        if (rl.classes < 2) return false;
        long checkRows = Math.min(rl.rows(), 4096);
        for (long r = 0; r < checkRows; r++) {
            long start = rl.rowStart(r);
            double sum = 0;
            for (int k = 0; k < rl.classes; k++) {
                double v = x.getDouble(start + k * rl.inner);
                if (!(v >= 0 && v <= 1)) return false;
                sum += v;
            }
            if (Math.abs(sum - 1) > 1e-3) return false;
        }
        return true;
    }
}
