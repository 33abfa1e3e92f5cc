package dev.xent.io;

import dev.xent.DType;
import dev.xent.InvalidInputException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * The outputs of one run, all or nothing: each is written to a temporary file in its target's directory; {@link
 * #commit()} syncs every one of them, keeps a hard link to each existing target, renames each temporary over its
 * target, and if one rename fails puts back the targets already replaced (from those links) before it reports.
 * Closing without a commit, after any failure, deletes the temporaries and leaves every target as it was; so does an
 * interrupt or a SIGTERM (a shutdown hook), while a kill -9 can leave only hidden temporaries, never a half-written
 * target. A target that cannot be replaced by a rename (a mount point, an immutable file) is found when its link is
 * made, before any target changes. A target that is a symbolic link keeps its link: the file it points to is
 * replaced. Existing targets keep their permissions.
 */
public final class OutputSet implements AutoCloseable {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static volatile BiFunction<Path, FileChannel, FileChannel> channelWrapper;

    private final List<Output> outputs = new ArrayList<>();
    private boolean committed;

    /** One file being written. */
    static final class Output {
        final Path target; // the file to replace (symbolic links resolved)
        final Path temporary;
        final FileChannel channel;
        private long expectedBytes = -1;
        private long writtenBytes;

        Output(Path target, Path temporary, FileChannel channel) {
            this.target = target;
            this.temporary = temporary;
            this.channel = channel;
        }

        synchronized void wrote(long bytes) {
            writtenBytes += bytes;
        }

        void expect(long bytes) {
            expectedBytes = bytes;
        }
    }

    /** What runs before each rename of a commit (a test seam: it may throw to act as a failing rename). */
    interface RenameHook {
        void before(Path target) throws IOException;
    }

    private static volatile RenameHook renameHook;

    /** Test seam: called before each rename of every commit (null: none). */
    static void setRenameHookForTests(RenameHook hook) {
        renameHook = hook;
    }

    /**
     * Test seam: wraps the channel of every output opened from now on (null: none).
     *
     * @param wrapper given the requested path and the channel, returns the channel to write through; null for none
     */
    public static void setChannelWrapperForTests(BiFunction<Path, FileChannel, FileChannel> wrapper) {
        channelWrapper = wrapper;
    }

    /**
     * A new .npy output of {@code dtype} and {@code shape} at {@code target}: its header is written now.
     *
     * @param target the file to replace on {@link #commit()} (a symbolic link's target is replaced, not the link)
     * @param dtype the file's element type, any but BF16
     * @param shape the array's dimensions
     * @return the writer, whose every element must be written before the commit
     * @throws InvalidInputException if no temporary can be created beside {@code target}
     */
    public NpyWriter npy(Path target, DType dtype, long[] shape) {
        Output o = open(target);
        NpyWriter w = new NpyWriter(o, dtype, shape);
        o.expect(w.totalBytes());
        return w;
    }

