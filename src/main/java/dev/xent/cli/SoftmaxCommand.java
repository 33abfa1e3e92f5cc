package dev.xent.cli;

import dev.xent.DType;
import dev.xent.Device;
import dev.xent.InvalidInputException;
import dev.xent.ResultSink;
import dev.xent.Tensor;
import dev.xent.Xent;
import dev.xent.io.ArraySource;
import dev.xent.io.NpyWriter;
import dev.xent.io.OutputSet;
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
 * {@code xent softmax}: {@code F.softmax} or {@code F.log_softmax} of an array in a file, of any size: the input is
 * memory-mapped and computed in blocks along axis 0, the output written block by block to a temporary renamed over
 * its target when the whole run has succeeded.
 */
@Command(
        name = "softmax",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "softmax (or log_softmax with --log) of an array along --dim, as F.softmax(x, dim, dtype=...) computes it, "
                    + "from .npy, .npz or safetensors files of any size (memory-mapped, computed in blocks along axis 0)."
        })
final class SoftmaxCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @picocli.CommandLine.Mixin
    Verbosity verbosity;

    @Option(
            names = "--input",
            required = true,
            arity = "1..*",
            paramLabel = "X",
            description =
                    "The array (any shape, a 0-d one included): FILE.npy, FILE.npz[:NAME], FILE.safetensors[:NAME]; several files or a glob: shards along axis 0.")
    List<String> input;

    @Option(
            names = "--dim",
            required = true,
            paramLabel = "D",
            description = "The axis the distribution runs along (negative counts from the end).")
    int dim;

    @Option(names = "--log", description = "log_softmax instead of softmax.")
    boolean log;

    @Option(
            names = "--dtype",
            paramLabel = "T",
            converter = DtypeConverter.class,
            description =
                    "f16, bf16, f32 or f64: the input is cast to it first (so integer and bool inputs work) and the output has it, as PyTorch's dtype argument (default: the input's dtype, which must then be floating).")
    DType dtype;

    @Option(
            names = "--out",
            paramLabel = "FILE.npy",
            converter = OutputPath.class,
            description =
                    "The output, the input's shape (bfloat16 is written as float32 holding bfloat16 values: .npy has no bfloat16).")
    Path out;

    @Option(
            names = "--grad-output",
            paramLabel = "GO",
            arity = "1..*",
            description =
                    "The upstream gradient (the input's shape) for the backward: with --grad-out, x.grad of softmax(x).backward(GO).")
    List<String> gradOutput;

    @Option(
            names = "--grad-out",
            paramLabel = "GX.npy",
            converter = OutputPath.class,
            description =
                    "Write the backward's result, the input's shape and dtype (float64 arithmetic; bfloat16 written as float32).")
    Path gradOut;

    @picocli.CommandLine.Mixin
    DeviceOption deviceOption;

    @picocli.CommandLine.Mixin
    JsonOption jsonOption;

    @picocli.CommandLine.Mixin
    QuietOption quietOption;

    @Override
    public Integer call() {
        PrintWriter o = spec.commandLine().getOut();
        Device dev = deviceOption.device;
        DType cast = dtype;
        boolean quiet = quietOption.quiet;
        if (out == null && gradOut == null)
            throw new InvalidInputException("name an output: --out (the forward), --grad-out (the backward), or both");
        if ((gradOut == null) != (gradOutput == null))
            throw new InvalidInputException("the backward takes --grad-output and --grad-out together");
        if (gradOut != null && cast != null)
            throw new InvalidInputException("--dtype is for the forward only: the backward runs in the input's dtype");
        List<ArraySource> xs = ArraySource.resolveAll(input),
                gos = gradOutput == null ? List.of() : ArraySource.resolveAll(gradOutput);
        List<OutputSet.Named> ins = new ArrayList<>(), outs = new ArrayList<>();
        for (ArraySource s : xs) ins.add(new OutputSet.Named("--input", s.file));
        for (ArraySource s : gos) ins.add(new OutputSet.Named("--grad-output", s.file));
        if (out != null) outs.add(new OutputSet.Named("--out", out));
        if (gradOut != null) outs.add(new OutputSet.Named("--grad-out", gradOut));
        OutputSet.checkDistinct(ins, outs);
        Tensor x = ArraySource.openAll(xs);
        Tensor go = gos.isEmpty() ? null : ArraySource.openAll(gos);
        if (go != null && !go.sameShape(x)) {
            throw new InvalidInputException("--grad-output must have the input's shape: input "
                    + Tensor.shapeString(x.shape()) + ", grad_output " + Tensor.shapeString(go.shape()));
        }
        DType outType = cast != null ? cast : x.dtype();
        if (!outType.isFloating())
            throw new InvalidInputException(
                    "softmax of " + x.dtype().label() + " input needs --dtype (f16, bf16, f32 or f64) to cast it to");
        long t0 = System.nanoTime();
        String used;
        try (OutputSet files = new OutputSet();
                Xent xent = Xent.open(dev);
                Progress progress = Progress.of(quiet, x.byteSize(), x.numel(), Math.max(1, x.numel()))) {
            if (out != null) {
                NpyWriter w = files.npy(out, outType == DType.BF16 ? DType.F32 : outType, x.shape());
                xent.softmax(x, dim, log, cast, new ResultSink() {
                    @Override
                    public void values(long firstElement, Tensor values) {
                        w.write(firstElement, values);
                    }

                    @Override
                    public void progress(long done, long total) {
                        progress.update(done, total);
                    }
                });
            }
            if (gradOut != null) {
                NpyWriter gw = files.npy(gradOut, x.dtype() == DType.BF16 ? DType.F32 : x.dtype(), x.shape());
                xent.softmaxBackward(x, go, dim, log, new ResultSink() {
                    @Override
                    public void gradient(long firstElement, Tensor values) {
                        gw.write(firstElement, values);
                    }

                    @Override
                    public void progress(long done, long total) {
                        progress.update(done, total);
                    }
                });
            }
            used = xent.deviceName();
            progress.finish();
            files.commit();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        String what = log ? "log_softmax" : "softmax";
        if (out != null)
            o.printf(
                    Locale.ROOT,
                    "%s along dim %d of %s (%s) written to %s%n",
                    what,
                    dim,
                    Tensor.shapeString(x.shape()),
                    outType.label(),
                    out);
        if (gradOut != null) o.printf(Locale.ROOT, "%s backward along dim %d written to %s%n", what, dim, gradOut);
        o.printf(Locale.ROOT, "device: %s, elements: %d, seconds: %.6f%n", used, x.numel(), seconds);
        if (jsonOption.json()) {
            o.println(new Json()
                    .put("op", what)
                    .put("dim", dim)
                    .put("shape", java.util.Arrays.toString(x.shape()))
                    .put("input_dtype", x.dtype().label())
                    .put("dtype", outType.label())
                    .put("device", used)
                    .put("elements", x.numel())
                    .put("seconds", seconds)
                    .put("out", out == null ? null : out.toString())
                    .put("grad_out", gradOut == null ? null : gradOut.toString()));
        }
        return 0;
    }

    /** --dtype: any floating type. */
    static final class DtypeConverter implements picocli.CommandLine.ITypeConverter<DType> {
        @Override
        public DType convert(String s) {
            DType t = BenchCommand.floatingType(s);
            if (t == null)
                throw new picocli.CommandLine.TypeConversionException(
                        "--dtype must be f16, bf16, f32 or f64, not '" + s + "'");
            return t;
        }
    }
}
