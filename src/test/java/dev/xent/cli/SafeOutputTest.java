package dev.xent.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.xent.Tensor;
import dev.xent.io.Npy;
import dev.xent.io.OutputSet;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outputs are precious, inputs hostile: an output that is an input is refused before anything is read; an I/O error
 * at any byte of any output leaves every target as it was and no temporary behind; FIFOs, directories and devices
 * are refused at once.
 */
class SafeOutputTest {
    @TempDir
    Path dir;

    @AfterEach
    void noFaults() {
        OutputSet.setChannelWrapperForTests(null);
    }

    static final class Run {
        final int code;
        final String out, err;

        Run(int code, String out, String err) {
            this.code = code;
            this.out = out;
            this.err = err;
        }
    }

    static Run xent(String... args) {
        StringWriter o = new StringWriter(), e = new StringWriter();
        int code = Main.run(args, new PrintWriter(o), new PrintWriter(e));
        return new Run(code, o.toString(), e.toString());
    }

    private Path logits() {
        float[] v = new float[64 * 40];
        for (int i = 0; i < v.length; i++) v[i] = (float) Math.sin(i * 0.37) * 3;
        Path p = dir.resolve("l.npy");
        Npy.write(p, Tensor.of(v, 64, 40));
        return p;
    }

    private Path targets() {
        long[] y = new long[64];
        for (int i = 0; i < y.length; i++) y[i] = (i * 7) % 40;
        Path p = dir.resolve("t.npy");
        Npy.write(p, Tensor.of(y, 64));
        return p;
    }

