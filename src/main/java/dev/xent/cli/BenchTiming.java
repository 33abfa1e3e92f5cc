package dev.xent.cli;

import dev.xent.Device;
import dev.xent.DivergenceSpec;
import dev.xent.LossKind;
import dev.xent.LossProblem;
import dev.xent.LossSpec;
import dev.xent.Outputs;
import dev.xent.Settings;
import dev.xent.Tensor;
import dev.xent.Xent;
import dev.xent.bench.ComputeProbe;
import dev.xent.bench.MemoryProbe;
import dev.xent.cpu.CpuBackend;
import dev.xent.cuda.CudaBackend;
import dev.xent.cuda.DeviceTensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** {@code xent bench}'s timing loops: the host-to-GPU path, device-resident logits on CUDA, and the CPU. */
final class BenchTiming {
    private BenchTiming() {}

    private static final long MIN_CPU_WARMUP_NANOS = 2_000_000_000L;
    /** Logits per call from which the CPU bench interleaves its memory probe with the timed runs. */
    private static final long INTERLEAVE_PROBE_BYTES = 64L << 20;
    /** Probe passes around the timed runs of a small shape: a pass reads 1 GiB (15 to 40 ms), the runs may be thousands. */
    private static final int MAX_SEPARATE_PROBE_PASSES = 30;

    /**
     * What the timed runs measured, every array sorted.
     *
     * @param device the device's name, as the backend gives it
     * @param times the timed runs, seconds (cuda: device time)
     * @param loss the last run's loss (softmax, log_softmax: the first output)
     * @param memRate the memory rate measured beside them, bytes per second
     * @param memKind what that rate is
     * @param callTimes cuda: host time of the whole call; else null
     * @param pageableTimes e2e: the plain host path (pageable staging, upload then loss); else null
     * @param inPlaceExtraBytes fwdbwd on cuda: device bytes beyond logits and targets when the gradient overwrites
     *     the logits; else null
     * @param probeTimes cpu: the read probe's passes; else null
     * @param writeTimes cpu, ops that write an output as large as the logits: the write probe's passes; else null
     * @param writeRate the write probe's median rate, bytes per second; NaN without it
     * @param memRange cpu: slowest and fastest probe pass, GB/s; else null
     * @param computeNs cpu backend: the compute probe's ns per value, one pass beside each read-probe pass; else null
     */
    record Measurement(
            String device,
            double[] times,
            double loss,
            double memRate,
            String memKind,
            double[] callTimes,
            double[] pageableTimes,
            Long inPlaceExtraBytes,
            double[] probeTimes,
            double[] writeTimes,
            double writeRate,
            double[] memRange,
            double[] computeNs) {
        double median() {
            return times[times.length / 2];
        }
    }

    /** The CUDA host-to-device path: logits in Java memory, upload plus loss, pinned staging then pageable. */
    static Measurement e2e(BenchPlan plan) {
        int runs = plan.runs(), warmup = plan.warmup();
        double[] times = new double[runs], pageableTimes = new double[runs];
        try (CudaBackend cuda = new CudaBackend()) {
            Tensor x = plan.inputs().get(0), target = plan.target();
            for (int i = 0; i < warmup; i++) cuda.lossFromHost(LossKind.CROSS_ENTROPY, x, target, LossSpec.DEFAULT);
            double loss = 0;
            for (int i = 0; i < runs; i++) {
                long t0 = System.nanoTime();
                loss = cuda.lossFromHost(LossKind.CROSS_ENTROPY, x, target, LossSpec.DEFAULT)
                        .value();
                times[i] = (System.nanoTime() - t0) / 1e9;
            }
            LossProblem plain = LossProblem.of(LossKind.CROSS_ENTROPY, x, target, LossSpec.DEFAULT);
            for (int i = 0; i < Math.max(1, warmup); i++) cuda.loss(plain);
            for (int i = 0; i < runs; i++) {
                long t0 = System.nanoTime();
                cuda.loss(plain);
                pageableTimes[i] = (System.nanoTime() - t0) / 1e9;
            }
            Arrays.sort(times);
            Arrays.sort(pageableTimes);
            return new Measurement(
                    cuda.name(),
                    times,
                    loss,
                    cuda.measurePinnedUploadBytesPerSecond(),
                    "pinned host-to-device copy",
                    null,
                    pageableTimes,
                    null,
                    null,
                    null,
                    Double.NaN,
                    null,
                    null);
        }
    }