    private Output open(Path requested) {
        Path target = resolveTarget(requested);
        Path dir = target.toAbsolutePath().getParent();
        for (int attempt = 0; ; attempt++) {
            Path tmp = hidden(dir, target, ".xent-tmp");
            try {
                FileChannel ch = Temporaries.create(
                        tmp, () -> FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE));
                BiFunction<Path, FileChannel, FileChannel> wrap = channelWrapper;
                Output o = new Output(target, tmp, wrap == null ? ch : wrap.apply(requested, ch));
                outputs.add(o);
                return o;
            } catch (java.nio.file.FileAlreadyExistsException e) {
                if (attempt > 10) throw new InvalidInputException(requested + ": cannot create a temporary beside it");
            } catch (IOException e) {
                throw cannotWrite(requested, e);
            }
        }
    }

    /** A path with the option that named it, for messages. */
    public static final class Named {
        /** The command-line option that named the file, e.g. {@code --logits}. */
        public final String option;
        /** The file as given. */
        public final Path path;

        /**
         * A path and the option that named it.
         *
         * @param option the option, for messages
         * @param path the file
         */
        public Named(String option, Path path) {
            this.option = option;
            this.path = path;
        }
    }

    /**
     * Refuses, before anything is read or written, an output that is the same file as an input (by path after links,
     * or by identity, for hard links) or as another output; and an output that cannot be a target (see
     * {@link #resolveTarget}). Both paths are named.
     *
     * @param inputs the files to be read
     * @param outputs the files to be written
     * @throws InvalidInputException naming both files of the first clash, or an output that cannot be a target
     */
    public static void checkDistinct(List<Named> inputs, List<Named> outputs) {
        List<Path> targets = new ArrayList<>();
        for (Named o : outputs) targets.add(resolveTarget(o.path));
        for (int i = 0; i < outputs.size(); i++) {
            Named o = outputs.get(i);
            for (Named in : inputs) {
                if (sameFile(targets.get(i), in.path)) {
                    throw new InvalidInputException(o.option + " " + o.path + " is the same file as " + in.option + " "
                            + in.path + ": an output never replaces an input");
                }
            }
            for (int j = 0; j < i; j++) {
                if (targets.get(i).equals(targets.get(j))) {
                    throw new InvalidInputException(o.option + " " + o.path + " and " + outputs.get(j).option + " "
                            + outputs.get(j).path + " are the same file");
                }
            }
        }
    }

    private static boolean sameFile(Path target, Path input) {
        try {
            if (!Files.exists(input)) return false;
            if (target.equals(input.toRealPath())) return true;
            return Files.exists(target) && Files.isSameFile(target, input);
        } catch (IOException e) {
            return false;
        }
    }

    private static Path hidden(Path dir, Path target, String suffix) {
        return dir.resolve("." + target.getFileName() + "." + Long.toUnsignedString(RANDOM.nextLong(), 36) + suffix);
    }

    /** The file a target names: links followed; it must be a regular file or not exist, in an existing directory. */
    static Path resolveTarget(Path requested) {
        Path p = requested;
        Path abs = requested.toAbsolutePath().normalize();
        if (abs.startsWith("/dev") || abs.startsWith("/proc")) {
            throw new InvalidInputException(
                    requested + ": outputs are files, written to a temporary and renamed over their target;"
                            + " they cannot be devices or descriptors");
        }
        try {
            if (Files.exists(p)) {
                p = p.toRealPath();
                if (!Files.isRegularFile(p)) {
                    throw new InvalidInputException(
                            requested + ": exists and is not a regular file; outputs are written to a"
                                    + " temporary and renamed over their target, so they must name a file");
                }
                return p;
            }
            if (Files.isSymbolicLink(p))
                throw new InvalidInputException(requested + ": is a symbolic link to a missing file");
            Path parent = p.toAbsolutePath().getParent();
            if (parent == null || !Files.isDirectory(parent))
                throw new InvalidInputException(requested + ": the directory " + parent + " does not exist");
            return parent.toRealPath().resolve(p.getFileName());
        } catch (IOException e) {
            throw cannotWrite(requested, e);
        }
    }

    static InvalidInputException cannotWrite(Path p, IOException e) {
        if (e instanceof java.nio.file.AccessDeniedException)
            return new InvalidInputException(p + ": permission denied");
        return new InvalidInputException(p + ": cannot write: " + e.getMessage(), e);
    }

    /**
     * Syncs every output, then replaces each target. Throws, with every target as it was, if an output is incomplete
     * or cannot be synced, if a target cannot be replaced, or if a rename fails.
     */
    public void commit() {
        for (Output o : outputs) {
            if (o.expectedBytes >= 0 && o.writtenBytes != o.expectedBytes) {
                throw new IllegalStateException(
                        o.target + ": " + o.writtenBytes + " of " + o.expectedBytes + " bytes were written");
            }
            try {
                o.channel.force(true);
                o.channel.close();
            } catch (IOException e) {
                throw cannotWrite(o.target, e);
            }
        }
        // a hard link to each existing target: proof that a rename can replace it, and the way back if a later one
        // fails
        List<Path> backups = new ArrayList<>();
        try {
            for (Output o : outputs) {
                Path backup = null;
                if (Files.exists(o.target, LinkOption.NOFOLLOW_LINKS)) {
                    backup = hidden(o.target.getParent(), o.target, ".xent-old");
                    Path b = backup;
                    try {
                        Temporaries.create(b, () -> Files.createLink(b, o.target));
                    } catch (UnsupportedOperationException e) {
                        backup = null; // no hard links on this file system: the rename goes ahead without a way back
                    } catch (IOException e) {
                        throw new InvalidInputException(o.target + ": cannot be replaced (" + e.getMessage()
                                + "): is it a mount point or an immutable file? No output was changed");
                    }
                    keepPermissions(o);
                }
                backups.add(backup);
            }
            int done = 0;
            try {
                for (; done < outputs.size(); done++) {
                    Output o = outputs.get(done);
                    RenameHook hook = renameHook;
                    if (hook != null) hook.before(o.target);
                    try {
                        Files.move(
                                o.temporary,
                                o.target,
                                StandardCopyOption.ATOMIC_MOVE,
                                StandardCopyOption.REPLACE_EXISTING);
                    } catch (AtomicMoveNotSupportedException e) {
                        Files.move(o.temporary, o.target, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            } catch (IOException e) {
                restore(done, backups);
                throw new InvalidInputException(
                        outputs.get(done).target + ": cannot write: " + e.getMessage()
                                + " (the outputs already replaced were put back)",
                        e);
            }
            committed = true;
            for (Output o : outputs) Temporaries.forget(o.temporary);
        } finally {
            for (Path b : backups) if (b != null) Temporaries.delete(b);
        }
        Set<Path> dirs = new java.util.LinkedHashSet<>();
        for (Output o : outputs) dirs.add(o.target.getParent());
        for (Path d : dirs) syncDirectory(d);
    }

    /** After a failed rename: the first {@code done} targets back to what they were (their links), or removed if new. */
    private void restore(int done, List<Path> backups) {
        for (int i = 0; i < done; i++) {
            Output o = outputs.get(i);
            try {
                if (backups.get(i) != null)
                    Files.move(
                            backups.get(i),
                            o.target,
                            StandardCopyOption.ATOMIC_MOVE,
                            StandardCopyOption.REPLACE_EXISTING);
                else Files.deleteIfExists(o.target);
            } catch (IOException ignored) {
                // nothing better can be done: the error below says the run failed
            }
        }
    }

    private static void keepPermissions(Output o) {
        try {
            if (Files.exists(o.target, LinkOption.NOFOLLOW_LINKS)) {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(o.target);
                Files.setPosixFilePermissions(o.temporary, perms);
            }
        } catch (IOException | UnsupportedOperationException ignored) {
            // not a POSIX file system: the new file has the default permissions
        }
    }

    /** Makes the renames durable (where the file system allows a directory to be opened and synced). */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException ignored) {
            // some file systems refuse to sync a directory; the renames are still atomic
        }
    }

    /** Without a commit: closes and deletes every temporary, so no target changes. */
    @Override
    public void close() {
        if (committed) return;
        for (Output o : outputs) {
            try {
                o.channel.close();
            } catch (IOException ignored) {
                // deleting it below is what matters
            }
            Temporaries.delete(o.temporary);
        }
    }
}
