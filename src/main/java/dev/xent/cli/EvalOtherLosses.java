package dev.xent.cli;

import dev.xent.BceSpec;
import dev.xent.BinaryCrossEntropy;
import dev.xent.DType;
import dev.xent.Device;
import dev.xent.Divergence;
import dev.xent.DivergenceResult;
import dev.xent.DivergenceSpec;
import dev.xent.InvalidInputException;
import dev.xent.KlDivergence;
import dev.xent.LossResult;
import dev.xent.Outputs;
import dev.xent.Reduction;
import dev.xent.Tensor;
import dev.xent.Xent;
import dev.xent.io.NpyWriter;
import dev.xent.io.OutputSet;
import dev.xent.stream.BlockStream;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * {@code xent eval}'s losses other than cross-entropy and NLL: bce and kl (elementwise) and the distillation losses kd
 * and jsd, each run and reported from the options of the {@link EvalCommand} given, once that has checked them.
 */
final class EvalOtherLosses {
    private EvalOtherLosses() {}

    static int binaryCrossEntropy(
            EvalCommand c,
            PrintWriter o,
            Reduction red,
            Device dev,
            Tensor x,
            Tensor t,
            Tensor w,
            Tensor pw,
            Tensor go) {
        BceSpec bs = BceSpec.builder().reduction(red).weight(w).posWeight(pw).build();
        BinaryCrossEntropy p = BinaryCrossEntropy.of(
                x,
                t,
                bs,
                Outputs.builder().gradient(c.gradOut != null).gradOutput(go).build());
        long t0 = System.nanoTime();
        LossResult r;
        try (OutputSet files = new OutputSet();
                Xent xent = Xent.open(dev);
                Progress progress = Progress.of(c.quietOption.quiet, x.byteSize(), x.numel(), x.numel())) {
            NpyWriter lossW = c.out == null ? null : files.npy(c.out, x.dtype().computeType(), x.shape());
            NpyWriter gradW = c.gradOut == null
                    ? null
                    : files.npy(c.gradOut, x.dtype() == DType.BF16 ? DType.F32 : x.dtype(), x.shape());
            r = xent.bce(p, EvalCommand.sink(lossW, gradW, null, progress));
            if (c.targetGradOut != null) {
                NpyWriter tw = files.npy(c.targetGradOut, x.dtype().computeType(), t.shape());
                BlockStream.targetGradient(p, EvalCommand.sink(null, tw, null, progress));
            }
            progress.finish();
            files.commit();
        }
        reportElementwise(c, o, "bce", red, r, x, (System.nanoTime() - t0) / 1e9, j -> {});
        return 0;
    }

    /** What an elementwise loss (bce, kl) prints: its lines and, with --json, its JSON, {@code fields} adding the loss's own. */
    private static void reportElementwise(
            EvalCommand c,
            PrintWriter o,
            String kind,
            Reduction red,
            LossResult r,
            Tensor x,
            double seconds,
            java.util.function.Consumer<Json> fields) {
        if (r.isScalar()) o.printf(Locale.ROOT, "loss (%s, %s): %s%n", kind, red.label(), LossReport.fmt(r.value()));
        else
            o.printf(
                    Locale.ROOT,
                    "loss (%s, none): %d per-element values%s%n",
                    kind,
                    x.numel(),
                    c.out == null ? " (write them with --out)" : " written to " + c.out);
        if (c.gradOut != null) o.println("gradient written to " + c.gradOut);
        o.printf(Locale.ROOT, "device: %s, elements: %d, seconds: %.6f%n", r.device(), x.numel(), seconds);
        if (c.jsonOption.json()) {
            Json j = new Json()
                    .put("loss", r.isScalar() ? (Object) r.value() : null)
                    .put("reduction", red.label())
                    .put("device", r.device())
                    .put("loss_kind", kind);
            fields.accept(j);
            o.println(j.put("elements", x.numel())
                    .put("seconds", seconds)
                    .put("logits_dtype", x.dtype().label())
                    .put("out", c.out == null ? null : c.out.toString())
                    .put("grad_out", c.gradOut == null ? null : c.gradOut.toString()));
        }
    }

