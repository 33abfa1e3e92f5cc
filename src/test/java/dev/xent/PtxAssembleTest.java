package dev.xent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;
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
 * Every cuda/*.ptx assembles with ptxas for several targets, from the one it declares (.target sm_70, Volta) to Hopper.
 * CUDA 13's ptxas, the one these machines ship, starts at sm_75, so a target it does not know goes to the next ptxas
 * found: scripts/setup fetches CUDA 11.8's into tools/ptxas-cuda11.8/. With no ptxas at all the test is skipped,
 * visibly; with none that knows the target it fails.
 */
class PtxAssembleTest {
    static final String[] TARGETS = {"sm_70", "sm_75", "sm_80", "sm_90"};
    static final String[] PTXAS = {
        "ptxas", "/usr/local/bin/ptxas", "/usr/local/cuda/bin/ptxas", "tools/ptxas-cuda11.8/ptxas"
    };

    static Stream<Arguments> filesAndTargets() throws IOException {
        List<Arguments> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("cuda"))) {
            for (Path p : (Iterable<Path>)
                    s.filter(f -> f.toString().endsWith(".ptx")).sorted()::iterator) {
                for (String t : TARGETS) out.add(Arguments.of(p.getFileName().toString(), t));
            }
        }
        assertFalse(out.isEmpty(), "no .ptx files under cuda/");
        return out.stream();
    }

    private static final List<String> INSTALLED = installedPtxas();

    /** The ptxas programs that run here, in the order of {@link #PTXAS}. */
    static List<String> installedPtxas() {
        List<String> found = new ArrayList<>();
        for (String c : PTXAS) {
            try {
                Process p = new ProcessBuilder(c, "--version")
                        .redirectErrorStream(true)
                        .start();
                p.getInputStream().readAllBytes();
                if (p.waitFor() == 0) found.add(c);
            } catch (IOException | InterruptedException e) {
                // not here
            }
        }
        return found;
    }

    @ParameterizedTest(name = "{0} for {1}")
    @MethodSource("filesAndTargets")
    void assembles(String file, String target) throws Exception {
        List<String> all = INSTALLED;
        assumeTrue(!all.isEmpty(), "ptxas is not installed here (" + String.join(", ", PTXAS) + "): PTX not assembled");
        Path cubin = Files.createTempFile("xent", ".cubin");
        try {
            for (String ptxas : all) {
                Process p = new ProcessBuilder(ptxas, "-arch=" + target, "-o", cubin.toString(), "cuda/" + file)
                        .redirectErrorStream(true)
                        .start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertEquals(true, p.waitFor(60, TimeUnit.SECONDS), "ptxas timed out");
                if (p.exitValue() != 0 && out.contains("is not defined for option 'gpu-name'"))
                    continue; // too new or too old for it
                assertEquals(0, p.exitValue(), ptxas + " -arch=" + target + " cuda/" + file + ":\n" + out);
                assertFalse(out.toLowerCase().contains("error"), out);
                return;
            }
            fail("no ptxas here knows " + target + " (" + String.join(", ", all)
                    + "): run scripts/setup, which fetches CUDA 11.8's for sm_70");
        } finally {
            Files.deleteIfExists(cubin);
        }
    }
}
