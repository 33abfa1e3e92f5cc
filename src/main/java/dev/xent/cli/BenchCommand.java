package dev.xent.cli;

import dev.xent.DType;
import dev.xent.Device;
import dev.xent.DivergenceSpec;
import dev.xent.Half;
import dev.xent.InvalidInputException;
import dev.xent.Tensor;
import dev.xent.internal.BackendSelector;
import dev.xent.io.ArraySource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code xent bench}: forward loss on random in-memory logits (never zeros: a spread of values with one peaked logit
 * per row), warm-up then the median of timed runs, beside the machine's memory rate measured in the same run and,
 * with {@code --peer torch}, PyTorch's F.cross_entropy on the same shape.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = "Time the forward loss; compare with the memory rate and PyTorch.")
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @picocli.CommandLine.Mixin
    Verbosity verbosity;

    @picocli.CommandLine.Mixin
    DeviceOption deviceOption;

    @Option(
            names = "--rows",
            defaultValue = "8192",
            description = "Rows N of the random logits (default: ${DEFAULT-VALUE}).")
    long rows;

    @Option(names = "--classes", defaultValue = "32000", description = "Classes C (default: ${DEFAULT-VALUE}).")
    int classes;

    @Option(
            names = "--dtype",
            defaultValue = "f32",
            converter = DtypeConverter.class,
            description = "f32, f16 or bf16 (default: ${DEFAULT-VALUE}).")
    DType dtype;

    @Option(
            names = "--op",
            defaultValue = "forward",
            converter = BenchOp.Converter.class,
            description =
                    "forward: the loss (device-resident logits on cuda); fwdbwd: loss and gradient; e2e: logits start in Java memory, upload plus loss (cuda only); softmax, log_softmax: the outputs over the classes (cpu only; they also write as many bytes as they read, which gb_per_s does not count); kd (T = 2), jsd (beta = 0.5): the distillation losses of random student and teacher logits, batchmean (cpu only; gb_per_s counts both inputs). Default: ${DEFAULT-VALUE}.")
    BenchOp op;

    @Option(
            names = "--topk",
            paramLabel = "K",
            description =
                    "CPU: also compute top-1 and top-K accuracy and the predicted classes (1 <= K <= classes; default: none). The torch peer still times the loss alone.")
    Integer topkOption;

    private int topk; // 0: none

    @Option(
            names = "--runs",
            defaultValue = "15",
            description = "Timed calls; the median is reported (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(
            names = "--warmup",
            defaultValue = "3",
            description =
                    "Untimed calls first (on the CPU, as many more as fill 2 s, so the JIT has compiled the loops). Default: ${DEFAULT-VALUE}.")
    int warmup;

    @Option(
            names = "--logits",
            arity = "1..*",
            paramLabel = "L",
            description =
                    "CPU: time the loss on the logits of a file (memory-mapped, as xent eval reads them) instead of random ones, once the JIT has compiled the loops; with --targets.")
    List<String> logitsFile;

    @Option(names = "--targets", arity = "1..*", paramLabel = "T", description = "The targets for --logits.")
    List<String> targetsFile;

    @Option(
            names = "--peer",
            defaultValue = "none",
            converter = Peer.Converter.class,
            description = "torch: also time PyTorch's F.cross_entropy in this run; none.")
    Peer peer;

    /** What --peer takes. */
    enum Peer {
        NONE,
        TORCH;

        /** The option's two words, in lower case as before it was an enum. */
        static final class Converter implements picocli.CommandLine.ITypeConverter<Peer> {
            @Override
            public Peer convert(String s) {
                if (s.equals("none")) return NONE;
                if (s.equals("torch")) return TORCH;
                throw new picocli.CommandLine.TypeConversionException("--peer must be torch or none, not '" + s + "'");
            }
        }
    }

    @Option(
            names = "--python",
            description =
                    "Python with torch for the peer (default: the first of python3 on PATH and /usr/bin/python3 that imports torch).")
    String python;

    @Option(names = "--threads", description = "CPU threads for xent and the peer (default: all cores).")
    Integer threads;

    @picocli.CommandLine.Mixin
    JsonOption jsonOption;

    @Override
    public Integer call() throws Exception {
        BenchPlan plan = plan();
        BenchOp op = plan.op();
        boolean cudaWanted = plan.device() == Device.CUDA
                || (plan.device() == Device.AUTO && dev.xent.cuda.CudaProbe.probe().usable);
        if (topk > 0 && cudaWanted)
            throw new InvalidInputException("--topk is measured on the CPU only (--device cpu)");
        if ((op.softmax() || op.divergence()) && cudaWanted)
            throw new InvalidInputException("--op " + op.label() + " is measured on the CPU only (--device cpu)");
        if (op.divergence() && logitsFile != null)
            throw new InvalidInputException(
                    "--op " + op.label() + " times random student and teacher logits, not --logits");
        BenchTiming.Measurement m;
        if (op == BenchOp.E2E) {
            if (!cudaWanted)
                throw new InvalidInputException("--op e2e measures the host-to-GPU path: it needs --device cuda");
            m = BenchTiming.e2e(plan);
        } else if (cudaWanted) {
            m = BenchTiming.cuda(plan);
        } else {
            DivergenceSpec divSpec = op == BenchOp.KD
                    ? DivergenceSpec.builder(DivergenceSpec.Kind.KD)
                            .temperature(KD_TEMPERATURE)
                            .build()
                    : op == BenchOp.JSD
                            ? DivergenceSpec.builder(DivergenceSpec.Kind.JSD)
                                    .beta(JSD_BETA)
                                    .build()
                            : null;
            m = BenchTiming.cpu(plan, divSpec);
        }
        TorchPeer.Result peerResult = peer == Peer.TORCH ? TorchPeer.run(python, plan, m.device()) : null;
        BenchReport.print(spec.commandLine().getOut(), plan, m, peerResult, jsonOption.json());
        return 0;
    }

    /** The options checked, and the inputs made (or mapped, with --logits). */
    private BenchPlan plan() {
        DType dt = dtype;
        Tensor fileLogits = null, fileTargets = null;
        if (logitsFile != null
                || targetsFile != null) { // the logits of a file, memory-mapped: the data path at steady state
            if (logitsFile == null || targetsFile == null)
                throw new InvalidInputException("--logits and --targets go together");
            if (op != BenchOp.FORWARD && op != BenchOp.FWDBWD)
                throw new InvalidInputException("--logits measures --op forward or fwdbwd");
            fileLogits = ArraySource.openAll(ArraySource.resolveAll(logitsFile));
            fileTargets = ArraySource.openAll(ArraySource.resolveAll(targetsFile));
            if (fileLogits.rank() != 2)
                throw new InvalidInputException("--logits: bench takes (N, C) logits, got " + fileLogits);
            rows = fileLogits.dim(0);
            classes = (int) fileLogits.dim(1);
            dt = fileLogits.dtype();
        }
        if (rows < 1 || classes < 1) throw new InvalidInputException("--rows and --classes must be positive");
        if (topkOption != null && (topkOption < 1 || topkOption > classes)) {
            throw new InvalidInputException(
                    "--topk must be between 1 and --classes (" + classes + "), got " + topkOption);
        }
        topk = topkOption == null ? 0 : topkOption;
        if (runs < 1) throw new InvalidInputException("--runs must be at least 1, got " + runs);
        if (warmup < 0) throw new InvalidInputException("--warmup must be at least 0, got " + warmup);
        if (threads != null && threads < 1)
            throw new InvalidInputException("--threads must be at least 1, got " + threads);
        long elements = Math.multiplyExact(rows, (long) classes);
        if (elements > Tensor.MAX_ARRAY_ELEMENTS && fileLogits == null) {
            throw new InvalidInputException("bench data must fit one Java array: rows x classes <= "
                    + Tensor.MAX_ARRAY_ELEMENTS + " (or give --logits FILE)");
        }
        int nThreads = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        Device d = BackendSelector.configured(deviceOption.device);
        // kd and jsd read the student's and the teacher's logits
        long logitBytes = elements * dt.byteSize() * (op.divergence() ? 2 : 1);
        // rotate among copies totalling >= 256 MiB when one input is small, so timed runs read memory, not cache
        int copies = op == BenchOp.E2E || fileLogits != null
                ? 1 // e2e reads host memory once per call: nothing to rotate
                : (int) Math.max(1, Math.min(64, ((256L << 20) + logitBytes - 1) / Math.max(1, logitBytes)));
        List<Tensor> inputs = new ArrayList<>(), teachers = new ArrayList<>();
        Tensor target;
        if (fileLogits != null) {
            inputs.add(fileLogits);
            target = fileTargets;
        } else {
            for (int i = 0; i < copies; i++) inputs.add(randomLogits(rows, classes, dt, 1234 + i));
            if (op.divergence())
                for (int i = 0; i < copies; i++) teachers.add(randomLogits(rows, classes, dt, 4321 + i));
            long[] ty = new long[(int) rows];
            for (int r = 0; r < rows; r++) ty[r] = Math.floorMod(mix(r * 31L + 7), classes);
            target = Tensor.of(ty, rows);
        }
        return new BenchPlan(
                op, d, dt, rows, classes, runs, warmup, nThreads, topk, inputs, copies, teachers, target, logitBytes);
    }

    /** kd's temperature and jsd's beta in the bench (and in its PyTorch peer, torch_peer.py). */
    static final double KD_TEMPERATURE = 2, JSD_BETA = 0.5;

    /** --dtype: the floating types the bench times. */
    static final class DtypeConverter implements picocli.CommandLine.ITypeConverter<DType> {
        @Override
        public DType convert(String s) {
            DType t = floatingType(s);
            if (t == null || t == DType.F64)
                throw new picocli.CommandLine.TypeConversionException(
                        "--dtype must be f32, f16 or bf16, not '" + s + "'");
            return t;
        }
    }

    /** The floating dtype a command-line name means (f16 or float16, bf16 or bfloat16, f32 or float32, f64 or float64), or null. */
    static DType floatingType(String s) {
        switch (s.toLowerCase(Locale.ROOT)) {
            case "f16":
            case "float16":
                return DType.F16;
            case "bf16":
            case "bfloat16":
                return DType.BF16;
            case "f32":
            case "float32":
                return DType.F32;
            case "f64":
            case "float64":
                return DType.F64;
            default:
                return null;
        }
    }

    /** splitmix64: a fast, parallel-safe hash of an index, for reproducible random data. */
    static long mix(long z) {
        z += 0x9e3779b97f4a7c15L;
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** Values spread over [-4, 4) with one logit per row raised by 12: a peaked, realistic softmax. */
    static Tensor randomLogits(long rows, int classes, DType dt, long seed) {
        int n = (int) (rows * classes);
        float[] a = new float[n];
        long s = mix(seed);
        java.util.stream.IntStream.range(0, n)
                .parallel()
                .forEach(i -> a[i] = ((mix(s ^ i) >>> 40) * 0x1p-24f) * 8f - 4f);
        for (long r = 0; r < rows; r++) a[(int) (r * classes + Math.floorMod(mix(s + r), classes))] += 12f;
        if (dt == DType.F32) return Tensor.of(a, rows, classes);
        short[] h = new short[n];
        boolean bf = dt == DType.BF16;
        for (int i = 0; i < n; i++) h[i] = bf ? Half.bf16FromFloat(a[i]) : Half.fromFloat(a[i]);
        return Tensor.ofHalfBits(dt, h, rows, classes);
    }
}
