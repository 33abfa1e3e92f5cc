package dev.xent;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.xent.io.Npy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The golden cases made by scripts/golden.py with PyTorch, read from src/test/resources/golden. */
public final class Golden {
    public final String name;
    public final JsonNode node;
    private static final Path DIR = dir();

    private Golden(JsonNode n) {
        this.node = n;
        this.name = n.get("name").asText();
    }

    private static Path dir() {
        try {
            return Path.of(Golden.class.getResource("/golden/manifest.json").toURI())
                    .getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static List<Golden> all() {
        return list("cases");
    }

    /** The binary cross-entropy cases. */
    public static List<Golden> bce() {
        return list("bce_cases");
    }

    /** The F.kl_div cases. */
    public static List<Golden> kl() {
        return list("kl_cases");
    }

    /** The gradient-with-respect-to-targets cases. */
    public static List<Golden> targetGradient() {
        return list("target_gradient_cases");
    }

    /** The softmax / log_softmax backward cases. */
    public static List<Golden> softmaxBackward() {
        return list("softmax_backward_cases");
    }

    /** The gradient-times-grad_output cases. */
    public static List<Golden> gradOutput() {
        return list("grad_output_cases");
    }

    /** The kd and jsd cases. */
    public static List<Golden> divergence() {
        return list("divergence_cases");
    }

    private static List<Golden> list(String key) {
        ObjectMapper m = JsonMapper.builder()
                .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
                .build();
        try {
            List<Golden> out = new ArrayList<>();
            for (JsonNode n : m.readTree(DIR.resolve("manifest.json").toFile()).get(key)) out.add(new Golden(n));
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Tensor array(String field) {
        JsonNode f = node.get(field);
        return f == null || f.isNull() ? null : Npy.read(DIR.resolve(f.asText()));
    }

    public LossSpec spec() {
        LossSpec.Builder b = LossSpec.builder()
                .reduction(Reduction.parse(node.get("reduction").asText()))
                .ignoreIndex(node.get("ignore_index").asLong())
                .labelSmoothing(node.get("label_smoothing").asDouble())
                .zLossScale(number("z_loss_scale", 0))
                .softcap(number("softcap", 0));
        Tensor w = array("weights");
        if (w != null) b.weights(w);
        return b.build();
    }

    public LossKind kind() {
        return node.get("loss").asText().equals("nll") ? LossKind.NLL : LossKind.CROSS_ENTROPY;
    }

    /** The expected reduced value (NaN, +-Infinity decoded), or NaN for reduction none. */
    public double expected() {
        JsonNode e = node.get("expected");
        if (e == null || e.isNull()) return Double.NaN;
        if (e.isTextual()) return Double.parseDouble(e.asText());
        return e.asDouble();
    }

    /** A numeric field, with NaN and infinities spelled as strings; {@code absent} when missing or null. */
    public double number(String field, double absent) {
        JsonNode e = node.get(field);
        if (e == null || e.isNull()) return absent;
        return e.isTextual() ? Double.parseDouble(e.asText()) : e.asDouble();
    }

    public boolean isScalar() {
        return !node.get("reduction").asText().equals("none");
    }

    @Override
    public String toString() {
        return name;
    }
}