    static int divergence(
            EvalCommand c,
            PrintWriter o,
            String kind,
            Reduction red,
            Device dev,
            Tensor x,
            Tensor teacherLogits,
            Tensor t,
            Tensor go) {
        DivergenceSpec.Builder b = DivergenceSpec.builder(
                        kind.equals("kd") ? DivergenceSpec.Kind.KD : DivergenceSpec.Kind.JSD)
                .reduction(red)
                .temperature(c.temperature)
                .ignoreIndex(c.ceOptions.ignoreIndex());
        if (kind.equals("jsd")) b.beta(c.beta);
        if (c.alpha != null) {
            if (t == null)
                throw new InvalidInputException("--alpha mixes in cross-entropy with class targets: give --targets");
            b.alpha(c.alpha);
        }
        DivergenceSpec ds = b.build();
        Divergence p = Divergence.of(x, teacherLogits, t, ds, c.gradOut != null).withGradOutput(go);
        long t0 = System.nanoTime();
        DivergenceResult r;
        try (OutputSet files = new OutputSet();
                Xent xent = Xent.open(dev);
                Progress progress = Progress.of(
                        c.quietOption.quiet, x.byteSize() + teacherLogits.byteSize(), x.numel(), p.rows())) {
            p.validRows(); // a bad target is reported before any output file is created
            DType outType = x.dtype() == DType.F64 || teacherLogits.dtype() == DType.F64 ? DType.F64 : DType.F32;
            NpyWriter lossW = c.out == null ? null : files.npy(c.out, outType, new long[] {p.rows()});
            NpyWriter gradW = c.gradOut == null ? null : files.npy(c.gradOut, outType, x.shape());
            r = xent.divergence(p, EvalCommand.sink(lossW, gradW, null, progress));
            progress.finish();
            files.commit();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        String what = kind + ", " + red.label();
        if (r.isScalar()) o.printf(Locale.ROOT, "loss (%s): %s%n", what, LossReport.fmt(r.value()));
        else
            o.printf(
                    Locale.ROOT,
                    "loss (%s): %d per-row values%s%n",
                    what,
                    p.rows(),
                    c.out == null ? " (write them with --out)" : " written to " + c.out);
        if (ds.mixesCrossEntropy() && r.isScalar()) {
            o.printf(
                    Locale.ROOT,
                    "parts: %s %s, cross-entropy %s (alpha %s)%n",
                    kind,
                    LossReport.fmt(r.divergence()),
                    LossReport.fmt(r.crossEntropy()),
                    LossReport.fmt(ds.alpha()));
        }
        if (c.gradOut != null) o.println("gradient (with respect to the student's logits) written to " + c.gradOut);
        o.printf(
                Locale.ROOT,
                "device: %s, rows: %d, valid rows: %d, classes: %d, seconds: %.6f%n",
                r.device(),
                p.rows(),
                r.validRows(),
                p.classes(),
                seconds);
        if (c.jsonOption.json()) {
            o.println(new Json()
                    .put("loss", r.isScalar() ? (Object) r.value() : null)
                    .put("reduction", red.label())
                    .put("loss_kind", kind)
                    .put(kind, r.isScalar() ? (Object) r.divergence() : null)
                    .put("cross_entropy", ds.mixesCrossEntropy() && r.isScalar() ? (Object) r.crossEntropy() : null)
                    .put("temperature", c.temperature)
                    .put("alpha", c.alpha)
                    .put("beta", kind.equals("jsd") ? (Object) c.beta : null)
                    .put("device", r.device())
                    .put("rows", p.rows())
                    .put("valid_rows", r.validRows())
                    .put("classes", p.classes())
                    .put("divisor", r.divisor())
                    .put("seconds", seconds)
                    .put("logits_dtype", x.dtype().label())
                    .put("teacher_dtype", teacherLogits.dtype().label())
                    .put("out", c.out == null ? null : c.out.toString())
                    .put("grad_out", c.gradOut == null ? null : c.gradOut.toString()));
        }
        return 0;
    }

    static int klDiv(EvalCommand c, PrintWriter o, Reduction red, Device dev, Tensor x, Tensor t, Tensor go) {
        KlDivergence p =
                KlDivergence.of(x, t, red, c.logTarget, c.gradOut != null).withGradOutput(go);
        long t0 = System.nanoTime();
        LossResult r;
        try (OutputSet files = new OutputSet();
                Xent xent = Xent.open(dev);
                Progress progress = Progress.of(c.quietOption.quiet, x.byteSize(), x.numel(), x.numel())) {
            NpyWriter lossW = c.out == null ? null : files.npy(c.out, x.dtype().computeType(), x.shape());
            NpyWriter gradW =
                    c.gradOut == null ? null : files.npy(c.gradOut, x.dtype().computeType(), x.shape());
            r = xent.klDiv(p, EvalCommand.sink(lossW, gradW, null, progress));
            progress.finish();
            files.commit();
        }
        reportElementwise(
                c,
                o,
                "kl",
                red,
                r,
                x,
                (System.nanoTime() - t0) / 1e9,
                j -> j.put("log_target", c.logTarget).put("divisor", p.divisor()));
        return 0;
    }
}
