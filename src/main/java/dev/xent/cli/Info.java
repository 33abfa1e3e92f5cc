package dev.xent.cli;

import dev.xent.cpu.CpuBackend;
import dev.xent.cuda.CudaProbe;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;

/** What a bug report needs: versions, JVM, cores, vector module, and what the CUDA probe found. */
final class Info {
    private Info() {}

    static String version() {
        return BUILD.getProperty("version", "unknown");
    }

    /** The commit the classes were built from ("-dirty" with local changes), or "unknown" (no git at build time). */
    static String commit() {
        return BUILD.getProperty("commit", "unknown");
    }

    private static final java.util.Properties BUILD = new java.util.Properties();

    static {
        try (java.io.InputStream in = Info.class.getResourceAsStream("/dev/xent/version.properties")) {
            if (in != null) BUILD.load(in);
        } catch (java.io.IOException e) {
            // the defaults above say "unknown"
        }
        // an unfiltered copy (classes compiled by an IDE, not Maven) holds the placeholders themselves
        BUILD.stringPropertyNames().forEach(k -> {
            if (BUILD.getProperty(k).startsWith("${")) BUILD.remove(k);
        });
    }

    static Map<String, Object> facts() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("xent", version());
        m.put("commit", commit());
        m.put(
                "java",
                System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ", "
                        + System.getProperty("java.vendor") + ")");
        m.put(
                "os",
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                        + System.getProperty("os.arch"));
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("max_heap_mib", Runtime.getRuntime().maxMemory() >> 20);
        m.put(
                "vector_module",
                CpuBackend.vectorModulePresent()
                        ? "on (jdk.incubator.vector)"
                        : "off (scalar loops; add --add-modules jdk.incubator.vector)");
        try (CpuBackend cpu = new CpuBackend()) {
            m.put("cpu_math", cpu.mathName() + ", " + cpu.threads() + " threads");
        }
        m.put("jcuda", "12.6.0");
        CudaProbe.Result r = CudaProbe.probe();
        m.put("cuda", r.describe());
        // what has a CUDA kernel; the rest of a request to --device cuda runs on the CPU path
        m.put(
                "cuda_kernels",
                dev.xent.cuda.Capability.ON_CUDA.stream()
                        .map(dev.xent.cuda.Capability::label)
                        .collect(java.util.stream.Collectors.joining(", ")));
        // what --device auto picks, and why: the note that eval prints only with --verbose
        dev.xent.Device auto = dev.xent.internal.BackendSelector.configured(dev.xent.Device.AUTO);
        m.put(
                "device_auto",
                auto != dev.xent.Device.AUTO
                        ? auto.name().toLowerCase(java.util.Locale.ROOT) + " (from "
                                + dev.xent.Settings.deviceOverrideSource() + ")"
                        : r.usable ? "cuda" : "cpu (CUDA is " + r.describe() + ")");
        dev.xent.Settings.describe().forEach(m::put);
        dev.xent.Settings.Tuning.describe().forEach((k, v) -> m.put("tuning." + k, v));
        return m;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"xent " + version() + " (commit " + commit() + ")"};
        }
    }
}
