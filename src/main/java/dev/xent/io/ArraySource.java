package dev.xent.io;

import dev.xent.InvalidInputException;
import dev.xent.Tensor;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Where an array comes from, as a user names it on the command line: {@code file.npy}; {@code file.npz} (its only
 * array) or {@code file.npz:NAME}; {@code file.safetensors} (its only tensor) or {@code file.safetensors:NAME}; and a
 * glob of any of these ({@code 'shards/*.npy'}, quoted so the shell leaves it alone), which names every matching
 * file in lexicographic order of its path, as a shell would list them.
 */
public final class ArraySource {
    public final Path file;
    /** The array's name inside an .npz or safetensors file, or null. */
    public final String member;

    private ArraySource(Path file, String member) {
        this.file = file;
        this.member = member;
    }

    /** The sources {@code spec} names: one, or every file a glob matches (at least one, or an error). */
    public static List<ArraySource> resolve(String spec) {
        String path = spec, member = null;
        int colon = spec.lastIndexOf(':');
        if (colon > 0 && !Files.exists(Path.of(spec))) {
            String head = spec.substring(0, colon).toLowerCase(Locale.ROOT);
            if (head.endsWith(".npz") || head.endsWith(".safetensors")) {
                path = spec.substring(0, colon);
                member = spec.substring(colon + 1);
                if (member.isEmpty()) throw new InvalidInputException(spec + ": an empty array name after ':'");
            }
        }
        List<ArraySource> out = new ArrayList<>();
        if (hasGlob(path) && !Files.exists(Path.of(path))) {
            for (Path p : glob(path)) out.add(new ArraySource(p, member));
            if (out.isEmpty()) throw new InvalidInputException(spec + ": no file matches");
        } else {
            out.add(new ArraySource(Path.of(path), member));
        }
        return out;
    }

    /** Every source of every spec, in order. */
    public static List<ArraySource> resolveAll(List<String> specs) {
        List<ArraySource> out = new ArrayList<>();
        for (String s : specs) out.addAll(resolve(s));
        return out;
    }

    /** Opens the array (memory-mapped; nothing is copied to the heap). */
    public Tensor open() {
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".npz")) return Npz.read(file, member);
        if (name.endsWith(".safetensors")) return SafeTensors.read(file, member);
        if (member != null) throw new InvalidInputException(this + ": only .npz and .safetensors files hold named arrays");
        return Npy.read(file);
    }

    /** Opens every source and concatenates them along axis 0 (the shards of one array). */
    public static Tensor openAll(List<ArraySource> sources) {
        if (sources.size() == 1) return sources.get(0).open();
        List<Tensor> parts = new ArrayList<>();
        for (ArraySource s : sources) parts.add(s.open());
        try {
            return Tensor.concat(parts);
        } catch (InvalidInputException e) {
            throw new InvalidInputException("shards " + sources.get(0) + " ... " + sources.get(sources.size() - 1) + ": " + e.getMessage());
        }
    }

    private static boolean hasGlob(String s) {
        return s.indexOf('*') >= 0 || s.indexOf('?') >= 0 || s.indexOf('[') >= 0 || s.indexOf('{') >= 0;
    }

    /** Files matching a glob; the directories before its first wildcard are where the search starts. */
    private static List<Path> glob(String pattern) {
        Path p = Path.of(pattern);
        Path base = p.isAbsolute() ? p.getRoot() : Path.of("");
        int first = 0;
        for (; first < p.getNameCount(); first++) {
            String part = p.getName(first).toString();
            if (hasGlob(part)) break;
            base = base.resolve(part);
        }
        Path rest = p.subpath(first, p.getNameCount());
        int depth = rest.getNameCount();
        PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + rest.toString());
        boolean dotted = rest.getFileName().toString().startsWith(".");
        Path from = base;
        Path start = from.toString().isEmpty() ? Path.of(".") : from;
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(start)) return out;
        try (Stream<Path> s = Files.find(start, depth, (f, a) -> {
            Path rel = start.relativize(f);
            return rel.getNameCount() == depth && m.matches(rel) && !a.isDirectory()
                    && (dotted || !f.getFileName().toString().startsWith("."));
        })) {
            s.forEach(f -> out.add(from.toString().isEmpty() ? start.relativize(f) : f));
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new InvalidInputException(pattern + ": cannot list " + start + ": " + e.getMessage());
        }
        out.sort((a, b) -> a.toString().compareTo(b.toString()));
        return out;
    }

    @Override public String toString() { return member == null ? file.toString() : file + ":" + member; }
}
