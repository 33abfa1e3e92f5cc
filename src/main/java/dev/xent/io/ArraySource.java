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

/**
 * Where an array comes from, as a user names it on the command line: {@code file.npy}; {@code file.npz} (its only
 * array) or {@code file.npz:NAME}; {@code file.safetensors} (its only tensor) or {@code file.safetensors:NAME}; and a
 * glob of any of these ({@code 'shards/*.npy'}, quoted so the shell leaves it alone), which names every matching
 * file in lexicographic order of its path, as a shell would list them.
 */
public final class ArraySource {
    /** The file that holds the array: .npy, .npz or .safetensors. */
    public final Path file;
    /** The array's name inside an .npz or safetensors file, or null. */
    public final String member;

    private ArraySource(Path file, String member) {
        this.file = file;
        this.member = member;
    }

    /**
     * The array {@code member} (null: the file's only one, or a .npy) of {@code file}.
     *
     * @param file the file; nothing is checked or opened yet
     * @param member the array's name in an .npz or safetensors file, or null
     * @return the source
     */
    public static ArraySource of(Path file, String member) {
        return new ArraySource(file, member);
    }

    /**
     * The sources {@code spec} names: one, or every file a glob matches (at least one, or an error).
     *
     * @param spec a path, {@code FILE.npz:NAME} or {@code FILE.safetensors:NAME}, or a glob of paths; a path that
     *     exists is taken as it is, even if it holds ':' or glob characters
     * @return the sources, in lexicographic order of their paths for a glob
     * @throws InvalidInputException for an empty name after ':', an invalid glob, or a glob that matches nothing
     */
    public static List<ArraySource> resolve(String spec) {
        String path = spec, member = null;
        if (!Files.exists(Path.of(spec))) { // FILE.npz:NAME: the first ':' after such a file name (NAME may hold ':')
            for (int colon = spec.indexOf(':'); colon > 0; colon = spec.indexOf(':', colon + 1)) {
                String head = spec.substring(0, colon).toLowerCase(Locale.ROOT);
                if (head.endsWith(".npz") || head.endsWith(".safetensors")) {
                    path = spec.substring(0, colon);
                    member = spec.substring(colon + 1);
                    if (member.isEmpty()) throw new InvalidInputException(spec + ": an empty array name after ':'");
                    break;
                }
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

    /**
     * Every source of every spec, in order.
     *
     * @param specs specs as {@link #resolve} reads them
     * @return their sources, one spec's after another's
     * @throws InvalidInputException as {@link #resolve} does
     */
    public static List<ArraySource> resolveAll(List<String> specs) {
        List<ArraySource> out = new ArrayList<>();
        for (String s : specs) out.addAll(resolve(s));
        return out;
    }

    /**
     * Opens the array (memory-mapped; nothing is copied to the heap).
     *
     * @return the array, read in place (a deflated .npz member is inflated to a temporary file first)
     * @throws InvalidInputException if the file cannot be read, is not a valid file of its kind, or lacks the member
     */
    public Tensor open() {
        String name =
                file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".npz")) return Npz.read(file, member);
        if (name.endsWith(".safetensors")) return SafeTensors.read(file, member);
        if (member != null)
            throw new InvalidInputException(this + ": only .npz and .safetensors files hold named arrays");
        return Npy.read(file);
    }

    /** Shards one command may name: each large one is a mapping, and the kernel limits mappings per process. */
    public static final int MAX_SHARDS = 20000;

    /** {@return the array's dtype as xent reads it, from its header alone} */
    public dev.xent.DType dtype() {
        String name =
                file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".npz")) return Npz.header(file, member).dtype;
        if (name.endsWith(".safetensors")) return open().dtype(); // mapping reads no data
        if (member != null)
            throw new InvalidInputException(this + ": only .npz and .safetensors files hold named arrays");
        return Npy.header(file).dtype;
    }

    /** {@return the array's shape, from its header alone (no data is mapped, a compressed member is not inflated)} */
    public long[] shape() {
        String name =
                file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".npz")) return Npz.header(file, member).shape.clone();
        if (name.endsWith(".safetensors")) {
            List<SafeTensors.Entry> entries = SafeTensors.entries(file);
            if (member == null) {
                if (entries.size() != 1) return open().shape(); // the same error as opening it
                return entries.get(0).shape.clone();
            }
            for (SafeTensors.Entry e : entries) if (e.name.equals(member)) return e.shape.clone();
            return open().shape(); // names the missing tensor as opening does
        }
        if (member != null)
            throw new InvalidInputException(this + ": only .npz and .safetensors files hold named arrays");
        return Npy.header(file).shape.clone();
    }

    /**
     * Opens every source and concatenates them along axis 0 (the shards of one array).
     *
     * @param sources one or more sources, at most {@link #MAX_SHARDS}
     * @return the concatenation, without copying
     * @throws InvalidInputException if a source cannot be opened, or the shards' dtypes or trailing shapes differ
     */
    public static Tensor openAll(List<ArraySource> sources) {
        return concat(sources, openEach(sources));
    }

    /**
     * Opens every source once.
     *
     * @param sources at most {@link #MAX_SHARDS} sources
     * @return one tensor per source, in order
     * @throws InvalidInputException for too many sources, or a source that cannot be opened
     */
    public static List<Tensor> openEach(List<ArraySource> sources) {
        if (sources.size() > MAX_SHARDS) {
            throw new InvalidInputException(sources.get(0) + " ...: " + sources.size() + " shards; at most "
                    + MAX_SHARDS + " (each is a memory mapping): merge them into fewer files");
        }
        List<Tensor> parts = new ArrayList<>();
        for (ArraySource s : sources) parts.add(s.open());
        return parts;
    }

    /**
     * The opened shards of {@code sources} as one array: their concatenation along axis 0.
     *
     * @param sources the sources, named in the error message
     * @param parts their tensors, one per source
     * @return the concatenation (the only part, for one)
     * @throws InvalidInputException if the parts' dtypes or trailing shapes differ
     */
    public static Tensor concat(List<ArraySource> sources, List<Tensor> parts) {
        if (parts.size() == 1) return parts.get(0);
        try {
            return Tensor.concat(parts);
        } catch (InvalidInputException e) {
            throw new InvalidInputException(
                    "shards " + sources.get(0) + " ... " + sources.get(sources.size() - 1) + ": " + e.getMessage());
        }
    }

    private static boolean hasGlob(String s) {
        return s.indexOf('*') >= 0 || s.indexOf('?') >= 0 || s.indexOf('[') >= 0 || s.indexOf('{') >= 0;
    }

    /**
     * Files matching a glob; the directories before its first wildcard are where the search starts. As a shell does,
     * a directory that cannot be read is passed over; the start itself must be readable.
     */
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
        PathMatcher m;
        try {
            m = FileSystems.getDefault().getPathMatcher("glob:" + rest);
        } catch (java.util.regex.PatternSyntaxException e) {
            throw new InvalidInputException(pattern + ": not a valid glob: " + e.getDescription());
        }
        boolean dotted = rest.getFileName().toString().startsWith(".");
        Path from = base;
        Path start = from.toString().isEmpty() ? Path.of(".") : from;
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(start)) return out;
        if (!Files.isReadable(start))
            throw new InvalidInputException(pattern + ": cannot list " + start + ": permission denied");
        try {
            Files.walkFileTree(
                    start,
                    java.util.EnumSet.of(java.nio.file.FileVisitOption.FOLLOW_LINKS),
                    depth,
                    new java.nio.file.SimpleFileVisitor<>() {
                        @Override
                        public java.nio.file.FileVisitResult visitFile(
                                Path f, java.nio.file.attribute.BasicFileAttributes a) {
                            Path rel = start.relativize(f);
                            if (rel.getNameCount() == depth
                                    && m.matches(rel)
                                    && !a.isDirectory()
                                    && (dotted || !f.getFileName().toString().startsWith("."))) {
                                out.add(from.toString().isEmpty() ? rel : f);
                            }
                            return java.nio.file.FileVisitResult.CONTINUE;
                        }

                        @Override
                        public java.nio.file.FileVisitResult visitFileFailed(Path f, IOException e) {
                            return java.nio.file.FileVisitResult
                                    .CONTINUE; // unreadable, or a link loop: skipped, as a shell does
                        }
                    });
        } catch (IOException e) {
            throw new InvalidInputException(pattern + ": cannot list " + start + ": " + e.getMessage());
        }
        out.sort((x, y) -> x.toString().compareTo(y.toString()));
        return out;
    }

    @Override
    public String toString() {
        return member == null ? file.toString() : file + ":" + member;
    }
}
