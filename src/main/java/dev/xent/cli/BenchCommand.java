package dev.xent.cli;

import dev.xent.BackendSelector;
import dev.xent.DType;
import dev.xent.Device;
import dev.xent.DivergenceSpec;
import dev.xent.Half;
import dev.xent.InvalidInputException;
import dev.xent.LossKind;
import dev.xent.LossSpec;
import dev.xent.Tensor;
import dev.xent.Xent;
import dev.xent.bench.ComputeProbe;
import dev.xent.bench.MemoryProbe;
import dev.xent.cpu.CpuBackend;
import dev.xent.cuda.CudaBackend;
import dev.xent.cuda.DeviceTensor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

    @Option(
            names = "--device",
            defaultValue = "auto",
            description =
                    "auto, cpu, cuda or reference (default: ${DEFAULT-VALUE}, as for eval: CUDA if usable, else the CPU).")
    String device;

    @Option(
            names = "--rows",
            defaultValue = "8192",
            description = "Rows N of the random logits (default: ${DEFAULT-VALUE}).")
    long rows;

    @Option(names = "--classes", defaultValue = "32000", description = "Classes C (default: ${DEFAULT-VALUE}).")
    int classes;

    @Option(names = "--dtype", defaultValue = "f32", description = "f32, f16 or bf16 (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(
            names = "--op",
            defaultValue = "forward",
            description =
                    "forward: the loss (device-resident logits on cuda); fwdbwd: loss and gradient; e2e: logits start in Java memory, upload plus loss (cuda only); softmax, log_softmax: the outputs over the classes (cpu only; they also write as many bytes as they read, which gb_per_s does not count); kd (T = 2), jsd (beta = 0.5): the distillation losses of random student and teacher logits, batchmean (cpu only; gb_per_s counts both inputs). Default: ${DEFAULT-VALUE}.")
    String op;

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

    private static final long MIN_CPU_WARMUP_NANOS = 2_000_000_000L;
    /** Logits per call from which the CPU bench interleaves its memory probe with the timed runs. */
    private static final long INTERLEAVE_PROBE_BYTES = 64L << 20;
    /** Probe passes around the timed runs of a small shape: a pass reads 1 GiB (15 to 40 ms), the runs may be thousands. */
    private static final int MAX_SEPARATE_PROBE_PASSES = 30;

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
            description = "torch: also time PyTorch's F.cross_entropy in this run; none.")
    String peer;

    @Option(
            names = "--python",
            description =
                    "Python with torch for the peer (default: the first of python3 on PATH and /usr/bin/python3 that imports torch).")
    String python;

    @Option(names = "--threads", description = "CPU threads for xent and the peer (default: all cores).")
    Integer threads;

    @Option(names = "--json", description = "Print one JSON object as the last line of stdout.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter o = spec.commandLine().getOut();
        boolean softmaxOp = op.equals("softmax") || op.equals("log_softmax");
        boolean divOp = op.equals("kd") || op.equals("jsd");
        boolean writesOutput = op.equals("fwdbwd") || softmaxOp; // an output as large as the logits
        if (!op.equals("forward") && !op.equals("e2e") && !op.equals("fwdbwd") && !softmaxOp && !divOp) {
            throw new InvalidInputException("--op must be forward, fwdbwd, e2e, softmax, log_softmax, kd or jsd");
        }
        DType dt = parseDtype(dtype);
        Tensor fileLogits = null, fileTargets = null;
        if (logitsFile != null
                || targetsFile != null) { // the logits of a file, memory-mapped: the data path at steady state
            if (logitsFile == null || targetsFile == null)
                throw new InvalidInputException("--logits and --targets go together");
            if (!op.equals("forward") && !op.equals("fwdbwd"))
                throw new InvalidInputException("--logits measures --op forward or fwdbwd");
            fileLogits = dev.xent.io.ArraySource.openAll(dev.xent.io.ArraySource.resolveAll(logitsFile));
            fileTargets = dev.xent.io.ArraySource.openAll(dev.xent.io.ArraySource.resolveAll(targetsFile));
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
        if (!peer.equals("none") && !peer.equals("torch"))
            throw new InvalidInputException("--peer must be torch or none, not '" + peer + "'");
        long elements = Math.multiplyExact(rows, (long) classes);
        if (elements > Tensor.MAX_ARRAY_ELEMENTS && fileLogits == null) {
            throw new InvalidInputException("bench data must fit one Java array: rows x classes <= "
                    + Tensor.MAX_ARRAY_ELEMENTS + " (or give --logits FILE)");
        }
        int nThreads = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        Device d = BackendSelector.configured(Device.parse(device));

        long logitBytes =
                elements * dt.byteSize() * (divOp ? 2 : 1); // kd and jsd read the student's and the teacher's logits
        // rotate among copies totalling >= 256 MiB when one input is small, so timed runs read memory, not cache
        int copies = op.equals("e2e") || fileLogits != null
                ? 1 // e2e reads host memory once per call: nothing to rotate
                : (int) Math.max(1, Math.min(64, ((256L << 20) + logitBytes - 1) / Math.max(1, logitBytes)));
        List<Tensor> inputs = new ArrayList<>(), teachers = new ArrayList<>();
        Tensor target;
        if (fileLogits != null) {
            inputs.add(fileLogits);
            target = fileTargets;
        } else {
            for (int i = 0; i < copies; i++) inputs.add(randomLogits(rows, classes, dt, 1234 + i));
            if (divOp) for (int i = 0; i < copies; i++) teachers.add(randomLogits(rows, classes, dt, 4321 + i));
            long[] ty = new long[(int) rows];
            for (int r = 0; r < rows; r++) ty[r] = Math.floorMod(mix(r * 31L + 7), classes);
            target = Tensor.of(ty, rows);
        }

        double[] times = new double[runs];
        double[] callTimes = null; // cuda: host time of the whole call, beside the device time in times[]
        double[] pageableTimes = null; // e2e: the plain host path (pageable staging, upload then loss)
        Long inPlaceExtraBytes =
                null; // fwdbwd on cuda: device bytes beyond logits and targets when the gradient overwrites the logits
        double loss;
        String used;
        double memRate;
        String memKind;
        double[] probeTimes = null; // cpu: the read probe's pass after each timed run
        double[] writeTimes = null; // cpu, ops that write an output as large as the logits: the write probe's passes
        double writeRate = Double.NaN;
        double[] memRange = null; // cpu: slowest and fastest probe pass, GB/s
        double[] computeNs =
                null; // cpu backend: the compute probe's ns per value, one pass beside each read-probe pass
        String memKindDetail = "";
        boolean cudaWanted = d == Device.CUDA || (d == Device.AUTO && dev.xent.cuda.CudaProbe.probe().usable);
        if (topk > 0 && cudaWanted)
            throw new InvalidInputException("--topk is measured on the CPU only (--device cpu)");
        if ((softmaxOp || divOp) && cudaWanted)
            throw new InvalidInputException("--op " + op + " is measured on the CPU only (--device cpu)");
        if (divOp && fileLogits != null)
            throw new InvalidInputException("--op " + op + " times random student and teacher logits, not --logits");
        DivergenceSpec divSpec = !divOp
                ? null
                : op.equals("kd")
                        ? DivergenceSpec.builder(DivergenceSpec.Kind.KD)
                                .temperature(KD_TEMPERATURE)
                                .build()
                        : DivergenceSpec.builder(DivergenceSpec.Kind.JSD)
                                .beta(JSD_BETA)
                                .build();
        if (op.equals("e2e")) {
            if (!cudaWanted)
                throw new InvalidInputException("--op e2e measures the host-to-GPU path: it needs --device cuda");
            try (CudaBackend cuda = new CudaBackend()) {
                used = cuda.name();
                Tensor x = inputs.get(0);
                for (int i = 0; i < warmup; i++) cuda.lossFromHost(LossKind.CROSS_ENTROPY, x, target, LossSpec.DEFAULT);
                loss = 0;
                for (int i = 0; i < runs; i++) {
                    long t0 = System.nanoTime();
                    loss = cuda.lossFromHost(LossKind.CROSS_ENTROPY, x, target, LossSpec.DEFAULT)
                            .value();
                    times[i] = (System.nanoTime() - t0) / 1e9;
                }
                pageableTimes = new double[runs];
                dev.xent.LossProblem plain =
                        dev.xent.LossProblem.of(LossKind.CROSS_ENTROPY, x, target, LossSpec.DEFAULT);
                for (int i = 0; i < Math.max(1, warmup); i++) cuda.loss(plain);
                for (int i = 0; i < runs; i++) {
                    long t0 = System.nanoTime();
                    cuda.loss(plain);
                    pageableTimes[i] = (System.nanoTime() - t0) / 1e9;
                }
                Arrays.sort(pageableTimes);
                memRate = cuda.measurePinnedUploadBytesPerSecond();
                memKind = "pinned host-to-device copy";
            }
        } else if (cudaWanted) {
            try (CudaBackend cuda = new CudaBackend()) {
                used = cuda.name();
                List<DeviceTensor> dx = new ArrayList<>();
                try (DeviceTensor dy = cuda.upload(target)) {
                    for (Tensor t : inputs) dx.add(cuda.upload(t));
                    loss = 0;
                    callTimes = new double[runs];
                    boolean fwdbwd = op.equals("fwdbwd");
                    try (DeviceTensor grad = fwdbwd ? cuda.allocate(dt, rows, classes) : null) {
                        for (int i = -warmup; i < runs; i++) {
                            long t0 = System.nanoTime();
                            DeviceTensor x = dx.get(Math.floorMod(i, copies));
                            loss = fwdbwd
                                    ? cuda.lossAndGradient(LossKind.CROSS_ENTROPY, x, dy, LossSpec.DEFAULT, grad, false)
                                            .value()
                                    : cuda.loss(LossKind.CROSS_ENTROPY, x, dy, LossSpec.DEFAULT, false)
                                            .value();
                            if (i < 0) continue;
                            callTimes[i] = (System.nanoTime() - t0) / 1e9;
                            times[i] = cuda.lastDeviceSeconds();
                        }
                    }
                    Arrays.sort(callTimes);
                    if (fwdbwd) { // one call in place on a fresh backend: what it needs beyond the logits and targets
                        try (CudaBackend fresh = new CudaBackend();
                                DeviceTensor x = fresh.upload(inputs.get(0));
                                DeviceTensor y = fresh.upload(target)) {
                            long before = fresh.liveBytes();
                            fresh.lossAndGradient(LossKind.CROSS_ENTROPY, x, y, LossSpec.DEFAULT, x, false);
                            inPlaceExtraBytes = fresh.peakBytes() - before;
                        }
                    }
                } finally {
                    for (DeviceTensor t : dx) t.close();
                }
                memRate = cuda.measureCopyBytesPerSecond();
                memKind = "device-to-device copy, bytes read + written";
            }
        } else {
            // the read rate drifts on shared machines: one probe pass follows each timed run, so both see the same
            // minutes
            boolean cpuBackend = d == Device.CPU || d == Device.AUTO, vector = dev.xent.Settings.cpuVector();
            try (Xent x = cpuBackend ? Xent.on(new CpuBackend(nThreads, vector)) : Xent.open(d);
                    MemoryProbe probe = new MemoryProbe(nThreads);
                    ComputeProbe compute = cpuBackend ? new ComputeProbe(nThreads, vector) : null) {
                used = x.deviceName();
                dev.xent.Outputs outs = dev.xent.Outputs.builder()
                        .gradient(op.equals("fwdbwd"))
                        .topK(topk)
                        .predictions(topk > 0)
                        .build();
                // Warm-up by count, by time, and by work: the JIT compiles the vector loops only after enough calls,
                // and until then a small shape runs them interpreted, which is slow enough (1 x 32000: 60 ms a call
                // instead of 7 us) that 2 s held too few calls to compile them. So small shapes take 500 calls.
                // Warm-up and timed calls share one loop: with two loops, the first was compiled on the stack with the
                // whole call inlined, and the second could run every timed call interpreted (64 x 1000: 10 ms).
                // A call on big logits reads memory whatever came before: a probe pass after each one samples the
                // same minutes. A call on small logits would find them evicted by a pass, and time the eviction:
                // there the passes come before and after the timed runs.
                boolean interleave = logitBytes >= INTERLEAVE_PROBE_BYTES;
                loss = 0;
                int passes = interleave ? runs : Math.min(runs, MAX_SEPARATE_PROBE_PASSES);
                probeTimes = new double[passes];
                if (writesOutput) writeTimes = new double[passes];
                if (compute != null) computeNs = new double[passes];
                long warmStart = System.nanoTime();
                int timed = 0, probed = 0;
                for (int call = 0; timed < runs; call++) {
                    long warmNanos = System.nanoTime() - warmStart;
                    boolean warming = call < warmup
                            || (warmNanos < MIN_CPU_WARMUP_NANOS && call < 100_000)
                            || (call < 500 && (long) call * elements < (1L << 31) && warmNanos < 60_000_000_000L);
                    if (!warming && timed == 0 && !interleave)
                        while (probed < passes / 2)
                            probePass(probe, compute, probeTimes, writeTimes, computeNs, probed++);
                    Tensor in = inputs.get((warming ? call : timed) % copies); // timed runs: the same copies each time
                    long t0 = System.nanoTime();
                    if (softmaxOp) loss = (op.equals("softmax") ? x.softmax(in, 1) : x.logSoftmax(in, 1)).getDouble(0);
                    else if (divOp)
                        loss = x.divergence(in, teachers.get((warming ? call : timed) % copies), null, divSpec, false)
                                .value();
                    else
                        loss = x.crossEntropy(in, target, LossSpec.DEFAULT, outs)
                                .value();
                    long t1 = System.nanoTime();
                    if (warming) {
                        if (call < warmup) {
                            probe.passSeconds();
                            if (compute != null) compute.passNanosPerValue();
                        }
                        continue;
                    }
                    times[timed++] = (t1 - t0) / 1e9;
                    if (interleave) probePass(probe, compute, probeTimes, writeTimes, computeNs, probed++);
                }
                while (probed < passes) probePass(probe, compute, probeTimes, writeTimes, computeNs, probed++);
                memKindDetail = interleave ? "one pass after each timed run" : "passes before and after the timed runs";
                Arrays.sort(probeTimes);
                memRate = probe.bytesPerPass() / probeTimes[passes / 2];
                memRange = new double[] {
                    probe.bytesPerPass() / probeTimes[passes - 1] / 1e9, probe.bytesPerPass() / probeTimes[0] / 1e9
                };
                if (computeNs != null) Arrays.sort(computeNs);
                if (writeTimes != null) {
                    Arrays.sort(writeTimes);
                    writeRate = probe.bytesPerPass() / writeTimes[passes / 2];
                }
            }
            inputs.clear();
            memKind = "1 GiB array sum, " + nThreads + " threads, " + memKindDetail;
        }
        Arrays.sort(times);
        double median = times[runs / 2];
        double gbps = logitBytes / median / 1e9;
        double frac = logitBytes / median / memRate;
        // ops that write as many bytes as they read: the floor is one read of the inputs and one write of the output
        long outBytes = elements * dt.byteSize();
        double floorSeconds = logitBytes / memRate + outBytes / writeRate, floorFrac = floorSeconds / median;

        Map<String, Object> peerResult = "torch".equals(peer) ? runTorchPeer(used, dt, nThreads) : null;
        Double torchSeconds = peerResult != null && peerResult.get("seconds_median") != null
                ? Double.valueOf(peerResult.get("seconds_median").toString())
                : null;

        o.printf(
                Locale.ROOT,
                "xent %s %s %d x %d (%s): median %.3f ms over %d runs, %.2f GB/s = %.0f%% of the memory rate %.2f GB/s (%s); "
                        + (softmaxOp ? "output[0] %.6g%n" : "loss %.6f%n"),
                used,
                op,
                rows,
                classes,
                dt.label(),
                median * 1e3,
                runs,
                gbps,
                frac * 100,
                memRate / 1e9,
                memKind,
                loss);
        if (memRange != null) {
            o.printf(Locale.ROOT, "memory probe passes ranged %.1f to %.1f GB/s%n", memRange[0], memRange[1]);
        }
        if (writeTimes != null) {
            o.printf(
                    Locale.ROOT,
                    "write probe (1 GiB array fill, same passes): %.2f GB/s; the floor (logits read once, %s written once) is %.3f ms:"
                            + " xent is at %.0f%% of it%n",
                    writeRate / 1e9,
                    softmaxOp ? "the output" : "the gradient",
                    floorSeconds * 1e3,
                    floorFrac * 100);
        }
        if (computeNs != null) {
            double c = computeNs[computeNs.length / 2];
            o.printf(
                    Locale.ROOT,
                    "compute probe (the float32 loss on %d in-cache rows per thread, all threads at once): median %.3f ns per value"
                            + " per thread (passes %.3f to %.3f), a ceiling of %.1f GB/s of float32 logits on %d threads%n",
                    ComputeProbe.ROWS,
                    c,
                    computeNs[0],
                    computeNs[computeNs.length - 1],
                    4.0 * nThreads / c,
                    nThreads);
        }
        if (pageableTimes != null) {
            o.printf(
                    Locale.ROOT,
                    "xent cuda e2e from pageable memory (upload, then loss): median %.3f ms, %.2f GB/s%n",
                    pageableTimes[runs / 2] * 1e3,
                    logitBytes / pageableTimes[runs / 2] / 1e9);
        }
        if (torchSeconds != null) {
            o.printf(
                    Locale.ROOT,
                    "torch %s %s: median %.3f ms, %.2f GB/s; xent is %.2fx torch%n",
                    peerResult.get("torch_version"),
                    softmaxOp ? "torch." + op : divOp ? op + " (" + TORCH_DIVERGENCE.get(op) + ")" : "F.cross_entropy",
                    torchSeconds * 1e3,
                    logitBytes / torchSeconds / 1e9,
                    torchSeconds / median);
        } else if (peerResult != null) {
            o.println("torch peer: " + peerResult.get("error"));
        }
        if (json) {
            Json j = new Json()
                    .put("device", used)
                    .put("op", op)
                    .put("dtype", dt.label())
                    .put("rows", rows)
                    .put("classes", classes)
                    .put("topk", topk == 0 ? null : topk)
                    .put("runs", runs)
                    .put("seconds_median", median)
                    .put("gb_per_s", gbps)
                    .put("memory_gb_per_s", memRate / 1e9)
                    .put("memory_rate_kind", memKind)
                    .put("memory_gb_per_s_range", memRange == null ? null : java.util.List.of(memRange[0], memRange[1]))
                    .put("memory_probe_passes", probeTimes == null ? null : probeTimes.length)
                    .put("compute_ns_per_value", computeNs == null ? null : computeNs[computeNs.length / 2])
                    .put(
                            "compute_ns_per_value_range",
                            computeNs == null ? null : java.util.List.of(computeNs[0], computeNs[computeNs.length - 1]))
                    .put(
                            "compute_gb_per_s_f32",
                            computeNs == null ? null : 4.0 * nThreads / computeNs[computeNs.length / 2])
                    .put("fraction_of_memory_rate", frac)
                    .put("write_gb_per_s", writeTimes == null ? null : writeRate / 1e9)
                    .put("floor_seconds", writeTimes == null ? null : floorSeconds)
                    .put("fraction_of_floor", writeTimes == null ? null : floorFrac)
                    .put("threads", used.equals("cuda") ? null : nThreads)
                    .put("loss", softmaxOp ? null : loss)
                    .put("output_first", softmaxOp ? loss : null)
                    .put(
                            "timing",
                            callTimes == null ? "host clock around the call" : "device events around the launches")
                    .put("call_seconds_median", callTimes == null ? null : callTimes[runs / 2])
                    .put("input_copies", copies)
                    .put("pageable_seconds_median", pageableTimes == null ? null : pageableTimes[runs / 2])
                    .put("in_place_extra_device_bytes", inPlaceExtraBytes);
            if (peerResult != null) {
                j.put("torch_seconds_median", torchSeconds)
                        .put("torch_gb_per_s", torchSeconds == null ? null : logitBytes / torchSeconds / 1e9)
                        .put("speedup_vs_torch", torchSeconds == null ? null : torchSeconds / median)
                        .put("torch_version", peerResult.get("torch_version"))
                        .put("torch_error", peerResult.get("error"))
                        .put("torch_extra_device_bytes", peerResult.get("extra_device_bytes"));
            }
            o.println(j);
        }
        return 0;
    }

    /** kd's temperature and jsd's beta in the bench (and in its PyTorch peer, torch_peer.py). */
    static final double KD_TEMPERATURE = 2, JSD_BETA = 0.5;

    /** What the peer times for kd and jsd. */
    private static final Map<String, String> TORCH_DIVERGENCE = Map.of(
            "kd", "F.kl_div(F.log_softmax(s/T), F.softmax(t/T), 'batchmean') * T^2, T = 2",
            "jsd",
                    "Liger-Kernel's torch reference, beta = 0.5: two log_softmax, two exp, log of the mixture, two weighted sums");

    static DType parseDtype(String s) {
        DType t = floatingType(s);
        if (t == null || t == DType.F64)
            throw new InvalidInputException("--dtype must be f32, f16 or bf16, not '" + s + "'");
        return t;
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

    /** One read-probe pass into probeSeconds[i] and, where there is a compute probe, one of its passes into computeNs[i]. */
    private static void probePass(
            MemoryProbe probe,
            ComputeProbe compute,
            double[] probeSeconds,
            double[] writeSeconds,
            double[] computeNs,
            int i)
            throws Exception {
        probeSeconds[i] = probe.passSeconds();
        if (writeSeconds != null) writeSeconds[i] = probe.writePassSeconds();
        if (compute != null) computeNs[i] = compute.passNanosPerValue();
    }

    private Map<String, Object> runTorchPeer(String deviceUsed, DType dt, int nThreads)
            throws IOException, InterruptedException {
        String py = python != null ? python : findPythonWithTorch();
        if (py == null)
            return Map.of("error", "no python3 with torch found (apt-get install python3-torch, or pass --python)");
        // in a directory of its own: Python puts the script's directory first on sys.path, so any stray dis.py or
        // inspect.py beside it in /tmp would shadow the standard library and break "import torch"
        Path dir = Files.createTempDirectory("xent-torch-peer");
        Path script = dir.resolve("torch_peer.py");
        try (InputStream in = BenchCommand.class.getResourceAsStream("/dev/xent/bench/torch_peer.py")) {
            Files.write(script, in.readAllBytes());
        }
        String arg = String.format(
                Locale.ROOT,
                "{\"rows\": %d, \"classes\": %d, \"runs\": %d, \"warmup\": %d, \"device\": \"%s\", \"threads\": %d, \"dtype\": \"%s\", \"op\": \"%s\"}",
                rows,
                classes,
                runs,
                warmup,
                deviceUsed.equals("cuda") ? "cuda" : "cpu",
                nThreads,
                dt == DType.F32 ? "f32" : dt == DType.F16 ? "f16" : "bf16",
                op);
        try {
            Process p = new ProcessBuilder(py, script.toString(), arg)
                    .redirectErrorStream(true)
                    .start();
            String last = null;
            StringBuilder all = new StringBuilder();
            try (BufferedReader r =
                    new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    all.append(line).append('\n');
                    if (line.startsWith("{")) last = line;
                }
            }
            int code = p.waitFor();
            if (code != 0 || last == null)
                return Map.of(
                        "error",
                        "torch peer failed (exit " + code + "): "
                                + all.toString().trim());
            return parseFlatJson(last);
        } finally {
            Files.deleteIfExists(script);
            Files.deleteIfExists(dir);
        }
    }

    private static String findPythonWithTorch() throws InterruptedException {
        for (String candidate : new String[] {"python3", "/usr/bin/python3"}) {
            try {
                Process p = new ProcessBuilder(candidate, "-c", "import torch")
                        .redirectErrorStream(true)
                        .start();
                p.getInputStream().readAllBytes();
                if (p.waitFor() == 0) return candidate;
            } catch (IOException e) {
                // not there: try the next
            }
        }
        return null;
    }

    private static final Pattern FIELD = Pattern.compile("\"(\\w+)\":\\s*(\"(?:[^\"\\\\]|\\\\.)*\"|[^,}]+)");

    /** A JSON string's body without its escapes (the peer's messages quote names: \"log_softmax...\"). */
    static String unescape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch != '\\' || i + 1 == s.length()) {
                b.append(ch);
                continue;
            }
            char e = s.charAt(++i);
            switch (e) {
                case 'n':
                    b.append('\n');
                    break;
                case 't':
                    b.append('\t');
                    break;
                case 'r':
                    b.append('\r');
                    break;
                case 'u':
                    if (i + 4 < s.length()) {
                        b.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
                        i += 4;
                        break;
                    }
                    b.append(e);
                    break;
                default:
                    b.append(e); // \" \\ \/
            }
        }
        return b.toString();
    }

    /** Reads the peer's one-level JSON object (string and number values). */
    static Map<String, Object> parseFlatJson(String line) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        Matcher mt = FIELD.matcher(line);
        while (mt.find()) {
            String v = mt.group(2).trim();
            m.put(mt.group(1), v.startsWith("\"") ? unescape(v.substring(1, v.length() - 1)) : v);
        }
        return m;
    }
}