    /** Device-resident logits on CUDA: device events around the launches, and the host clock around each call. */
    static Measurement cuda(BenchPlan plan) {
        int runs = plan.runs(), warmup = plan.warmup(), copies = plan.copies();
        double[] times = new double[runs], callTimes = new double[runs];
        boolean fwdbwd = plan.op() == BenchOp.FWDBWD;
        Long inPlaceExtraBytes = null;
        double loss = 0;
        try (CudaBackend cuda = new CudaBackend()) {
            List<DeviceTensor> dx = new ArrayList<>();
            try (DeviceTensor dy = cuda.upload(plan.target())) {
                for (Tensor t : plan.inputs()) dx.add(cuda.upload(t));
                try (DeviceTensor grad = fwdbwd ? cuda.allocate(plan.dtype(), plan.rows(), plan.classes()) : null) {
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
                            DeviceTensor x = fresh.upload(plan.inputs().get(0));
                            DeviceTensor y = fresh.upload(plan.target())) {
                        long before = fresh.liveBytes();
                        fresh.lossAndGradient(LossKind.CROSS_ENTROPY, x, y, LossSpec.DEFAULT, x, false);
                        inPlaceExtraBytes = fresh.peakBytes() - before;
                    }
                }
            } finally {
                for (DeviceTensor t : dx) t.close();
            }
            Arrays.sort(times);
            return new Measurement(
                    cuda.name(),
                    times,
                    loss,
                    cuda.measureCopyBytesPerSecond(),
                    "device-to-device copy, bytes read + written",
                    callTimes,
                    null,
                    inPlaceExtraBytes,
                    null,
                    null,
                    Double.NaN,
                    null,
                    null);
        }
    }

    /**
     * The CPU (or the reference path): warm-up and timed calls in one loop, beside passes of the memory probe (and,
     * on the CPU backend, of the compute probe). Empties {@code plan.inputs()} when done.
     */
    static Measurement cpu(BenchPlan plan, DivergenceSpec divSpec) throws Exception {
        BenchOp op = plan.op();
        int runs = plan.runs(), warmup = plan.warmup(), copies = plan.copies(), nThreads = plan.threads();
        dev.xent.cpu.CpuBackend.awaitCompiledLoops(120); // time the compiled vector loops, not their warm-up twin
        long elements = plan.elements();
        List<Tensor> inputs = plan.inputs(), teachers = plan.teachers();
        double[] times = new double[runs];
        double[] probeTimes, writeTimes = null, computeNs = null, memRange;
        double loss = 0, memRate, writeRate = Double.NaN;
        String used, memKindDetail;
        // the read rate drifts on shared machines: one probe pass follows each timed run, so both see the same
        // minutes
        Device d = plan.device();
        boolean cpuBackend = d == Device.CPU || d == Device.AUTO, vector = Settings.cpuVector();
        try (Xent x = cpuBackend ? Xent.on(new CpuBackend(nThreads, vector)) : Xent.open(d);
                MemoryProbe probe = new MemoryProbe(nThreads);
                ComputeProbe compute = cpuBackend ? new ComputeProbe(nThreads, vector) : null) {
            used = x.deviceName();
            Outputs outs = Outputs.builder()
                    .gradient(op == BenchOp.FWDBWD)
                    .topK(plan.topk())
                    .predictions(plan.topk() > 0)
                    .build();
            // Warm-up by count, by time, and by work: the JIT compiles the vector loops only after enough calls,
            // and until then a small shape runs them interpreted, which is slow enough (1 x 32000: 60 ms a call
            // instead of 7 us) that 2 s held too few calls to compile them. So small shapes take 500 calls.
            // Warm-up and timed calls share one loop: with two loops, the first was compiled on the stack with the
            // whole call inlined, and the second could run every timed call interpreted (64 x 1000: 10 ms).
            // A call on big logits reads memory whatever came before: a probe pass after each one samples the
            // same minutes. A call on small logits would find them evicted by a pass, and time the eviction:
            // there the passes come before and after the timed runs.
            boolean interleave = plan.logitBytes() >= INTERLEAVE_PROBE_BYTES;
            int passes = interleave ? runs : Math.min(runs, MAX_SEPARATE_PROBE_PASSES);
            probeTimes = new double[passes];
            if (op.writesOutput()) writeTimes = new double[passes];
            if (compute != null) computeNs = new double[passes];
            long warmStart = System.nanoTime();
            int timed = 0, probed = 0;
            for (int call = 0; timed < runs; call++) {
                long warmNanos = System.nanoTime() - warmStart;
                boolean warming = call < warmup
                        || (warmNanos < MIN_CPU_WARMUP_NANOS && call < 100_000)
                        || (call < 500 && (long) call * elements < (1L << 31) && warmNanos < 60_000_000_000L);
                if (!warming && timed == 0 && !interleave)
                    while (probed < passes / 2) probePass(probe, compute, probeTimes, writeTimes, computeNs, probed++);
                Tensor in = inputs.get((warming ? call : timed) % copies); // timed runs: the same copies each time
                long t0 = System.nanoTime();
                if (op.softmax()) loss = (op == BenchOp.SOFTMAX ? x.softmax(in, 1) : x.logSoftmax(in, 1)).getDouble(0);
                else if (op.divergence())
                    loss = x.divergence(in, teachers.get((warming ? call : timed) % copies), null, divSpec, false)
                            .value();
                else
                    loss = x.crossEntropy(in, plan.target(), LossSpec.DEFAULT, outs)
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
        Arrays.sort(times);
        return new Measurement(
                used,
                times,
                loss,
                memRate,
                "1 GiB array sum, " + nThreads + " threads, " + memKindDetail,
                null,
                null,
                null,
                probeTimes,
                writeTimes,
                writeRate,
                memRange,
                computeNs);
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
}
