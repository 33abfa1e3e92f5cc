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

    /**
     * The tuning thresholds: fixed in the code, where they were measured (docs/ records how), gathered here so that
     * one place documents them and {@code xent info} prints them. Changing one changes speed, never a result's bits
     * (the tests hold every path to the same values for any blocking, grouping and threading).
     */
    public static final class Tuning {
        private Tuning() {}

        /**
         * CPU: a call over fewer input elements runs on the calling thread; handing it to the pool costs more (on the
         * machines measured, a few hundred rows of 1000 classes: the measurements are in the commit that set it).
         */
        public static final long CPU_PARALLEL_ELEMENTS = 1 << 20;
        /** CPU: elements of one group of rows copied from outside the heap, about a quarter of a core's L2 in float32. */
        public static final int CPU_GROUP_ELEMENTS = 1 << 16;
        /**
         * CPU: rows of at most this many classes take the group stats (transposed in groups of rows below 4 vectors,
         * one row at a time in two passes above).
         */
        public static final int CPU_SHORT_ROW_MAX_CLASSES = 256;
        /** CPU: values per block of the one-pass row loop (each block summed against the running max). */
        public static final int CPU_ROW_BLOCK = 4096;
        /** CUDA: up to this many classes a row gets at most one warp; longer rows a block each. */
        public static final int CUDA_WARP_ROW_MAX_CLASSES = 2048;
        /** CUDA: a row split across blocks gets slices of at least this many classes. */
        public static final int CUDA_MIN_SLICE_CLASSES = 8192;
        /** CUDA: bytes per pinned staging buffer of the host-streaming path (default of {@code -Dxent.stageBytes}). */
        public static final long CUDA_STAGE_BYTES = 64L << 20;
        /** I/O: bytes per mapped segment of an input file (one mapping holds at most 2 GiB). */
        public static final long IO_SEGMENT_BYTES = 1L << 30;
        /** I/O: inputs up to this size are read into the heap (each mapping counts against a per-process limit). */
        public static final long IO_SMALL_BYTES = 64 << 10;
        /** I/O: bytes an output writer buffers between writes. */
        public static final int IO_WRITE_BUFFER_BYTES = 4 << 20;

        /** {@return each threshold's name and value, in a fixed order} */
        public static Map<String, String> describe() {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("cpu.parallelElements", String.valueOf(CPU_PARALLEL_ELEMENTS));
            m.put("cpu.groupElements", String.valueOf(CPU_GROUP_ELEMENTS));
            m.put("cpu.shortRowMaxClasses", String.valueOf(CPU_SHORT_ROW_MAX_CLASSES));
            m.put("cpu.rowBlock", String.valueOf(CPU_ROW_BLOCK));
            m.put("cuda.warpRowMaxClasses", String.valueOf(CUDA_WARP_ROW_MAX_CLASSES));
            m.put("cuda.minSliceClasses", String.valueOf(CUDA_MIN_SLICE_CLASSES));
            m.put("cuda.stageBytes", String.valueOf(CUDA_STAGE_BYTES));
            m.put("io.segmentBytes", String.valueOf(IO_SEGMENT_BYTES));
            m.put("io.smallBytes", String.valueOf(IO_SMALL_BYTES));
            m.put("io.writeBufferBytes", String.valueOf(IO_WRITE_BUFFER_BYTES));
            return m;
        }
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
