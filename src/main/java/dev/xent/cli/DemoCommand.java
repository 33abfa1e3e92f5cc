// Over 400 lines: one method per seed notebook, each its worked examples and the values the notebook printed.
package dev.xent.cli;

import dev.xent.LossSpec;
import dev.xent.Reduction;
import dev.xent.Tensor;
import dev.xent.Xent;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

// Over 400 lines: The worked examples of ../shared/seeds, each printed as its seed prints it: data more than logic.
/**
 * {@code xent demo}: every worked example of the seed notebooks (../shared/seeds), computed here, printed beside the
 * value the notebook printed. Inputs are the notebooks' own tensors; where a notebook drew them with an unseeded
 * torch.randn, only its 4-decimal printout exists, so those results carry an input-rounding allowance (stated inline).
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = "Recompute every number the seed notebooks print, beside the notebook's value.")
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @picocli.CommandLine.Mixin
    Verbosity verbosity;

    @picocli.CommandLine.Mixin
    DeviceOption deviceOption;

    /** Inputs printed to 4 decimals shift a loss or probability by at most ~1e-4 (|d loss / d x| summed over a row is at most 2). */
    private static final double PRINTED_INPUT_ALLOWANCE = 1.5e-4;

    private PrintWriter out;
    private Xent xent;
    private int checks, mismatches;

    @Override
    public Integer call() {
        out = spec.commandLine().getOut();
        try (Xent x = Xent.open(deviceOption.device)) {
            xent = x;
            out.println("xent demo on device " + x.deviceName() + ": ours beside each notebook's printed value");
            seed000();
            seed001();
            seed002();
            seed003();
            seed004();
        }
        out.printf(Locale.ROOT, "%ndemo: %d checks, %d match, %d differ%n", checks, checks - mismatches, mismatches);
        return mismatches == 0 ? 0 : 1;
    }

    // ------------------------------------------------------------------------------------------------ notebooks

    private void seed000() {
        header("000", "softmax, log-softmax and cross-entropy of a 3x4 batch");
        Tensor output = f32(3, 4, 3.2, 1.3, 0.2, 0.8, 1.2, 4.1, 3.8, 0.1, 3.3, 2.5, 1.9, 5.9);
        Tensor target = Tensor.of(new long[] {0, 2, 3}, 3);
        Tensor probs = xent.softmax(output, 1);
        table(
                "Softmax(output)",
                probs,
                4,
                0,
                0.7751,
                0.1159,
                0.0386,
                0.0703,
                0.0303,
                0.5512,
                0.4084,
                0.0101,
                0.0660,
                0.0296,
                0.0163,
                0.8881);
        Tensor logProbs = xent.logSoftmax(output, 1);
        table(
                "logSoftmax(output)",
                logProbs,
                4,
                0,
                -0.2547,
                -2.1547,
                -3.2547,
                -2.6547,
                -3.4956,
                -0.5956,
                -0.8956,
                -4.5956,
                -2.7186,
                -3.5186,
                -4.1186,
                -0.1186);
        scalarF32(
                "CrossEntropy(probs, target), the one-hot sum / batch (ours: probability targets)",
                xent.crossEntropy(output, oneHot(target, 4), LossSpec.DEFAULT).value(),
                0.42298611998558044);
        scalar(
                "nn.CrossEntropyLoss()(output, target)",
                xent.crossEntropy(output, target, LossSpec.DEFAULT).value(),
                0.4230,
                4,
                0);
        scalar(
                "nn.NLLLoss()(log_probs, target)",
                xent.nllLoss(logProbs, target, LossSpec.DEFAULT).value(),
                0.4230,
                4,
                0);
    }

    private void seed001() {
        header("001", "CrossEntropyLoss, NLLLoss and LogSoftmax on torch.manual_seed(42) logits");
        // torch.manual_seed(42); torch.randn(5, 3): the float32 values the notebook used (9 significant digits,
        // read from Debian's python3-torch 1.13; the notebook shows them rounded to 4 decimals).
        Tensor x = f32(
                5,
                3,
                0.336690366,
                0.128809407,
                0.234462366,
                0.23033303,
                -1.12285638,
                -0.186328292,
                2.20820141,
                -0.637997031,
                0.461657226,
                0.267350882,
                0.534904659,
                0.809357226,
                1.11029029,
                -1.68979895,
                -0.988959908);
        table(
                "x (torch.manual_seed(42) randn)",
                x,
                4,
                0,
                0.3367,
                0.1288,
                0.2345,
                0.2303,
                -1.1229,
                -0.1863,
                2.2082,
                -0.6380,
                0.4617,
                0.2674,
                0.5349,
                0.8094,
                1.1103,
                -1.6898,
                -0.9890);
        Tensor target = Tensor.of(new long[] {0, 1, 2, 0, 2}, 5);
        Tensor pred = xent.softmax(x, -1);
        table(
                "softmax(x)",
                pred,
                4,
                0,
                0.3683,
                0.2992,
                0.3325,
                0.5215,
                0.1348,
                0.3438,
                0.8114,
                0.0471,
                0.1415,
                0.2484,
                0.3246,
                0.4271,
                0.8451,
                0.0514,
                0.1036);
        scalar(
                "nlog(softmax(x), target) (ours: nll_loss of log(softmax))",
                xent.nllLoss(log(pred), target, LossSpec.DEFAULT).value(),
                1.7238,
                4,
                0);
        double[] lsm = {
            -0.9988, -1.2067, -1.1011, -0.6511, -2.0043, -1.0678, -0.2090, -3.0552, -1.9555, -1.3928, -1.1253, -0.8508,
            -0.1684, -2.9684, -2.2676
        };
        Tensor logp = xent.logSoftmax(x, -1);
        table("logsoftmax(x)", logp, 4, 0, lsm);
        scalar(
                "nlik(logsoftmax(x), target)",
                xent.nllLoss(logp, target, LossSpec.DEFAULT).value(),
                1.7238,
                4,
                0);
        table("nn.LogSoftmax(dim=-1)(x)", xent.logSoftmax(x, 1), 4, 0, lsm);
        scalar(
                "nn.NLLLoss()(pred, target)",
                xent.nllLoss(logp, target, LossSpec.DEFAULT).value(),
                1.7238,
                4,
                0);
        scalar(
                "nn.CrossEntropyLoss()(x, target)",
                xent.crossEntropy(x, target, LossSpec.DEFAULT).value(),
                1.7238,
                4,
                0);
        Tensor twice = xent.logSoftmax(logp, -1);
        table("nn.LogSoftmax(dim=-1)(pred): log_softmax is idempotent", twice, 4, 0, lsm);
        scalar(
                "nn.CrossEntropyLoss()(pred, target): log-probabilities as logits",
                xent.crossEntropy(twice, target, LossSpec.DEFAULT).value(),
                1.7238,
                4,
                0);
        scalar(
                "F.nll_loss(F.log_softmax(x, dim=-1), target)",
                xent.nllLoss(xent.logSoftmax(x, -1), target, LossSpec.DEFAULT).value(),
                1.7238,
                4,
                0);
        scalar(
                "F.cross_entropy(x, target)",
                xent.crossEntropy(x, target, LossSpec.DEFAULT).value(),
                1.7238,
                4,
                0);
    }

    private void seed002() {
        header("002", "cross-entropy from logits, and by hand from softmax (inputs as printed, 4 decimals)");
        Tensor output = f32(
                3, 5, -0.7055, 2.2556, 0.4626, -0.1980, 1.0355, -0.7134, -1.1858, 0.6833, 0.3093, -1.6893, -0.8832,
                0.5251, 1.1047, 1.4685, -0.9776);
        long[] targets = argmax(output);
        ints("torch.argmax(output, dim=1)", targets, 1, 2, 3);
        Tensor target = Tensor.of(targets, 3);
        scalar(
                "nn.CrossEntropyLoss()(output, targets)",
                xent.crossEntropy(output, target, LossSpec.DEFAULT).value(),
                0.6895,
                4,
                PRINTED_INPUT_ALLOWANCE);
        Tensor p = xent.softmax(output, 1);
        table(
                "torch.softmax(output, axis=1)",
                p,
                4,
                PRINTED_INPUT_ALLOWANCE,
                0.0324,
                0.6252,
                0.1041,
                0.0538,
                0.1846,
                0.1133,
                0.0707,
                0.4581,
                0.3152,
                0.0427,
                0.0420,
                0.1718,
                0.3067,
                0.4413,
                0.0382);
        scalar(
                "(log(1/p[0,3]) + log(1/p[1,3]) + log(1/p[2,2])) / 3 (ours: cross-entropy with targets 3, 3, 2)",
                xent.crossEntropy(output, Tensor.of(new long[] {3, 3, 2}, 3), LossSpec.DEFAULT)
                        .value(),
                1.7533,
                4,
                PRINTED_INPUT_ALLOWANCE);
        double[] pm = p.toDoubleArray();
        double[] maxP = new double[3];
        long[] maxI = argmax(p);
        for (int r = 0; r < 3; r++) maxP[r] = pm[r * 5 + (int) maxI[r]];
        table(
                "torch.max(softmax, dim=1).values",
                Tensor.of(maxP, 1, 3),
                4,
                PRINTED_INPUT_ALLOWANCE,
                0.6252,
                0.4581,
                0.4413);
        ints("torch.max(softmax, dim=1).indices", maxI, 1, 2, 3);
        double manual = 0;
        for (double v : maxP) manual += Math.log(1 / v);
        scalar("(log(1/max_0) + log(1/max_1) + log(1/max_2)) / 3", manual / 3, 0.6895, 4, PRINTED_INPUT_ALLOWANCE);
    }

    private void seed003() {
        header("003", "softmax and cross-entropy, NumPy (float64) and PyTorch (float32)");
        table(
                "softmax numpy([2.0, 1.0, 1.0])",
                xent.softmax(Tensor.of(new double[] {2, 1, 1}, 3), 0).reshape(1, 3),
                8,
                0,
                0.57611688,
                0.21194156,
                0.21194156);
        table(
                "torch.softmax([2.0, 1.0, 1.0], dim=0)",
                xent.softmax(f32(1, 3, 2, 1, 1).reshape(3), 0).reshape(1, 3),
                4,
                0,
                0.5761,
                0.2119,
                0.2119);
        LossSpec sum = LossSpec.builder().reduction(Reduction.SUM).build();
        Tensor y = Tensor.of(new double[] {1, 0, 0}, 3);
        scalarF64(
                "-sum(Y * log(Y_good_pred)) (ours: probability targets on log(pred), sum)",
                xent.crossEntropy(logF64(0.7, 0.2, 0.1), y, sum).value(),
                0.35667494393873245);
        scalarF64(
                "-sum(Y * log(Y_bad_pred))",
                xent.crossEntropy(logF64(0.1, 0.3, 0.6), y, sum).value(),
                2.3025850929940455);
        Tensor y0 = Tensor.of(new long[] {0}, 1);
        Tensor good1 = f32(1, 3, 2.0, 1.0, 0.1), bad1 = f32(1, 3, 0.5, 2.0, 0.3);
        scalarF32(
                "nn.CrossEntropyLoss()(Y_pred_good, [0])",
                xent.crossEntropy(good1, y0, LossSpec.DEFAULT).value(),
                0.4170299470424652);
        scalarF32(
                "nn.CrossEntropyLoss()(Y_pred_bad, [0])",
                xent.crossEntropy(bad1, y0, LossSpec.DEFAULT).value(),
                1.840616226196289);
        ints("torch.max(Y_pred_good, 1) indices", argmax(good1), 0);
        ints("torch.max(Y_pred_bad, 1) indices", argmax(bad1), 1);
        Tensor y3 = Tensor.of(new long[] {2, 0, 1}, 3);
        Tensor good = f32(3, 3, 0.1, 1.0, 2.1, 2.0, 1.0, 0.1, 0.1, 3.0, 0.1);
        Tensor bad = f32(3, 3, 2.1, 1.0, 0.1, 0.1, 1.0, 2.1, 0.1, 3.0, 0.1);
        scalarF32(
                "nn.CrossEntropyLoss()(Y_pred_good, [2, 0, 1])",
                xent.crossEntropy(good, y3, LossSpec.DEFAULT).value(),
                0.3018244206905365);
        scalarF32(
                "nn.CrossEntropyLoss()(Y_pred_bad, [2, 0, 1])",
                xent.crossEntropy(bad, y3, LossSpec.DEFAULT).value(),
                1.6241613626480103);
        ints("torch.max(Y_pred_good, 1) indices", argmax(good), 2, 0, 1);
        ints("torch.max(Y_pred_bad, 1) indices", argmax(bad), 0, 2, 1);
    }

    private void seed004() {
        header("004", "how F.cross_entropy decomposes (inputs as printed, 4 decimals)");
        double[] xs = {
            1.3877, -1.2656, -0.9112, 0.6011, 0.0092, -0.0982, -0.0674, -0.2059, 0.3410, 1.3918, 0.2355, 0.4159,
            -0.6652, -1.6354, -0.9315
        };
        Tensor x = f32(5, 3, xs);
        Tensor target = Tensor.of(new long[] {2, 0, 1, 0, 1}, 5);
        table(
                "x.exp()",
                Tensor.of(expOf(xs), 5, 3),
                4,
                PRINTED_INPUT_ALLOWANCE * 4,
                4.0058,
                0.2821,
                0.4020,
                1.8241,
                1.0093,
                0.9065,
                0.9349,
                0.8139,
                1.4064,
                4.0222,
                1.2656,
                1.5157,
                0.5142,
                0.1949,
                0.3940);
        table(
                "x.exp().sum(-1)",
                Tensor.of(rowSums(expOf(xs), 3), 5, 1),
                4,
                PRINTED_INPUT_ALLOWANCE * 7,
                4.6899,
                3.7398,
                3.1551,
                6.8035,
                1.1030);
        Tensor p = xent.softmax(x, -1);
        table(
                "x.exp() / x.exp().sum(-1)",
                p,
                4,
                PRINTED_INPUT_ALLOWANCE,
                0.8541,
                0.0601,
                0.0857,
                0.4877,
                0.2699,
                0.2424,
                0.2963,
                0.2580,
                0.4457,
                0.5912,
                0.1860,
                0.2228,
                0.4662,
                0.1767,
                0.3572);
        double[] pv = p.toDoubleArray();
        double[] picked = new double[5];
        for (int r = 0; r < 5; r++) picked[r] = pv[r * 3 + (int) target.getLong(r)];
        table(
                "pred[range(5), target]",
                Tensor.of(picked, 1, 5),
                4,
                PRINTED_INPUT_ALLOWANCE,
                0.0857,
                0.4877,
                0.2580,
                0.5912,
                0.1767);
        LossSpec none = LossSpec.builder().reduction(Reduction.NONE).build();
        table(
                "-pred[range(5), target].log() (ours: cross-entropy, reduction none)",
                xent.crossEntropy(x, target, none).perElement().reshape(1, 5),
                4,
                PRINTED_INPUT_ALLOWANCE,
                2.4566,
                0.7180,
                1.3550,
                0.5256,
                1.7335);
        scalar(
                "nl(softmax(x), target) (ours: nll_loss of log(softmax))",
                xent.nllLoss(log(p), target, LossSpec.DEFAULT).value(),
                1.3577,
                4,
                PRINTED_INPUT_ALLOWANCE);
        scalar(
                "nll(log_softmax(x), target)",
                xent.nllLoss(xent.logSoftmax(x, -1), target, LossSpec.DEFAULT).value(),
                1.3577,
                4,
                PRINTED_INPUT_ALLOWANCE);
        scalar(
                "F.nll_loss(F.log_softmax(x, dim=-1), target)",
                xent.nllLoss(xent.logSoftmax(x, -1), target, LossSpec.DEFAULT).value(),
                1.3577,
                4,
                PRINTED_INPUT_ALLOWANCE);
        scalar(
                "F.cross_entropy(x, target)",
                xent.crossEntropy(x, target, LossSpec.DEFAULT).value(),
                1.3577,
                4,
                PRINTED_INPUT_ALLOWANCE);

        double[] in = {-0.6471, 1.2743, 1.5036, -0.6790, 0.3743, -0.1474};
        Tensor input = f32(2, 3, in);
        double[] logSm = {-2.7986, -0.8772, -0.6479, -1.7172, -0.6639, -1.1855};
        table("nn.LogSoftmax()(input)", xent.logSoftmax(input, 1), 4, PRINTED_INPUT_ALLOWANCE, logSm);
        table(
                "input.exp()",
                Tensor.of(expOf(in), 2, 3),
                4,
                PRINTED_INPUT_ALLOWANCE * 5,
                0.5236,
                3.5764,
                4.4981,
                0.5071,
                1.4539,
                0.8630);
        table(
                "input.exp().sum(-1)",
                Tensor.of(rowSums(expOf(in), 3), 2, 1),
                4,
                PRINTED_INPUT_ALLOWANCE * 10,
                8.5980,
                2.8240);
        Tensor ps = xent.softmax(input, -1);
        table(
                "input.exp() / input.exp().sum(-1)",
                ps,
                4,
                PRINTED_INPUT_ALLOWANCE,
                0.0609,
                0.4160,
                0.5232,
                0.1796,
                0.5148,
                0.3056);
        table("(input.exp() / input.exp().sum(-1)).log()", log(ps), 4, PRINTED_INPUT_ALLOWANCE, logSm);
    }

    // ------------------------------------------------------------------------------------------------ checks

    private void header(String seed, String title) {
        out.printf(Locale.ROOT, "%n== seeds/%s: %s%n", seed, title);
    }

    /** A value the notebook printed with {@code decimals} decimals; allowance covers inputs that were themselves rounded. */
    private void scalar(String what, double ours, double printed, int decimals, double allowance) {
        boolean ok = Math.abs(ours - printed) <= 0.5 * Math.pow(10, -decimals) + allowance + 1e-12;
        report(
                what,
                ok,
                String.format(Locale.ROOT, "%." + decimals + "f", ours),
                String.format(Locale.ROOT, "%." + decimals + "f", printed),
                String.format(Locale.ROOT, "%.9g", ours),
                allowance);
    }

    /** A value PyTorch printed in full from a float32 result: equal within float32 rounding (relative 1e-6). */
    private void scalarF32(String what, double ours, double printed) {
        boolean ok = Math.abs(ours - printed) <= 1e-6 * Math.abs(printed);
        report(what, ok, String.format(Locale.ROOT, "%.9f", ours), Double.toString(printed), null, 0);
    }

    /** A value NumPy printed in full from a float64 result: equal within float64 rounding (relative 1e-12). */
    private void scalarF64(String what, double ours, double printed) {
        boolean ok = Math.abs(ours - printed) <= 1e-12 * Math.abs(printed);
        report(what, ok, Double.toString(ours), Double.toString(printed), null, 0);
    }

    private void table(String what, Tensor ours, int decimals, double allowance, double... printed) {
        double[] o = ours.toDoubleArray();
        long cols = ours.rank() == 1 ? o.length : ours.dim(-1);
        boolean ok = o.length == printed.length;
        for (int i = 0; ok && i < o.length; i++)
            ok = Math.abs(o[i] - printed[i]) <= 0.5 * Math.pow(10, -decimals) + allowance + 1e-12;
        checks++;
        if (!ok) mismatches++;
        out.printf(
                Locale.ROOT,
                "  %-8s %s%s%n",
                ok ? "[ok]" : "[DIFFER]",
                what,
                allowance > 0 ? String.format(Locale.ROOT, "  (input-rounding allowance %.1e)", allowance) : "");
        out.println("    ours     " + rows(o, cols, decimals));
        out.println("    notebook " + rows(printed, cols, decimals));
    }

    private void ints(String what, long[] ours, long... printed) {
        boolean ok = java.util.Arrays.equals(ours, printed);
        report(what, ok, java.util.Arrays.toString(ours), java.util.Arrays.toString(printed), null, 0);
    }

    private void report(String what, boolean ok, String ours, String printed, String full, double allowance) {
        checks++;
        if (!ok) mismatches++;
        out.printf(
                Locale.ROOT,
                "  %-8s %s%s%n",
                ok ? "[ok]" : "[DIFFER]",
                what,
                allowance > 0 ? String.format(Locale.ROOT, "  (input-rounding allowance %.1e)", allowance) : "");
        out.printf(Locale.ROOT, "    ours     %s%s%n", ours, full == null ? "" : "   (" + full + ")");
        out.printf(Locale.ROOT, "    notebook %s%n", printed);
    }

    private static String rows(double[] v, long cols, int decimals) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) {
            if (i > 0) b.append(i % cols == 0 ? "] [" : ", ");
            b.append(String.format(Locale.ROOT, "%." + decimals + "f", v[i]));
        }
        return b.append(']').toString();
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static Tensor f32(long rows, long cols, double... v) {
        float[] a = new float[v.length];
        for (int i = 0; i < v.length; i++) a[i] = (float) v[i];
        return Tensor.of(a, rows, cols);
    }

    private static Tensor logF64(double... p) {
        double[] a = new double[p.length];
        for (int i = 0; i < p.length; i++) a[i] = Math.log(p[i]);
        return Tensor.of(a, p.length);
    }

    /** Element-wise natural log of a tensor's values, as float32 (the notebooks' tensor.log()). */
    private static Tensor log(Tensor t) {
        double[] v = t.toDoubleArray();
        float[] a = new float[v.length];
        for (int i = 0; i < v.length; i++) a[i] = (float) Math.log(v[i]);
        return Tensor.of(a, t.shape());
    }

    private static Tensor oneHot(Tensor target, int classes) {
        int n = (int) target.numel();
        float[] a = new float[n * classes];
        for (int i = 0; i < n; i++) a[i * classes + (int) target.getLong(i)] = 1f;
        return Tensor.of(a, n, classes);
    }

    /** Row-wise argmax, first maximum on ties (as torch.argmax). */
    private static long[] argmax(Tensor t) {
        double[] v = t.toDoubleArray();
        int cols = (int) t.dim(-1), rows = v.length / cols;
        long[] r = new long[rows];
        for (int i = 0; i < rows; i++) {
            int best = 0;
            for (int k = 1; k < cols; k++) if (v[i * cols + k] > v[i * cols + best]) best = k;
            r[i] = best;
        }
        return r;
    }

    private static double[] expOf(double[] x) {
        double[] e = new double[x.length];
        for (int i = 0; i < x.length; i++) e[i] = Math.exp((float) x[i]);
        return e;
    }

    private static double[] rowSums(double[] v, int cols) {
        double[] s = new double[v.length / cols];
        for (int i = 0; i < v.length; i++) s[i / cols] += v[i];
        return s;
    }
}
