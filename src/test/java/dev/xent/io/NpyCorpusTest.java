package dev.xent.io;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.xent.DType;
import dev.xent.InvalidInputException;
import dev.xent.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every .npy file of src/test/resources/npy-corpus (scripts/npy-corpus.py) read by {@link Npy#read} against the verdict
 * np.load gave on it: what numpy refuses xent refuses, naming the file; what numpy accepts xent accepts with the same
 * shape, unless it is one of xent's documented refusals (a dtype other than float16/32/64, int8/16/32/64, uint8 and
 * bool, big-endian data, structured descriptors, a spelling of the dtype other than its type code, or a Fortran-order
 * array with more than one axis longer than 1), which must then be an {@link InvalidInputException} that says so.
 */
class NpyCorpusTest {
    @TempDir
    Path dir;

    /** numpy's dtype.str of the types xent reads, and the type it reads them as. */
    private static final Map<String, DType> SUPPORTED = Map.of(
            "<f2", DType.F16, "<f4", DType.F32, "<f8", DType.F64, "<i8", DType.I64, "<i4", DType.I32, "<i2", DType.I32,
            "|i1", DType.I32, "|u1", DType.I32, "|b1", DType.I32);
    /** The type codes xent must take, with '<', '|', '=' or no byte order before them. */
    private static final Set<String> CODES = Set.of("f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "b1");

    private static final List<String> REFUSAL_WORDS = List.of("unsupported", "big-endian", "Fortran", "structured");
    private static final long TIMEOUT_MS = 10_000;

    @Test
    void agreesWithNumpyOnEveryCase() throws Exception {
        JsonNode doc;
        try (InputStream in = NpyCorpusTest.class.getResourceAsStream("/npy-corpus/corpus.json")) {
            assertTrue(
                    in != null,
                    "src/test/resources/npy-corpus/corpus.json is missing: run python3 scripts/npy-corpus.py");
            doc = new ObjectMapper().readTree(in);
        }
        JsonNode cases = doc.get("cases");
        assertTrue(cases.size() > 1000, "the corpus has only " + cases.size() + " cases");
        List<String> mismatches = new ArrayList<>();
        ExecutorService pool = newPool();
        int index = 0, accepted = 0;
        try {
            for (JsonNode c : cases) {
                Path file = dir.resolve("case-" + index++ + ".npy");
                Files.write(file, Base64.getDecoder().decode(c.get("b64").asText()));
                if ("accept".equals(c.get("numpy").asText())) accepted++;
                Future<String> verdict = pool.submit(() -> check(c, file));
                String problem;
                try {
                    problem = verdict.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    verdict.cancel(true);
                    pool.shutdownNow();
                    pool = newPool(); // the stuck thread is a daemon: it cannot hold up the JVM
                    problem = "no answer within " + TIMEOUT_MS + " ms";
                } catch (ExecutionException e) {
                    problem = "the check itself failed: " + e.getCause();
                }
                if (problem != null) mismatches.add(shorten(c.get("name").asText() + ": " + problem));
                deleteQuietly(file);
            }
        } finally {
            pool.shutdownNow();
        }
        assertTrue(
                mismatches.isEmpty(),
                mismatches.size() + " of " + cases.size() + " cases (" + accepted + " accepted by numpy "
                        + doc.get("numpy").asText() + ") disagree with np.load:\n  " + String.join("\n  ", mismatches));
    }

    /** Why xent's answer on {@code file} differs from numpy's, or null. */
    private static String check(JsonNode c, Path file) {
        String why = c.path("why").asText();
        Tensor t;
        try {
            t = Npy.read(file);
        } catch (InvalidInputException e) {
            String m = String.valueOf(e.getMessage());
            if (!m.startsWith(file.toString())) return "the message does not start with the file name: " + m;
            if (!"accept".equals(c.get("numpy").asText())) return null;
            if (mustAccept(c))
                return "numpy accepts " + c.get("dtype").asText() + " " + c.get("shape")
                        + (why.isEmpty() ? "" : " (" + why + ")") + " but xent refuses: " + m;
            for (String w : REFUSAL_WORDS) {
                if (m.contains(w)) return null;
            }
            return "numpy accepts " + c.get("dtype").asText() + " " + c.get("shape") + "; xent's refusal names none of "
                    + REFUSAL_WORDS + ": " + m;
        } catch (Throwable e) { // StackOverflowError, NullPointerException, ArithmeticException ...: never acceptable
            return "threw " + e + " instead of InvalidInputException";
        }
        if (!"accept".equals(c.get("numpy").asText())) {
            return "numpy refuses (" + why + ") but xent accepts " + t.dtype() + " " + Arrays.toString(t.shape());
        }
        DType want = SUPPORTED.get(c.get("dtype").asText());
        if (want == null || c.path("descr").isNull() || fortranDivergence(c)) {
            return "xent accepts " + t.dtype() + " " + Arrays.toString(t.shape()) + " where it should refuse numpy's "
                    + c.get("dtype").asText() + (fortranDivergence(c) ? " (Fortran order)" : "");
        }
        long[] shape = shape(c);
        if (!Arrays.equals(shape, t.shape()))
            return "shape " + Arrays.toString(t.shape()) + ", numpy " + Arrays.toString(shape);
        if (t.dtype() != want)
            return "dtype " + t.dtype() + ", numpy " + c.get("dtype").asText() + " (" + want + ")";
        return null;
    }

    /** numpy accepts a type xent reads, spelled as its type code, in C order or a Fortran order that is the same. */
    private static boolean mustAccept(JsonNode c) {
        if (!SUPPORTED.containsKey(c.get("dtype").asText()) || fortranDivergence(c)) return false;
        JsonNode d = c.path("descr");
        if (!d.isTextual()) return false;
        String s = d.asText();
        if (!s.isEmpty() && "<|=".indexOf(s.charAt(0)) >= 0) s = s.substring(1);
        return CODES.contains(s);
    }

    private static boolean fortranDivergence(JsonNode c) {
        if (!c.path("fortran").asBoolean(false)) return false;
        int longer = 0;
        for (long d : shape(c)) if (d > 1) longer++;
        return longer > 1;
    }

    private static long[] shape(JsonNode c) {
        JsonNode s = c.get("shape");
        long[] out = new long[s.size()];
        for (int i = 0; i < out.length; i++) out[i] = s.get(i).asLong();
        return out;
    }

    /** One line of at most 400 characters per case, so that a failure stays readable. */
    private static String shorten(String s) {
        String one = s.replace("\n", "\\n");
        return one.length() > 400 ? one.substring(0, 400) + "..." : one;
    }

    private static ExecutorService newPool() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread th = new Thread(r, "npy-corpus");
            th.setDaemon(true);
            return th;
        });
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // left for @TempDir to remove
        }
    }
}
