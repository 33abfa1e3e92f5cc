package dev.xent.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import jcuda.driver.CUdeviceptr;
import org.junit.jupiter.api.Test;

/**
 * Each {@code .entry} of cuda/*.ptx has a method of {@link Kernels} of its name whose parameters, after the launch
 * shape, are the entry's {@code .param} list: same count, same order, same names (less {@code p_}), and a Java type
 * that fits the PTX type. A kernel that gains, loses or reorders a parameter fails here, with no GPU needed.
 */
class KernelsAbiTest {
    private static final Pattern ENTRY = Pattern.compile("\\.entry\\s+(\\w+)\\s*\\(([^)]*)\\)");
    private static final Pattern PARAM = Pattern.compile("\\.param\\s+(?:\\.align\\s+\\d+\\s+)?\\.(\\w+)\\s+(\\w+)");

    /** One {@code .param}: its PTX type (u32, u64, s64, f32, ...) and its name. */
    record Param(String type, String name) {}

    /** The entries of a PTX text and their parameters, in order. */
    static Map<String, List<Param>> entries(String ptx) {
        String text = ptx.replaceAll("//[^\\n]*", "");
        Map<String, List<Param>> out = new LinkedHashMap<>();
        Matcher e = ENTRY.matcher(text);
        while (e.find()) {
            List<Param> ps = new ArrayList<>();
            Matcher m = PARAM.matcher(e.group(2));
            while (m.find()) ps.add(new Param(m.group(1), m.group(2)));
            out.put(e.group(1), ps);
        }
        return out;
    }

    static Map<String, List<Param>> packagedEntries() throws IOException {
        Map<String, List<Param>> all = new LinkedHashMap<>();
        try (Stream<Path> s = Files.list(Path.of("cuda"))) {
            for (Path p : (Iterable<Path>)
                    s.filter(f -> f.toString().endsWith(".ptx")).sorted()::iterator) {
                all.putAll(entries(Files.readString(p, StandardCharsets.UTF_8)));
            }
        }
        return all;
    }

    /** The typed methods of {@link Kernels}: those named as a PTX entry is, {@code xent_...}. */
    static Map<String, Method> typedMethods() {
        Map<String, Method> out = new LinkedHashMap<>();
        for (Method m : Kernels.class.getDeclaredMethods()) {
            if (m.getName().startsWith("xent_") && !Modifier.isPrivate(m.getModifiers())) {
                Method old = out.put(m.getName(), m);
                assertTrue(old == null, "Kernels." + m.getName() + " is overloaded: one method per entry");
            }
        }
        return out;
    }

    /** What does not match between an entry's parameters and a typed method's, one line each; empty when they agree. */
    static List<String> mismatches(String entry, List<Param> ptx, Method m) {
        List<String> bad = new ArrayList<>();
        Parameter[] js = m.getParameters();
        if (js.length == 0 || js[0].getType() != Kernels.Launch.class) {
            bad.add(entry + ": the first parameter must be the launch shape (Kernels.Launch)");
            return bad;
        }
        if (js.length - 1 != ptx.size())
            bad.add(entry + ": " + ptx.size() + " .params in the PTX, " + (js.length - 1) + " in Kernels." + entry);
        for (int i = 0; i < Math.min(ptx.size(), js.length - 1); i++) {
            Param p = ptx.get(i);
            Parameter j = js[i + 1];
            String want = p.name().startsWith("p_") ? p.name().substring(2) : p.name();
            if (!j.getName().equals(want))
                bad.add(entry + " param " + i + ": PTX " + p.name() + ", Java " + j.getName());
            if (!fits(p.type(), j.getType()))
                bad.add(entry + " param " + i + " (" + p.name() + "): PTX ." + p.type() + ", Java "
                        + j.getType().getSimpleName());
        }
        return bad;
    }

    /** A device pointer is a .u64; so is a u64 count (inner). */
    static boolean fits(String ptxType, Class<?> java) {
        switch (ptxType) {
            case "u64":
                return java == CUdeviceptr.class || java == long.class;
            case "s64":
                return java == long.class;
            case "u32":
            case "s32":
            case "b32":
                return java == int.class;
            case "f32":
                return java == float.class;
            default:
                return false;
        }
    }

    @Test
    void parameterNamesAreCompiledIn() {
        for (Method m : typedMethods().values())
            for (Parameter p : m.getParameters())
                assertTrue(p.isNamePresent(), "compile with -parameters (pom.xml): " + m.getName() + " has no names");
    }

    @Test
    void everyEntryHasATypedMethodThatMirrorsItsParams() throws IOException {
        Map<String, List<Param>> entries = packagedEntries();
        assertFalse(entries.isEmpty(), "no .entry found under cuda/");
        Map<String, Method> methods = typedMethods();
        assertEquals(new TreeSet<>(entries.keySet()), new TreeSet<>(methods.keySet()), "entries vs Kernels methods");
        List<String> bad = new ArrayList<>();
        entries.forEach((name, ps) -> bad.addAll(mismatches(name, ps, methods.get(name))));
        assertEquals(List.of(), bad);
    }

    @Test
    void anEntryThatGainsAParamIsCaught() throws IOException {
        String ptx = Files.readString(Path.of("cuda/xent.ptx"), StandardCharsets.UTF_8);
        String grown = ptx.replace(
                "    .param .u64 p_partial       // float64 [gridDim][2]",
                "    .param .u64 p_partial,      // float64 [gridDim][2]\n    .param .u32 p_extra");
        assertFalse(grown.equals(ptx), "the xent_reduce .param line this test edits has changed");
        List<Param> reduce = entries(grown).get("xent_reduce");
        assertEquals(5, reduce.size());
        List<String> bad = mismatches("xent_reduce", reduce, typedMethods().get("xent_reduce"));
        assertEquals(List.of("xent_reduce: 5 .params in the PTX, 4 in Kernels.xent_reduce"), bad);
        List<Param> swapped = new ArrayList<>(entries(ptx).get("xent_softmax_rows"));
        swapped.add(0, swapped.remove(1));
        assertFalse(mismatches("xent_softmax_rows", swapped, typedMethods().get("xent_softmax_rows"))
                .isEmpty());
    }
}
