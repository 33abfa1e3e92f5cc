package dev.xent.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Every temporary file xent creates (output temporaries, inflated .npz members, commit backups), deleted by a shutdown
 * hook on Ctrl-C or SIGTERM. Registration and the hook share one lock, and no temporary can be created once the hook
 * has run, so none is left behind by a signal that lands while one is being made.
 */
final class Temporaries {
    private static final Set<Path> LIVE = new LinkedHashSet<>();
    private static boolean shuttingDown;

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(Temporaries::deleteAll, "xent-temporaries"));
    }

    private Temporaries() {}

    /** What creates the file, under the lock. */
    interface Creator<T> {
        T create() throws IOException;
    }

    /** Runs {@code create} (which makes {@code path}) and registers the path, unless the JVM is shutting down. */
    static <T> T create(Path path, Creator<T> create) throws IOException {
        synchronized (LIVE) {
            if (shuttingDown) throw new IOException("the JVM is shutting down");
            T t = create.create();
            LIVE.add(path);
            return t;
        }
    }

    /** Registers a file made elsewhere (a hard link). */
    static void register(Path path) throws IOException {
        synchronized (LIVE) {
            if (shuttingDown) throw new IOException("the JVM is shutting down");
            LIVE.add(path);
        }
    }

    /** The file is gone or kept for good: the hook no longer deletes it. */
    static void forget(Path path) {
        synchronized (LIVE) {
            LIVE.remove(path);
        }
    }

    /** Deletes the file now (best effort) and forgets it. */
    static void delete(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // a hidden temporary left behind; nothing else can be done
        }
        forget(path);
    }

    private static void deleteAll() {
        synchronized (LIVE) {
            shuttingDown = true;
            for (Path p : LIVE) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // the JVM is going away
                }
            }
            LIVE.clear();
        }
    }
}