    /** Every regular file in the directory and its bytes. */
    private Map<String, byte[]> snapshot() throws IOException {
        Map<String, byte[]> m = new TreeMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator)
                if (Files.isRegularFile(p)) m.put(p.getFileName().toString(), Files.readAllBytes(p));
        }
        return m;
    }

    private static void assertSame(Map<String, byte[]> before, Map<String, byte[]> after, String what) {
        assertEquals(
                before.keySet(),
                after.keySet(),
                what + ": the files in the directory (a temporary left, or a target created)");
        for (String k : before.keySet()) assertArrayEquals(before.get(k), after.get(k), what + ": " + k + " changed");
    }

    @Test
    void anOutputThatIsAnInputIsRefusedBeforeAnythingIsRead() throws IOException {
        Path l = logits(), t = targets();
        Map<String, byte[]> before = snapshot();
        for (String opt : new String[] {"--out", "--grad-out", "--pred-out"}) {
            for (Path target : new Path[] {l, t}) {
                Run r = xent(
                        "eval",
                        "--logits",
                        l.toString(),
                        "--targets",
                        t.toString(),
                        "--device",
                        "cpu",
                        opt,
                        target.toString());
                assertEquals(2, r.code, r.err);
                assertTrue(r.err.contains(opt + " " + target) && r.err.contains("is the same file as"), r.err);
            }
        }
        // through a symbolic link, a hard link, and another spelling of the path
        Path sym = dir.resolve("sym.npy"), hard = dir.resolve("hard.npy");
        Files.createSymbolicLink(sym, l);
        Files.createLink(hard, l);
        for (Path alias : new Path[] {sym, hard, dir.resolve("sub/../l.npy"), dir.resolve("./l.npy")}) {
            Files.createDirectories(dir.resolve("sub"));
            Run r = xent(
                    "eval",
                    "--logits",
                    l.toString(),
                    "--targets",
                    t.toString(),
                    "--device",
                    "cpu",
                    "--out",
                    alias.toString());
            assertEquals(2, r.code, alias + ": " + r.err);
            assertTrue(r.err.contains("is the same file as --logits"), r.err);
        }
        Run r = xent(
                "eval",
                "--logits",
                l.toString(),
                "--targets",
                t.toString(),
                "--device",
                "cpu",
                "--out",
                dir.resolve("o.npy").toString(),
                "--grad-out",
                dir.resolve("o.npy").toString());
        assertEquals(2, r.code);
        assertTrue(r.err.contains("are the same file"), r.err);
        Files.delete(sym);
        Files.delete(hard);
        Files.delete(dir.resolve("sub"));
        assertSame(before, snapshot(), "refused runs");
    }

    @Test
    void outputsMustNameFilesInExistingDirectories() throws IOException {
        Path l = logits(), t = targets();
        Files.createDirectory(dir.resolve("d"));
        Run r = xent(
                "eval",
                "--logits",
                l.toString(),
                "--targets",
                t.toString(),
                "--device",
                "cpu",
                "--out",
                dir.resolve("d").toString());
        assertEquals(2, r.code);
        assertTrue(r.err.contains("exists and is not a regular file"), r.err);
        r = xent(
                "eval",
                "--logits",
                l.toString(),
                "--targets",
                t.toString(),
                "--device",
                "cpu",
                "--out",
                dir.resolve("nope/o.npy").toString());
        assertEquals(2, r.code);
        assertTrue(r.err.contains("does not exist"), r.err);
        r = xent("eval", "--logits", l.toString(), "--targets", t.toString(), "--device", "cpu", "--out", "/dev/null");
        assertEquals(2, r.code, "a device is never replaced by a rename");
        assertTrue(r.err.contains("/dev/null: outputs are files"), r.err);
    }

    @Test
    void fifoDirectoryAndDeviceInputsAreRefusedAtOnce() throws Exception {
        Path t = targets();
        Path fifo = dir.resolve("fifo.npy");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assumeTrue(mk.waitFor() == 0, "mkfifo is needed to make a FIFO");
        for (Path in : new Path[] {fifo, dir, Path.of("/dev/zero")}) {
            Run r = assertTimeoutPreemptively(
                    Duration.ofSeconds(20),
                    () -> xent("eval", "--logits", in.toString(), "--targets", t.toString(), "--device", "cpu"),
                    in + " must not block");
            assertEquals(2, r.code, r.err);
            assertTrue(
                    r.err.contains(in.toString())
                            && (r.err.contains("not a regular file") || r.err.contains("is a directory")),
                    r.err);
            assertFalse(r.err.contains("Exception"), r.err);
        }
    }

    /** Fails every write to a file whose target name starts with {@code name} once {@code limit} bytes have gone to it. */
    private static void failAfter(String name, long limit) {
        OutputSet.setChannelWrapperForTests(
                (target, ch) -> target.getFileName().toString().startsWith(name) ? new FailingChannel(ch, limit) : ch);
    }

    @Test
    void anIoErrorAtAnyByteOfAnyOutputChangesNoTarget() throws IOException {
        Path l = logits(), t = targets();
        Path out = dir.resolve("out.npy"), grad = dir.resolve("grad.npy"), pred = dir.resolve("pred.npy");
        Files.writeString(out, "the previous per-element losses");
        Files.writeString(grad, "the previous gradient");
        // pred.npy does not exist: it must not appear
        Map<String, byte[]> before = snapshot();
        long[] sizes = {64 * 4 + 128, 64 * 40 * 4 + 128, 64 * 8 + 128};
        String[] names = {"out.npy", "grad.npy", "pred.npy"};
        int cases = 0;
        for (int k = 0; k < names.length; k++) {
            for (long limit : new long[] {0, 1, 127, 128, 129, sizes[k] / 2, sizes[k] - 1}) { // the header is 128 bytes
                failAfter(names[k], limit);
                Run r = xent(
                        "eval",
                        "--logits",
                        l.toString(),
                        "--targets",
                        t.toString(),
                        "--device",
                        "cpu",
                        "--out",
                        out.toString(),
                        "--grad-out",
                        grad.toString(),
                        "--pred-out",
                        pred.toString());
                assertEquals(2, r.code, names[k] + " failing after " + limit + " bytes: " + r.err);
                assertTrue(r.err.contains("injected: no space left on device"), r.err);
                assertSame(before, snapshot(), names[k] + " failing after " + limit + " bytes");
                cases++;
            }
        }
        assertEquals(21, cases);
        // the same run without a fault replaces all three, keeping the old files' permissions
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rw-r-----"));
        OutputSet.setChannelWrapperForTests(null);
        Run r = xent(
                "eval",
                "--logits",
                l.toString(),
                "--targets",
                t.toString(),
                "--device",
                "cpu",
                "--out",
                out.toString(),
                "--grad-out",
                grad.toString(),
                "--pred-out",
                pred.toString(),
                "--reduction",
                "none");
        assertEquals(0, r.code, r.err);
        assertEquals(List.of(64L), List.of(Npy.read(out).shape()[0]));
        assertArrayEquals(new long[] {64, 40}, Npy.read(grad).shape());
        assertArrayEquals(new long[] {64}, Npy.read(pred).shape());
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
        assertEquals(
                List.of("grad.npy", "l.npy", "out.npy", "pred.npy", "t.npy"),
                new ArrayList<>(snapshot().keySet()),
                "no temporary left");
    }

    @Test
    void aFailureAfterTheOutputsWereWrittenChangesNoTarget() throws IOException {
        Path l = logits(), t = targets();
        Path out = dir.resolve("out.npy");
        Files.writeString(out, "old");
        Map<String, byte[]> before = snapshot();
        OutputSet.setChannelWrapperForTests((target, ch) -> new FailingChannel(ch, Long.MAX_VALUE, true));
        Run r = xent(
                "eval",
                "--logits",
                l.toString(),
                "--targets",
                t.toString(),
                "--device",
                "cpu",
                "--out",
                out.toString());
        assertEquals(2, r.code, r.err);
        assertTrue(r.err.contains("injected: sync failed"), r.err);
        assertSame(before, snapshot(), "a failing sync");
    }

    @Test
    void anInfiniteZPartLeavesTheMeanInfiniteNotNaN() throws Exception {
        Path l = logits(), t = targets();
        for (String device : new String[] {"cpu", "reference"}) {
            Run r = xent(
                    "eval",
                    "--logits",
                    l.toString(),
                    "--targets",
                    t.toString(),
                    "--device",
                    device,
                    "--z-loss",
                    "1e308",
                    "--json");
            assertEquals(0, r.code, r.err);
            assertTrue(r.out.contains("\"loss\": \"Infinity\""), device + ": " + r.out);
            Run big = xent(
                    "eval",
                    "--logits",
                    l.toString(),
                    "--targets",
                    t.toString(),
                    "--device",
                    device,
                    "--z-loss",
                    "1e100",
                    "--json");
            assertEquals(0, big.code, big.err);
            String[] lines = big.out.trim().split("\n");
            com.fasterxml.jackson.databind.JsonNode j =
                    new com.fasterxml.jackson.databind.ObjectMapper().readTree(lines[lines.length - 1]);
            double loss = j.get("loss").asDouble(), z = j.get("z_loss").asDouble();
            assertTrue(
                    Double.isFinite(loss) && Double.isFinite(z) && Math.abs(loss - z) / z < 1e-12,
                    device + ": the total " + loss + " and its z part " + z);
        }
    }

    @Test
    void aBadTargetLeavesOutputsAlone() throws IOException {
        Path l = logits();
        long[] y = new long[64];
        y[50] = 40; // out of range
        Path t = dir.resolve("bad.npy");
        Npy.write(t, Tensor.of(y, 64));
        Path out = dir.resolve("out.npy");
        Files.writeString(out, "old");
        Map<String, byte[]> before = snapshot();
        Run r = xent(
                "eval",
                "--logits",
                l.toString(),
                "--targets",
                t.toString(),
                "--device",
                "cpu",
                "--out",
                out.toString());
        assertEquals(2, r.code);
        assertTrue(r.err.contains("target[50] = 40 is not a valid class"), r.err);
        assertSame(before, snapshot(), "a bad target");
    }

    /** A file channel that fails with ENOSPC's message once {@code limit} bytes were written (or at the sync). */
    static final class FailingChannel extends FileChannel {
        private final FileChannel inner;
        private final long limit;
        private final boolean failSync;
        private long written;

        FailingChannel(FileChannel inner, long limit) {
            this(inner, limit, false);
        }

        FailingChannel(FileChannel inner, long limit, boolean failSync) {
            this.inner = inner;
            this.limit = limit;
            this.failSync = failSync;
        }

        private int guard(ByteBuffer src) throws IOException {
            long room = limit - written;
            if (src.remaining() <= room) return -1;
            return (int) Math.max(0, room);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            int allowed = guard(src);
            if (allowed < 0) {
                int n = inner.write(src, position);
                written += n;
                return n;
            }
            if (allowed > 0) { // a short write first, as a filling disk gives
                ByteBuffer part = src.duplicate();
                part.limit(part.position() + allowed);
                int n = inner.write(part, position);
                src.position(src.position() + n);
                written += n;
                return n;
            }
            throw new IOException("injected: no space left on device");
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return write(src, inner.position());
        }

        @Override
        public void force(boolean metaData) throws IOException {
            if (failSync) throw new IOException("injected: sync failed");
            inner.force(metaData);
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return inner.read(dst);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            return inner.read(dsts, offset, length);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            throw new IOException("not used");
        }

        @Override
        public long position() throws IOException {
            return inner.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            inner.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return inner.size();
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            inner.truncate(size);
            return this;
        }

        @Override
        public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
            return inner.transferTo(position, count, target);
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
            throw new IOException("not used");
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return inner.read(dst, position);
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
            return inner.map(mode, position, size);
        }

        @Override
        public FileLock lock(long position, long size, boolean shared) throws IOException {
            return inner.lock(position, size, shared);
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) throws IOException {
            return inner.tryLock(position, size, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            inner.close();
        }
    }
}
