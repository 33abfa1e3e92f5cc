package dev.xent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every cuda/*.ptx assembles with ptxas for several targets, from the one it declares (.target sm_75: CUDA 13's ptxas
 * starts there, so sm_70 could no longer be assembled, nor tested) to Hopper. A target the installed ptxas does not
 * know is skipped, visibly.
 */
class PtxAssembleTest {
    static final String[] TARGETS = {"sm_75", "sm_80", "sm_90"};

    static Stream<Arguments> filesAndTargets() throws IOException {
        List<Arguments> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("cuda"))) {
            for (Path p : (Iterable<Path>) s.filter(f -> f.toString().endsWith(".ptx")).sorted()::iterator) {
                for (String t : TARGETS) out.add(Arguments.of(p.getFileName().toString(), t));
            }
        }
        assertFalse(out.isEmpty(), "no .ptx files under cuda/");
        return out.stream();
    }

    static String ptxas() {
        for (String c : new String[] {"ptxas", "/usr/local/bin/ptxas", "/usr/local/cuda/bin/ptxas"}) {
            try {
                Process p = new ProcessBuilder(c, "--version").redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (p.waitFor() == 0) return c;
            } catch (IOException | InterruptedException e) {
                // try the next
            }
        }
        return null;
    }

    @ParameterizedTest(name = "{0} for {1}")
    @MethodSource("filesAndTargets")
    void assembles(String file, String target) throws Exception {
        String ptxas = ptxas();
        assumeTrue(ptxas != null, "ptxas is not installed here (not on PATH, /usr/local/bin or /usr/local/cuda/bin): PTX not assembled");
        Path cubin = Files.createTempFile("xent", ".cubin");
        try {
            Process p = new ProcessBuilder(ptxas, "-arch=" + target, "-o", cubin.toString(), "cuda/" + file).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(true, p.waitFor(60, TimeUnit.SECONDS), "ptxas timed out");
            assumeFalse(p.exitValue() != 0 && out.contains("is not defined for option 'gpu-name'"),
                    "this ptxas does not support " + target + ": " + out.trim());
            assertEquals(0, p.exitValue(), "ptxas -arch=" + target + " cuda/" + file + ":\n" + out);
            assertFalse(out.toLowerCase().contains("error"), out);
        } finally {
            Files.deleteIfExists(cubin);
        }
    }
}
