package dev.xent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.Tensor;
import dev.xent.io.Npy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A successful run prints its result and nothing else on stderr; --verbose adds the device note. Each command runs in
 * a child JVM, as scripts/xent starts it: logging levels are fixed per process, so an in-process run cannot tell.
 * The JVM's own incubator-module line is the one line allowed here (scripts/xent drops it).
 */
class QuietTest {
    private static final String INCUBATOR = "WARNING: Using incubator modules: jdk.incubator.vector";

    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {}

    private Run xent(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElse("java"),
                "--add-modules",
                "jdk.incubator.vector",
                "-Xmx256m",
                "-cp",
                System.getProperty("java.class.path"),
                "dev.xent.cli.Main"));
        cmd.addAll(List.of(args));
        Path out = dir.resolve("out.txt"), err = dir.resolve("err.txt");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().remove("XENT_DEVICE");
        Process p = pb.start();
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), "xent " + String.join(" ", args) + " did not finish");
        String e = Files.readString(err, StandardCharsets.UTF_8);
        if (e.startsWith(INCUBATOR + "\n")) e = e.substring(INCUBATOR.length() + 1);
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), e);
    }

    private String[] eval(String device, String... more) {
        Path l = dir.resolve("l.npy"), t = dir.resolve("t.npy");
        Npy.write(l, Tensor.of(new float[] {3.2f, 1.3f, 0.2f, 0.8f, 1.2f, 4.1f, 3.8f, 0.1f}, 2, 4));
        Npy.write(t, Tensor.of(new long[] {0, 2}, 2));
        List<String> a = new ArrayList<>(
                List.of("eval", "--logits", l.toString(), "--targets", t.toString(), "--device", device));
        a.addAll(List.of(more));
        return a.toArray(new String[0]);
    }

    @Test
    void evalOnCpuAndAutoPrintsNothingOnStderr() throws Exception {
        for (String device : new String[] {"cpu", "auto"}) {
            Run r = xent(eval(device));
            assertEquals(0, r.code, r.err);
            assertTrue(r.out.startsWith("loss (mean): "), r.out);
            assertEquals("", r.err, "--device " + device + ": stderr of a successful eval");
        }
    }

    @Test
    void verboseSaysWhichDeviceAutoChose() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(
                dev.xent.cuda.CudaProbe.probe().usable, "auto picks the GPU here, silently");
        Run r = xent(eval("auto", "--verbose"));
        assertEquals(0, r.code, r.err);
        assertTrue(r.err.contains("using the CPU: CUDA is unusable"), r.err);
    }

    @Test
    void versionNamesTheCommit() throws Exception {
        Run r = xent("--version");
        assertEquals(0, r.code, r.err);
        // a 12-digit commit (maybe "-dirty") where git was there at build time, else "unknown"
        assertTrue(r.out.trim().matches("xent \\S+ \\(commit ([0-9a-f]{12}(-dirty)?|unknown)\\)"), r.out);
        assertTrue(!r.out.contains("${"), "filtered at build time: " + r.out);
    }
}
