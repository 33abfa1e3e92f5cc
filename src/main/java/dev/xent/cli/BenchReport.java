package dev.xent.cli;

import dev.xent.bench.ComputeProbe;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/** {@code xent bench}'s report: its lines and, with {@code --json}, one JSON object whose keys scripts/ read. */
final class BenchReport {
    private BenchReport() {}

    static void print(PrintWriter o, BenchPlan plan, BenchTiming.Measurement m, TorchPeer.Result peer, boolean json) {
        BenchOp op = plan.op();
        int runs = plan.runs(), nThreads = plan.threads();
        long logitBytes = plan.logitBytes();
        double median = m.median();
        double gbps = logitBytes / median / 1e9;
        double frac = logitBytes / median / m.memRate();
        // ops that write as many bytes as they read: the floor is one read of the inputs and one write of the output
        long outBytes = plan.elements() * plan.dtype().byteSize();
        double floorSeconds = logitBytes / m.memRate() + outBytes / m.writeRate(), floorFrac = floorSeconds / median;
        double[] memRange = m.memRange(), computeNs = m.computeNs(), pageableTimes = m.pageableTimes();
        Double torchSeconds = peer == null ? null : peer.secondsMedian();

        o.printf(
                Locale.ROOT,
                "xent %s %s %d x %d (%s): median %.3f ms over %d runs, %.2f GB/s = %.0f%% of the memory rate %.2f GB/s (%s); "
                        + (op.softmax() ? "output[0] %.6g%n" : "loss %.6f%n"),
                m.device(),
                op.label(),
                plan.rows(),
                plan.classes(),
                plan.dtype().label(),
                median * 1e3,
                runs,
                gbps,
                frac * 100,
                m.memRate() / 1e9,
                m.memKind(),
                m.loss());
        if (memRange != null) {
            o.printf(Locale.ROOT, "memory probe passes ranged %.1f to %.1f GB/s%n", memRange[0], memRange[1]);
        }
        if (m.writeTimes() != null) {
            o.printf(
                    Locale.ROOT,
                    "write probe (1 GiB array fill, same passes): %.2f GB/s; the floor (logits read once, %s written once) is %.3f ms:"
                            + " xent is at %.0f%% of it%n",
                    m.writeRate() / 1e9,
                    op.softmax() ? "the output" : "the gradient",
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
                    peer.torchVersion(),
                    op.softmax()
                            ? "torch." + op.label()
                            : op.divergence()
                                    ? op.label() + " (" + TorchPeer.DIVERGENCE.get(op.label()) + ")"
                                    : "F.cross_entropy",
                    torchSeconds * 1e3,
                    logitBytes / torchSeconds / 1e9,
                    torchSeconds / median);
        } else if (peer != null) {
            o.println("torch peer: " + peer.error());
        }
        if (!json) return;
        boolean written = m.writeTimes() != null;
        Json j = new Json()
                .put("device", m.device())
                .put("op", op.label())
                .put("dtype", plan.dtype().label())
                .put("rows", plan.rows())
                .put("classes", plan.classes())
                .put("topk", plan.topk() == 0 ? null : plan.topk())
                .put("runs", runs)
                .put("seconds_median", median)
                .put("gb_per_s", gbps)
                .put("memory_gb_per_s", m.memRate() / 1e9)
                .put("memory_rate_kind", m.memKind())
                .put("memory_gb_per_s_range", memRange == null ? null : List.of(memRange[0], memRange[1]))
                .put("memory_probe_passes", m.probeTimes() == null ? null : m.probeTimes().length)
                .put("compute_ns_per_value", computeNs == null ? null : computeNs[computeNs.length / 2])
                .put(
                        "compute_ns_per_value_range",
                        computeNs == null ? null : List.of(computeNs[0], computeNs[computeNs.length - 1]))
                .put(
                        "compute_gb_per_s_f32",
                        computeNs == null ? null : 4.0 * nThreads / computeNs[computeNs.length / 2])
                .put("fraction_of_memory_rate", frac)
                .put("write_gb_per_s", written ? m.writeRate() / 1e9 : null)
                .put("floor_seconds", written ? floorSeconds : null)
                .put("fraction_of_floor", written ? floorFrac : null)
                .put("threads", m.device().equals("cuda") ? null : nThreads)
                .put("loss", op.softmax() ? null : m.loss())
                .put("output_first", op.softmax() ? m.loss() : null)
                .put(
                        "timing",
                        m.callTimes() == null ? "host clock around the call" : "device events around the launches")
                .put("call_seconds_median", m.callTimes() == null ? null : m.callTimes()[runs / 2])
                .put("input_copies", plan.copies())
                .put("pageable_seconds_median", pageableTimes == null ? null : pageableTimes[runs / 2])
                .put("in_place_extra_device_bytes", m.inPlaceExtraBytes());
        if (peer != null) {
            j.put("torch_seconds_median", torchSeconds)
                    .put("torch_gb_per_s", torchSeconds == null ? null : logitBytes / torchSeconds / 1e9)
                    .put("speedup_vs_torch", torchSeconds == null ? null : torchSeconds / median)
                    .put("torch_version", peer.torchVersion())
                    .put("torch_error", peer.error())
                    .put("torch_extra_device_bytes", peer.extraDeviceBytes());
        }
        o.println(j);
    }
}
