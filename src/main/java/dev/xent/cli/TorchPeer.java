package dev.xent.cli;

import dev.xent.DType;
import dev.xent.io.JsonValue;
import dev.xent.io.PyLiteral;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * {@code xent bench --peer torch}: runs the packaged torch_peer.py on the bench's shape and reads the one JSON line it
 * prints.
 */
final class TorchPeer {
    private TorchPeer() {}

    /**
     * What the peer said: its median time, or why it has none.
     *
     * @param secondsMedian the median of its timed runs, or null where it failed
     * @param torchVersion torch.__version__, or null where python did not get that far
     * @param error why there is no time, or null
     * @param extraDeviceBytes cuda: device bytes one step needs beyond its inputs; else null
     */
    record Result(Double secondsMedian, String torchVersion, String error, Object extraDeviceBytes) {
        static Result failed(String error) {
            return new Result(null, null, error, null);
        }
    }

    /** What the peer times for kd and jsd. */
    static final Map<String, String> DIVERGENCE = Map.of(
            "kd", "F.kl_div(F.log_softmax(s/T), F.softmax(t/T), 'batchmean') * T^2, T = 2",
            "jsd",
                    "Liger-Kernel's torch reference, beta = 0.5: two log_softmax, two exp, log of the mixture, two weighted sums");

    /** Runs the peer on the bench's shape; a missing python or a failed run is a Result with its error, not a throw. */
    static Result run(String python, BenchPlan plan, String deviceUsed) throws IOException, InterruptedException {
        String py = python != null ? python : findPythonWithTorch();
        if (py == null)
            return Result.failed("no python3 with torch found (apt-get install python3-torch, or pass --python)");
        // in a directory of its own: Python puts the script's directory first on sys.path, so any stray dis.py or
        // inspect.py beside it in /tmp would shadow the standard library and break "import torch"
        Path dir = Files.createTempDirectory("xent-torch-peer");
        Path script = dir.resolve("torch_peer.py");
        try (InputStream in = TorchPeer.class.getResourceAsStream("/dev/xent/bench/torch_peer.py")) {
            Files.write(script, in.readAllBytes());
        }
        DType dt = plan.dtype();
        String arg = String.format(
                Locale.ROOT,
                "{\"rows\": %d, \"classes\": %d, \"runs\": %d, \"warmup\": %d, \"device\": \"%s\", \"threads\": %d, \"dtype\": \"%s\", \"op\": \"%s\"}",
                plan.rows(),
                plan.classes(),
                plan.runs(),
                plan.warmup(),
                deviceUsed.equals("cuda") ? "cuda" : "cpu",
                plan.threads(),
                dt == DType.F32 ? "f32" : dt == DType.F16 ? "f16" : "bf16",
                plan.op().label());
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
                return Result.failed("torch peer failed (exit " + code + "): "
                        + all.toString().trim());
            return parse(last);
        } finally {
            Files.deleteIfExists(script);
            Files.deleteIfExists(dir);
        }
    }

    /** Reads the peer's JSON line; a line that is not a JSON object is a Result with the reason as its error. */
    static Result parse(String line) {
        Object v;
        try {
            v = JsonValue.parse(line);
        } catch (PyLiteral.Malformed e) {
            return Result.failed("torch peer printed malformed JSON (" + e.getMessage() + "): " + line);
        }
        if (!(v instanceof Map)) return Result.failed("torch peer printed no JSON object: " + line);
        Map<?, ?> m = (Map<?, ?>) v;
        Object seconds = present(m.get("seconds_median")), version = present(m.get("torch_version"));
        Object error = present(m.get("error"));
        return new Result(
                seconds instanceof Number ? ((Number) seconds).doubleValue() : null,
                version == null ? null : version.toString(),
                error == null ? null : error.toString(),
                present(m.get("extra_device_bytes")));
    }

    /** JSON null and an absent key alike: null. */
    private static Object present(Object v) {
        return v == JsonValue.NULL ? null : v;
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
}
