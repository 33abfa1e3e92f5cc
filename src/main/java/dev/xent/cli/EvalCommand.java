// Over 400 lines: some 155 declare the 19 options eval alone takes (10 more come from mixins), and the checks of how
// they combine belong beside them; the losses other than ce and nll run in EvalOtherLosses.
package dev.xent.cli;

import dev.xent.DType;
import dev.xent.Device;
import dev.xent.InvalidInputException;
import dev.xent.LossKind;
import dev.xent.LossProblem;
import dev.xent.LossResult;
import dev.xent.LossSpec;
import dev.xent.Outputs;
import dev.xent.Reduction;
import dev.xent.ResultSink;
import dev.xent.RowLayout;
import dev.xent.Tensor;
import dev.xent.Xent;
import dev.xent.io.ArraySource;
import dev.xent.io.NpyWriter;
import dev.xent.io.OutputSet;
import dev.xent.stream.BlockStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code xent eval}: the loss of logits in files, as F.cross_entropy / F.nll_loss / F.binary_cross_entropy_with_logits
 * would compute it. Inputs are memory-mapped and evaluated in row blocks; outputs are written block by block to
 * temporaries and renamed over their targets only when the whole run has succeeded.
 */
@Command(
        name = "eval",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Cross-entropy, NLL or binary cross-entropy of logits against targets, from .npy, .npz or safetensors files "
                    + "of any size (memory-mapped, evaluated in row blocks). Targets with the logits' shape and a float dtype are "
                    + "class probabilities; integer targets are class indices.",
            "Arrays: FILE.npy, FILE.npz or FILE.npz:NAME, FILE.safetensors or FILE.safetensors:NAME. Several files, or a quoted "
                    + "glob ('shards/*.npy', in lexicographic order), are the shards of one array: their row-wise concatenation."
        })
