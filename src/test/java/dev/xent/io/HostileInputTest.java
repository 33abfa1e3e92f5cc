package dev.xent.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.xent.DType;
import dev.xent.InvalidInputException;
import dev.xent.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a hostile-input hunt found, each now refused (or read) as numpy does, and the commit that puts targets back. */
class HostileInputTest {
    @TempDir
    Path dir;

    @AfterEach
    void noSeams() {
        OutputSet.setRenameHookForTests(null);
    }

    private static byte[] npy(String dict, ByteBuffer data) throws IOException {
        Path tmp = Files.createTempFile("h", ".npy");
        try {
            NpyTest.write(tmp, 1, dict, data);
            return Files.readAllBytes(tmp);
        } finally {
            Files.delete(tmp);
        }
    }

    /** A zip of (name, bytes) members, stored or deflated, as np.savez writes them. */
    private static byte[] zip(boolean deflate, Object... members) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(b)) {
            for (int i = 0; i < members.length; i += 2) {
                byte[] data = (byte[]) members[i + 1];
                ZipEntry e = new ZipEntry((String) members[i]);
                if (!deflate) {
                    e.setMethod(ZipEntry.STORED);
                    CRC32 c = new CRC32();
                    c.update(data);
                    e.setCrc(c.getValue());
                    e.setSize(data.length);
                    e.setCompressedSize(data.length);
                }
                z.putNextEntry(e);
                z.write(data);
                z.closeEntry();
            }
        }
        return b.toByteArray();
    }

    private static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = from; i + needle.length <= hay.length; i++) {
            for (int k = 0; k < needle.length; k++) if (hay[i + k] != needle[k]) continue outer;
            return i;
        }
        return -1;
    }

    private static void refused(Path f, String name, String part) {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> Npz.read(f, name));
        assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains(part), e.getMessage());
    }

    @Test
    void aStoredMemberWithABadCrcIsRefusedAsNpLoadRefusesIt() throws IOException {
        ByteBuffer data = NpyTest.le(16);
        for (int i = 0; i < 4; i++) data.putFloat(i * 4, i + 0.5f);
        byte[] x = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", data);
        byte[] z = zip(false, "x.npy", x);
        Path ok = dir.resolve("ok.npz");
        Files.write(ok, z);
        assertArrayEquals(new double[] {0.5, 1.5, 2.5, 3.5}, Npz.read(ok, "x").toDoubleArray());
        int at = indexOf(z, x, 0) + x.length - 5; // a byte of the last float
        z[at] ^= 0x40;
        Path bad = dir.resolve("bad.npz");
        Files.write(bad, z);
        refused(bad, "x", "CRC-32 mismatch");
    }

    @Test
    void aLocalHeaderNamedOtherwiseThanTheDirectoryIsRefused() throws IOException {
        byte[] x = npy("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", NpyTest.le(8));
        byte[] z = zip(false, "x.npy", x);
        int local = indexOf(z, "x.npy".getBytes(StandardCharsets.US_ASCII), 0); // the first copy: the local header's
        z[local] = 'q';
        Path f = dir.resolve("names.npz");
        Files.write(f, z);
        refused(f, "x", "is named q.npy in its header");
    }

    @Test
    void boolBytesOtherThanZeroAndOneReadAsTrue() throws IOException {
        ByteBuffer data =
                NpyTest.le(4).put((byte) 0).put((byte) 3).put((byte) 1).put((byte) 0xff);
        Path f = dir.resolve("b.npy");
        NpyTest.write(f, 1, "{'descr': '|b1', 'fortran_order': False, 'shape': (4,), }", data);
        assertArrayEquals(new long[] {0, 1, 1, 1}, Npy.read(f).toLongArray());
        Path u = dir.resolve("u.npy");
        NpyTest.write(u, 1, "{'descr': '|u1', 'fortran_order': False, 'shape': (4,), }", data);
        assertArrayEquals(new long[] {0, 3, 1, 255}, Npy.read(u).toLongArray(), "uint8 stays itself");
    }

    @Test
    void boolClassTargetsAreRefusedAndUint8Accepted() throws IOException {
        ByteBuffer data = NpyTest.le(2).put((byte) 0).put((byte) 1);
        Path b = dir.resolve("yb.npy"), u = dir.resolve("yu.npy");
        NpyTest.write(b, 1, "{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", data);
        NpyTest.write(u, 1, "{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", data);
        dev.xent.Tensor x = dev.xent.Tensor.of(new float[] {1, 2, 3, 4}, 2, 2);
        dev.xent.InvalidInputException e = assertThrows(
                dev.xent.InvalidInputException.class,
                () -> dev.xent.LossProblem.of(
                        dev.xent.LossKind.CROSS_ENTROPY, x, Npy.read(b), dev.xent.LossSpec.DEFAULT));
        assertTrue(e.getMessage().contains("targets are bool"), e.getMessage());
        dev.xent.Tensor x4 = dev.xent.Tensor.of(new float[8], 4, 2);
        assertThrows(
                dev.xent.InvalidInputException.class,
                () -> dev.xent.Divergence.of(
                        x4,
                        x4,
                        ArraySource.openAll(ArraySource.resolveAll(java.util.List.of(u.toString(), b.toString()))),
                        dev.xent.DivergenceSpec.builder(dev.xent.DivergenceSpec.Kind.KD)
                                .build(),
                        false),
                "a bool shard among integer ones");
        assertEquals(
                2,
                dev.xent.LossProblem.of(dev.xent.LossKind.CROSS_ENTROPY, x, Npy.read(u), dev.xent.LossSpec.DEFAULT)
                        .rows());
    }

    @Test
    void aCompressedMemberWithABadHeaderIsRefusedBeforeItIsInflated() throws IOException {
        byte[] head = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), 'extra': 1}", NpyTest.le(0));
        byte[] member =
                new byte[head.length + (256 << 20)]; // 256 MiB of zeros after the bad header: deflates to little
        System.arraycopy(head, 0, member, 0, head.length);
        Path f = dir.resolve("bomb.npz");
        Files.write(f, zip(true, "x.npy", member));
        assertTrue(Files.size(f) < (4 << 20));
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        long t0 = System.nanoTime();
        refused(f, "x", "does not have exactly the keys");
        assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "refused without inflating 256 MiB");
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(
                    0,
                    s.filter(p -> p.getFileName().toString().startsWith("xent-npz-"))
                            .count(),
                    "no inflation temporary left");
        }
    }

    @Test
    void namesWithColonsAndBadGlobs() throws IOException {
        byte[] x = npy(
                "{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }",
                NpyTest.le(8).putLong(0, 42));
        Path f = dir.resolve("c.npz");
        Files.write(f, zip(false, "a:b.npy", x));
        List<ArraySource> s = ArraySource.resolve(f + ":a:b");
        assertEquals("a:b", s.get(0).member);
        assertArrayEquals(new long[] {42}, s.get(0).open().toLongArray());
        for (String g : new String[] {"a[.npy", "{a,{b}}.npy", "t-[5-0].npy"}) {
            InvalidInputException e = assertThrows(
                    InvalidInputException.class,
                    () -> ArraySource.resolve(dir.resolve(g).toString()));
            assertTrue(e.getMessage().contains("not a valid glob"), e.getMessage());
        }
    }

    @Test
    void aFailedRenamePutsBackTheTargetsAlreadyReplaced() throws IOException {
        Path a = dir.resolve("a.npy"), b = dir.resolve("b.npy"), c = dir.resolve("c.npy");
        Files.writeString(a, "old a");
        Files.writeString(b, "old b");
        OutputSet.setRenameHookForTests(t -> {
            if (t.getFileName().toString().equals("c.npy")) throw new IOException("injected: rename refused");
        });
        try (OutputSet outs = new OutputSet()) {
            for (Path p : new Path[] {a, b, c})
                outs.npy(p, DType.F32, new long[] {2}).write(0, Tensor.of(new float[] {1, 2}, 2));
            InvalidInputException e = assertThrows(InvalidInputException.class, outs::commit);
            assertTrue(
                    e.getMessage().contains("injected: rename refused")
                            && e.getMessage().contains("put back"),
                    e.getMessage());
        }
        assertEquals("old a", Files.readString(a));
        assertEquals("old b", Files.readString(b));
        assertTrue(Files.notExists(c));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(
                    List.of("a.npy", "b.npy"),
                    s.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temporary or backup left");
        }
    }

    @Test
    void anImmutableTargetIsFoundBeforeAnyTargetChanges() throws Exception {
        Path a = dir.resolve("a.npy"), b = dir.resolve("b.npy");
        Files.writeString(a, "old a");
        Files.writeString(b, "old b");
        Process p = new ProcessBuilder("chattr", "+i", b.toString())
                .redirectErrorStream(true)
                .start();
        assumeTrue(p.waitFor() == 0, "chattr +i (root, a file system with the immutable attribute) is needed");
        try {
            try (OutputSet outs = new OutputSet()) {
                for (Path t : new Path[] {a, b})
                    outs.npy(t, DType.F32, new long[] {1}).write(0, Tensor.of(new float[] {1}, 1));
                InvalidInputException e = assertThrows(InvalidInputException.class, outs::commit);
                assertTrue(e.getMessage().contains("cannot be replaced"), e.getMessage());
            }
            assertEquals("old a", Files.readString(a), "checked before the first rename");
            assertEquals("old b", Files.readString(b));
        } finally {
            new ProcessBuilder("chattr", "-i", b.toString()).start().waitFor();
        }
    }

    @Test
    void outputsUnderDevAndProcAreRefused() {
        for (String p : new String[] {"/dev/stdout", "/proc/self/fd/1", "/dev/shm/../null"}) {
            InvalidInputException e =
                    assertThrows(InvalidInputException.class, () -> OutputSet.resolveTarget(Path.of(p)));
            assertTrue(e.getMessage().contains("cannot be devices or descriptors"), e.getMessage());
        }
        assertEquals(ByteOrder.LITTLE_ENDIAN, ByteOrder.nativeOrder(), "the readers assume a little-endian machine");
    }
}
