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
        String v = Info.class.getPackage().getImplementationVersion();
        return v == null ? "0.1.0-SNAPSHOT (classes)" : v;
    }

    static Map<String, Object> facts() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("xent", version());
        m.put("java", System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ", " + System.getProperty("java.vendor") + ")");
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("max_heap_mib", Runtime.getRuntime().maxMemory() >> 20);
        m.put("vector_module", CpuBackend.vectorModulePresent() ? "on (jdk.incubator.vector)" : "off (scalar loops; add --add-modules jdk.incubator.vector)");
        try (CpuBackend cpu = new CpuBackend()) {
            m.put("cpu_math", cpu.mathName() + ", " + cpu.threads() + " threads");
        }
        m.put("jcuda", "12.6.0");
        CudaProbe.Result r = CudaProbe.probe();
        m.put("cuda", r.describe());
        dev.xent.Settings.describe().forEach(m::put);
        return m;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() { return new String[] {"xent " + version()}; }
    }
}