final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @picocli.CommandLine.Mixin
    Verbosity verbosity;

    @Option(
            names = "--logits",
            required = true,
            arity = "1..*",
            paramLabel = "L",
            description =
                    "Logits (C), (N, C) or (N, C, d1..dk); float16/32/64 or bfloat16 (safetensors). Several files or a glob: shards.")
    List<String> logits;

    @Option(
            names = "--targets",
            arity = "1..*",
            paramLabel = "T",
            description =
                    "Class indices (integers) or probabilities (floats, the logits' shape). Shards are matched to the logits' in order. "
                            + "Required except for kd and jsd, where class targets are optional: their ignore_index rows drop out (and --alpha mixes in cross-entropy with them); "
                            + "for kl, the target distribution (the logits' shape).")
    List<String> targets;

    @Option(
            names = "--teacher",
            arity = "1..*",
            paramLabel = "TL",
            description =
                    "kd and jsd: the teacher's logits, the student's (--logits) shape (N, C). Several files or a glob: shards.")
    List<String> teacher;

    @Option(
            names = "--temperature",
            paramLabel = "T",
            defaultValue = "1",
            description =
                    "kd and jsd: both logits are divided by T before their softmax (T > 0; kd multiplies its KL by T^2; default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(
            names = "--alpha",
            paramLabel = "A",
            description = "kd with --targets: loss = A * kd + (1 - A) * cross-entropy(student, targets) (A in [0, 1]).")
    Double alpha;

    @Option(
            names = "--beta",
            paramLabel = "B",
            defaultValue = "0.5",
            description =
                    "jsd: beta * KL(P||M) + (1 - beta) * KL(Q||M), M = beta*P + (1-beta)*Q, P the teacher's, Q the student's; 0: forward KL(P||Q), 1: reverse KL(Q||P) (default: ${DEFAULT-VALUE}).")
    double beta;

    @Option(names = "--log-target", description = "kl: the targets hold log-probabilities (F.kl_div's log_target).")
    boolean logTarget;

    @Option(
            names = "--weights",
            paramLabel = "W",
            description = "Class weights, shape (C); for bce, weights broadcast to the logits.")
    String weights;

    @Option(
            names = "--reduction",
            paramLabel = "R",
            converter = EvalLoss.ReductionConverter.class,
            description =
                    "none, sum or mean (default: mean); kl, kd and jsd also batchmean, the sum over the rows (kl: over axis 0), which is their default.")
    Reduction reduction;

    @Option(
            names = "--loss",
            defaultValue = "ce",
            converter = EvalLoss.Converter.class,
            description =
                    "ce (logits in), nll (log-probabilities in), bce (binary cross-entropy with logits: targets of the logits' shape, --weights broadcast, --pos-weight), "
                            + "kl (F.kl_div: --logits of log-probabilities, --targets of probabilities), kd (T^2 * KL(softmax(teacher/T) || softmax(student/T)), "
                            + "the student in --logits, --teacher; with --targets and --alpha mixed with cross-entropy) or jsd (Liger-Kernel's generalized Jensen-Shannon divergence, --beta); default: ${DEFAULT-VALUE}.")
    EvalLoss loss;

    @picocli.CommandLine.Mixin
    CrossEntropyOptions ceOptions;

    @Option(
            names = "--pos-weight",
            paramLabel = "PW",
            description = "bce only: weight of positive examples, broadcast from the last axis (e.g. shape (C)).")
    String posWeight;

    @picocli.CommandLine.Mixin
    DeviceOption deviceOption;

    @Option(
            names = "--out",
            paramLabel = "FILE.npy",
            converter = OutputPath.class,
            description =
                    "Write per-element losses (float32, float64 for float64 logits): the class-index target's shape, or the logits' shape less the class axis.")
    Path out;

    @Option(
            names = "--grad-out",
            paramLabel = "FILE.npy",
            converter = OutputPath.class,
            description =
                    "Write the gradient of the reduced loss (of the sum for 'none') with respect to the logits: their shape; float16/32/64 as the logits (bfloat16 as float32, holding bfloat16 values).")
    Path gradOut;

    @Option(
            names = "--grad-output",
            paramLabel = "GO",
            description =
                    "With --grad-out: the upstream gradient the gradient is multiplied by, as autograd's grad_output: for 'none' the per-element losses' shape (weights per token; kd and jsd: one per row), else one value.")
    String gradOutput;

    @Option(
            names = "--lse-out",
            paramLabel = "FILE.npy",
            converter = OutputPath.class,
            description =
                    "ce: write each row's log-sum-exp of the logits (as Cut Cross-Entropy returns it), the losses' shape (float32, float64 for float64 logits).")
    Path lseOut;

    @Option(
            names = "--entropy",
            description = "ce: report the mean predictive entropy -sum p log p over rows whose target is not ignored.")
    boolean entropy;

    @Option(
            names = "--entropy-out",
            paramLabel = "FILE.npy",
            converter = OutputPath.class,
            description = "ce: write each row's predictive entropy, the losses' shape (implies --entropy).")
    Path entropyOut;

    @Option(
            names = "--target-grad-out",
            paramLabel = "FILE.npy",
            converter = OutputPath.class,
            description =
                    "ce with probability targets, and bce: write d loss / d targets, the targets' shape (float32, float64 for float64 logits), as autograd gives the targets.")
    Path targetGradOut;

    @Option(
            names = "--pred-out",
            paramLabel = "FILE.npy",
            converter = OutputPath.class,
            description =
                    "Write the predicted classes (argmax, first maximum on ties), int64: the logits' shape less the class axis.")
    Path predOut;

    @picocli.CommandLine.Mixin
    JsonOption jsonOption;

    @picocli.CommandLine.Mixin
    QuietOption quietOption;

    @Override
    public Integer call() {
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Device dev = deviceOption.device;
        String kind = loss.label();
        boolean divergence = kind.equals("kd") || kind.equals("jsd");
        Reduction red = reduction == null
                ? (divergence || kind.equals("kl") ? Reduction.BATCHMEAN : Reduction.MEAN)
                : reduction;
        if (targets == null && !divergence) throw new InvalidInputException("--targets is required for --loss " + kind);
        if (teacher != null && !divergence) throw new InvalidInputException("--teacher belongs to --loss kd and jsd");
        if (divergence && teacher == null)
            throw new InvalidInputException("--loss " + kind + " needs the teacher's logits: --teacher");
        if ((divergence || kind.equals("kl"))
                && (ceOptions.usesCrossEntropyOnlyOptions()
                        || predOut != null
                        || weights != null
                        || posWeight != null)) {
            throw new InvalidInputException("--loss " + kind + " takes --reduction, --out, --grad-out, --grad-output"
                    + (kind.equals("kl")
                            ? " and --log-target"
                            : ", --temperature, --targets, --ignore-index"
                                    + (kind.equals("kd") ? " and --alpha" : " and --beta")));
        }
        if (logTarget && !kind.equals("kl")) throw new InvalidInputException("--log-target belongs to --loss kl");
        if (entropyOut != null) entropy = true;
        if ((lseOut != null || entropy) && !kind.equals("ce"))
            throw new InvalidInputException("--lse-out, --entropy and --entropy-out are for ce (logits in)");
        if (targetGradOut != null && !kind.equals("ce") && !kind.equals("bce"))
            throw new InvalidInputException("--target-grad-out is for ce (with probability targets) and bce");
        if (gradOutput != null && gradOut == null)
            throw new InvalidInputException("--grad-output multiplies the gradient: give --grad-out too");
        if (alpha != null && !kind.equals("kd")) throw new InvalidInputException("--alpha belongs to --loss kd");
        if (!kind.equals("jsd") && spec.commandLine().getParseResult().hasMatchedOption("--beta"))
            throw new InvalidInputException("--beta belongs to --loss jsd");
        if (!divergence && spec.commandLine().getParseResult().hasMatchedOption("--temperature"))
            throw new InvalidInputException("--temperature belongs to --loss kd and jsd");
        ceOptions.check();
        if (kind.equals("bce")) {
            if (ceOptions.usesCrossEntropyOnlyOptions() || predOut != null) {
                throw new InvalidInputException(
                        "--loss bce takes --weights, --pos-weight, --reduction, --grad-out, --grad-output, --target-grad-out and --out only");
            }
        } else if (posWeight != null) {
            throw new InvalidInputException("--pos-weight belongs to --loss bce");
        }

        // every input named, every output checked against them, before anything is read
        List<ArraySource> xs = ArraySource.resolveAll(logits),
                ts = targets == null ? List.of() : ArraySource.resolveAll(targets);
        List<ArraySource> tls = teacher == null ? List.of() : ArraySource.resolveAll(teacher);
        List<ArraySource> ws = weights == null ? List.of() : ArraySource.resolve(weights);
        List<ArraySource> ps = posWeight == null ? List.of() : ArraySource.resolve(posWeight);
        List<ArraySource> gos = gradOutput == null ? List.of() : ArraySource.resolve(gradOutput);
        if (ws.size() > 1 || ps.size() > 1)
            throw new InvalidInputException("--weights and --pos-weight name one array, not shards");
        List<OutputSet.Named> ins = new ArrayList<>(), outs = new ArrayList<>();
        for (ArraySource s : xs) ins.add(new OutputSet.Named("--logits", s.file));
        for (ArraySource s : ts) ins.add(new OutputSet.Named("--targets", s.file));
        for (ArraySource s : tls) ins.add(new OutputSet.Named("--teacher", s.file));
        for (ArraySource s : ws) ins.add(new OutputSet.Named("--weights", s.file));
        for (ArraySource s : ps) ins.add(new OutputSet.Named("--pos-weight", s.file));
        for (ArraySource s : gos) ins.add(new OutputSet.Named("--grad-output", s.file));
        if (out != null) outs.add(new OutputSet.Named("--out", out));
        if (gradOut != null) outs.add(new OutputSet.Named("--grad-out", gradOut));
        if (predOut != null) outs.add(new OutputSet.Named("--pred-out", predOut));
        if (targetGradOut != null) outs.add(new OutputSet.Named("--target-grad-out", targetGradOut));
        if (lseOut != null) outs.add(new OutputSet.Named("--lse-out", lseOut));
        if (entropyOut != null) outs.add(new OutputSet.Named("--entropy-out", entropyOut));
        OutputSet.checkDistinct(ins, outs);

        List<Tensor> xParts = ArraySource.openEach(xs), tParts = ArraySource.openEach(ts);
        checkShardPairs(xs, xParts, ts, tParts);
        Tensor x = ArraySource.concat(xs, xParts);
        Tensor t = ts.isEmpty() ? null : ArraySource.concat(ts, tParts);
        if (divergence) {
            List<Tensor> tlParts = ArraySource.openEach(tls);
            checkShardPairs(xs, xParts, tls, tlParts);
            return EvalOtherLosses.divergence(
                    this,
                    o,
                    kind,
                    red,
                    dev,
                    x,
                    ArraySource.concat(tls, tlParts),
                    t,
                    gos.isEmpty() ? null : ArraySource.openAll(gos));
        }
        if (kind.equals("kl"))
            return EvalOtherLosses.klDiv(this, o, red, dev, x, t, gos.isEmpty() ? null : ArraySource.openAll(gos));
        Tensor w = ws.isEmpty() ? null : ws.get(0).open();
        Tensor go = gos.isEmpty() ? null : ArraySource.openAll(gos);
        if (kind.equals("bce"))
            return EvalOtherLosses.binaryCrossEntropy(
                    this, o, red, dev, x, t, w, ps.isEmpty() ? null : ps.get(0).open(), go);

        boolean nll = kind.equals("nll");
        LossSpec.Builder b = ceOptions.spec(red);
        if (w != null) b.weights(w);
        Outputs want = ceOptions
                .outputs()
                .gradient(gradOut != null)
                .predictions(predOut != null)
                .rowStatistics(lseOut != null || entropy || entropyOut != null)
                .gradOutput(go)
                .build();
        LossProblem p = LossProblem.of(nll ? LossKind.NLL : LossKind.CROSS_ENTROPY, x, t, b.build(), want);
        if (!nll && !quietOption.quiet && looksLikeProbabilities(x)) {
            err.println(
                    "xent: warning: every row of the logits lies in [0, 1] and sums to 1: these look like probabilities. "
                            + "cross_entropy applies log_softmax itself; pass the raw logits (or use --loss nll with log-probabilities).");
        }
        long t0 = System.nanoTime();
        LossResult r;
        double meanEntropy = Double.NaN;
        try (OutputSet files = new OutputSet();
                Xent xent = Xent.open(dev);
                Progress progress = Progress.of(quietOption.quiet, x.byteSize(), x.numel(), p.rows())) {
            p.totals(); // a bad target is reported before any output file is created
            NpyWriter lossW = out == null ? null : files.npy(out, x.dtype().computeType(), p.outputShape());
            NpyWriter gradW = gradOut == null
                    ? null
                    : files.npy(gradOut, x.dtype() == DType.BF16 ? DType.F32 : x.dtype(), x.shape());
            NpyWriter predW = predOut == null ? null : files.npy(predOut, DType.I64, p.outputShape());
            DType st = x.dtype().computeType();
            NpyWriter lseW = lseOut == null ? null : files.npy(lseOut, st, p.outputShape());
            NpyWriter entropyW = entropyOut == null ? null : files.npy(entropyOut, st, p.outputShape());
            // the row statistics come out of the loss's own pass over the logits, block by block
            r = xent.loss(p, sink(lossW, gradW, predW, lseW, entropyW, progress));
            meanEntropy = r.meanEntropy();
            if (targetGradOut != null) {
                if (!p.probabilityTarget())
                    throw new InvalidInputException(
                            "--target-grad-out needs probability targets (class indices have no gradient)");
                NpyWriter tw = files.npy(targetGradOut, x.dtype().computeType(), t.shape());
                BlockStream.targetGradient(p, sink(null, tw, null, progress));
            }
            progress.finish();
            files.commit();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        long rows = p.rows();
        long classes = p.classes();
        LossReport report = new LossReport(r, rows, classes, ceOptions);
        report.printLines(o, "per-element values" + (out == null ? " (write them with --out)" : " written to " + out));
        if (entropy) o.printf(Locale.ROOT, "entropy (mean over non-ignored rows): %s%n", LossReport.fmt(meanEntropy));
        if (gradOut != null) o.println("gradient written to " + gradOut);
        if (predOut != null) o.println("predictions written to " + predOut);
        if (lseOut != null) o.println("log-sum-exp written to " + lseOut);
        if (targetGradOut != null) o.println("target gradient written to " + targetGradOut);
        o.printf(Locale.ROOT, "device: %s, rows: %d, classes: %d, seconds: %.6f%n", r.device(), rows, classes, seconds);
        if (jsonOption.json()) {
            Json j = report.json(seconds, nll ? "nll" : "ce")
                    .put("logits_dtype", x.dtype().label())
                    .put("out", out == null ? null : out.toString());
            o.println(report.putMetrics(j)
                    .put("grad_out", gradOut == null ? null : gradOut.toString())
                    .put("pred_out", predOut == null ? null : predOut.toString())
                    .put("entropy", entropy ? (Object) meanEntropy : null)
                    .put("lse_out", lseOut == null ? null : lseOut.toString())
                    .put("entropy_out", entropyOut == null ? null : entropyOut.toString())
                    .put("target_grad_out", targetGradOut == null ? null : targetGradOut.toString()));
        }
        return 0;
    }

    /** Where each block's outputs go: the writers that were asked for, and the progress bar. */
    static ResultSink sink(NpyWriter lossW, NpyWriter gradW, NpyWriter predW, Progress progress) {
        return sink(lossW, gradW, predW, null, null, progress);
    }

    /** {@link #sink(NpyWriter, NpyWriter, NpyWriter, Progress)}, with each row's log-sum-exp and entropy too. */
    static ResultSink sink(
            NpyWriter lossW, NpyWriter gradW, NpyWriter predW, NpyWriter lseW, NpyWriter entropyW, Progress progress) {
        return new ResultSink() {
            @Override
            public void losses(long firstRow, Tensor values) {
                if (lossW != null) lossW.write(firstRow, values);
            }

            @Override
            public void gradient(long firstElement, Tensor values) {
                if (gradW != null) gradW.write(firstElement, values);
            }

            @Override
            public void predictions(long firstRow, Tensor values) {
                if (predW != null) predW.write(firstRow, values);
            }

            @Override
            public void rowStatistics(long firstRow, Tensor lse, Tensor entropy) {
                if (lseW != null) lseW.write(firstRow, lse);
                if (entropyW != null) entropyW.write(firstRow, entropy);
            }

            @Override
            public void progress(long done, long total) {
                progress.update(done, total);
            }
        };
    }

    /** With as many target shards as logit shards, each pair must agree on axis 0, so a misordered glob is caught. */
    private static void checkShardPairs(
            List<ArraySource> xs, List<Tensor> xParts, List<ArraySource> ts, List<Tensor> tParts) {
        if (xs.size() != ts.size() || xs.size() < 2) return;
        for (int i = 0; i < xs.size(); i++) {
            Tensor a = xParts.get(i), b = tParts.get(i);
            if (a.rank() > 0 && b.rank() > 0 && a.dim(0) != b.dim(0)) {
                throw new InvalidInputException(
                        "shard " + i + ": " + xs.get(i) + " has " + a.dim(0) + " rows along axis 0 but " + ts.get(i)
                                + " has " + b.dim(0) + " (shards are matched in order)");
            }
        }
    }

    /**
     * True when each of the first rows lies in [0, 1] and sums to 1 within 1e-3 (the softmax-twice mistake): at most
     * 256 rows and 2^22 values are read, in pieces, so a row of any length costs little memory.
     */
    static boolean looksLikeProbabilities(Tensor x) {
        if (x.numel() == 0 || x.rank() == 0) return false;
        RowLayout rl = RowLayout.along(x.shape(), x.rank() == 1 ? 0 : 1); // the class axis, as the loss sees it
        if (rl.classes < 2) return false;
        long checkRows = Math.max(1, Math.min(rl.rows(), Math.min(256, (1L << 22) / rl.classes)));
        double[] piece = new double[Math.min(rl.classes, 1 << 16)];
        for (long r = 0; r < checkRows; r++) {
            long start = rl.rowStart(r);
            double sum = 0;
            for (int k = 0; k < rl.classes; k += piece.length) {
                int n = Math.min(piece.length, rl.classes - k);
                x.readDoubles(start + k * rl.inner, rl.inner, piece, 0, n);
                for (int j = 0; j < n; j++) {
                    if (!(piece[j] >= 0 && piece[j] <= 1)) return false;
                    sum += piece[j];
                }
            }
            if (Math.abs(sum - 1) > 1e-3) return false;
        }
        return true;
    }
}
