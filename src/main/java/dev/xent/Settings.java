package dev.xent;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every system property and environment variable xent reads, in one place; {@code xent info} prints them all with the
 * values in force.
 */
public final class Settings {
    private Settings() {}

    /** Elements of input per row block of the block stream: bounds memory (see {@link dev.xent.stream.BlockStream}). */
    public static final long DEFAULT_BLOCK_ELEMENTS = 1L << 23;

    /** {@return the input elements per row block: {@code -Dxent.blockElements}, default 2^23 (32 MiB of float32); below 1 gives the default} */
    public static long blockElements() {
        long v = Long.getLong("xent.blockElements", DEFAULT_BLOCK_ELEMENTS);
        return v < 1 ? DEFAULT_BLOCK_ELEMENTS : v;
    }

    /** {@return the device {@code -Dxent.device}, else {@code XENT_DEVICE}, names: what {@link Device#AUTO} resolves to; null when neither is set (or blank)} */
    public static String deviceOverride() {
        String prop = System.getProperty("xent.device");
        if (prop != null && !prop.isBlank()) return prop;
        String env = System.getenv("XENT_DEVICE");
        return env != null && !env.isBlank() ? env : null;
    }

    /** {@return where {@link #deviceOverride()} came from, for {@code xent info}: "-Dxent.device", "XENT_DEVICE" or null} */
    public static String deviceOverrideSource() {
        String prop = System.getProperty("xent.device");
        if (prop != null && !prop.isBlank()) return "-Dxent.device";
        String env = System.getenv("XENT_DEVICE");
        return env != null && !env.isBlank() ? "XENT_DEVICE" : null;
    }

    /** {@return false when {@code -Dxent.cpu.vector=false}: the CPU path then uses its scalar loops even where the Vector API is present} */
    public static boolean cpuVector() {
        return !"false".equals(System.getProperty("xent.cpu.vector"));
    }

    /** {@return false when {@code -Dxent.cuda=false}: the CUDA probe then reports the GPU unusable without touching the driver} */
    public static boolean cudaEnabled() {
        return !"false".equals(System.getProperty("xent.cuda"));
    }

    /** {@return true when {@code -Dxent.poison=true}: device allocations are then filled with NaN first (tests of kernels that must write every output)} */
    public static boolean poisonDeviceMemory() {
        return Boolean.getBoolean("xent.poison");
    }

    /**
     * {@code -Dxent.stageBytes}: bytes per pinned staging buffer of the CUDA host-streaming path.
     *
     * @param dflt the caller's default, used when the property is unset, not a number, or below 1
     * @return the buffer size in bytes
     */
    public static long stageBytes(long dflt) {
        long v = Long.getLong("xent.stageBytes", dflt);
        return v < 1 ? dflt : v;
    }

    /** {@return each setting's name and the value in force, in a fixed order, for {@code xent info}} */
    public static Map<String, String> describe() {
        Map<String, String> m = new LinkedHashMap<>();
        String src = deviceOverrideSource();
        m.put(
                "xent.device / XENT_DEVICE",
                src == null ? "unset (auto: the probe decides)" : deviceOverride() + " (from " + src + ")");
        m.put("xent.blockElements", blockElements() + " input elements per row block");
        m.put("xent.cpu.vector", String.valueOf(cpuVector()));
        m.put("xent.cuda", String.valueOf(cudaEnabled()));
        m.put("xent.stageBytes", System.getProperty("xent.stageBytes", "default"));
        m.put("xent.poison", String.valueOf(poisonDeviceMemory()));
        return m;
    }
}
