package dev.xent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README promises that its Java example compiles and prints its result when pasted into {@code main}. This test does
 * exactly that with the first {@code ```java} block of README.md: wraps it in a class (imports above, the rest in
 * {@code main}), compiles it against the test class path, runs it in a child JVM started as README tells users to
 * start theirs, and checks the printed loss against the same problem computed here through the API. A child JVM
 * rather than reflection, so that the example's own stdout is what is checked and nothing this JVM has set up (system
 * properties, a captured System.out shared with other tests) can make a broken example pass.
 */
class ReadmeExampleTest {
    /** Maven runs tests in the module root, where README.md lives. */
    private static final Path README = Path.of("README.md");

    @Test
    void readmeJavaExampleCompilesRunsAndPrintsTheLoss(@TempDir Path dir) throws Exception {
        // The child runs with the vector module, as README says; the expected value must come from the same loops,
        // and the scalar fallback may differ from them in the last bits. So only in a JVM that has the module (not in
        // the surefire execution without it, which -Dtest=ReadmeExampleTest also reaches).
        assumeTrue(
                ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
                "this JVM lacks jdk.incubator.vector, so its loss would not be computed by the child's loops");
        String snippet = firstJavaBlock(Files.readString(README, StandardCharsets.UTF_8));
        Path source = dir.resolve("ReadmeExample.java");
        Files.writeString(source, wrapInMain(snippet), StandardCharsets.UTF_8);

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertTrue(javac != null, "no system Java compiler (a JRE rather than a JDK?)");
        String classPath = System.getProperty("java.class.path");
        java.io.ByteArrayOutputStream diagnostics = new java.io.ByteArrayOutputStream();
        int rc = javac.run(
                null,
                null,
                diagnostics,
                "--add-modules",
                "jdk.incubator.vector",
                "-proc:none",
                "-cp",
                classPath,
                "-d",
                dir.toString(),
                source.toString());
        assertEquals(
                0,
                rc,
                "README's Java example does not compile:\n" + diagnostics.toString(StandardCharsets.UTF_8)
                        + "\n--- as compiled ---\n" + Files.readString(source));

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(
                        java,
                        "--add-modules",
                        "jdk.incubator.vector",
                        "-Xmx512m",
                        "-cp",
                        dir + File.pathSeparator + classPath,
                        "ReadmeExample")
                .redirectError(ProcessBuilder.Redirect.DISCARD) // the JVM's incubator notice; failures show in rc
                .start();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(2, TimeUnit.MINUTES), "README's example did not finish");
        assertEquals(0, child.exitValue(), "README's example failed; its stdout:\n" + out);

        // The problem README's example states, computed here on the same device choice. If README's inputs change,
        // this copy must change with them: the test checks that the printed value is the API's answer to it.
        double expected;
        try (Xent xent = Xent.open(Device.AUTO)) {
            Tensor logits = Tensor.of(new float[] {3.2f, 1.3f, 0.2f, 0.8f, 1.2f, 4.1f, 3.8f, 0.1f}, 2, 4);
            Tensor target = Tensor.of(new long[] {0, 2}, 2);
            LossSpec spec = LossSpec.builder()
                    .reduction(Reduction.MEAN)
                    .ignoreIndex(-100)
                    .labelSmoothing(0.1)
                    .weights(1f, 2f, 1f, 1f)
                    .build();
            expected = xent.crossEntropy(logits, target, spec).value();
        }
        String line = out.lines()
                .filter(l -> l.startsWith("loss = "))
                .findFirst()
                .orElseThrow(() -> new AssertionError("README's example printed no 'loss = ' line:\n" + out));
        // exact: the same inputs on the same device give the same bits (the reduction is an exact sum rounded once)
        assertEquals(
                expected, Double.parseDouble(line.substring("loss = ".length()).strip()), 0.0, out);
    }

    static String firstJavaBlock(String markdown) {
        int open = markdown.indexOf("```java\n");
        assertTrue(open >= 0, "README.md has no ```java block");
        int start = open + "```java\n".length();
        int end = markdown.indexOf("\n```", start);
        assertTrue(end > start, "README.md's first ```java block is not closed");
        return markdown.substring(start, end + 1);
    }

    /** Imports go above the class; everything else is the body of main, as a user pasting it would have it. */
    static String wrapInMain(String snippet) {
        List<String> imports = new ArrayList<>();
        StringBuilder body = new StringBuilder();
        for (String line : snippet.split("\n", -1)) {
            if (line.startsWith("import ")) imports.add(line);
            else body.append("        ").append(line).append('\n');
        }
        return String.join("\n", imports) + "\n\npublic class ReadmeExample {\n"
                + "    public static void main(String[] args) throws Exception {\n" + body + "    }\n}\n";
    }
}
