package dev.xent.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.DType;
import dev.xent.InvalidInputException;
import dev.xent.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class NpyTest {
    @TempDir
    Path dir;

    @Test
    void roundTripsEveryType() {
        Tensor[] ts = {
            Tensor.of(new float[] {1.5f, -2f, Float.NaN, Float.NEGATIVE_INFINITY, 0f, 7f}, 2, 3),
            Tensor.of(new double[] {1e300, -0.0, 3}, 3),
            Tensor.of(new long[] {Long.MIN_VALUE, 0, 5, -100}, 2, 1, 2),
            Tensor.of(new int[] {1, -2}, 2),
            Tensor.ofHalfBits(DType.F16, new short[] {0x3c00, (short) 0xc000, 0x7c00}, 3),
            Tensor.of(new float[0], 0, 4),
            Tensor.of(new long[] {3}),
        };
        for (Tensor t : ts) {
            Path f = dir.resolve("t.npy");
            Npy.write(f, t);
            Tensor back = Npy.read(f);
            assertEquals(t.dtype(), back.dtype());
            assertArrayEquals(t.shape(), back.shape());
            if (t.dtype().isFloating()) assertArrayEquals(t.toDoubleArray(), back.toDoubleArray());
            else assertArrayEquals(t.toLongArray(), back.toLongArray());
        }
    }

    @Test
    void readsVersions2And3AndSmallIntegerTargets() throws IOException {
        for (int v : new int[] {1, 2, 3}) {
            Path f = write(
                    dir.resolve("v" + v + ".npy"),
                    v,
                    "{'descr': '<i2', 'fortran_order': False, 'shape': (3,), }",
                    le(6).putShort((short) 1).putShort((short) -2).putShort((short) 300));
            Tensor t = Npy.read(f);
            assertEquals(DType.I32, t.dtype());
            assertArrayEquals(new long[] {1, -2, 300}, t.toLongArray());
        }
        Path u8 = write(
                dir.resolve("u8.npy"),
                1,
                "{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }",
                le(2).put((byte) 200).put((byte) 3));
        assertArrayEquals(new long[] {200, 3}, Npy.read(u8).toLongArray());
    }

    @Test
    void clearErrorsNameTheFileAndTheProblem() throws IOException {
        Path fortran =
                write(dir.resolve("f.npy"), 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", le(16));
        assertMessage(fortran, "Fortran-order arrays are not supported");
        Path big = write(dir.resolve("be.npy"), 1, "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", le(4));
        assertMessage(big, "big-endian data (>f4) is not supported");
        Path cplx = write(dir.resolve("c.npy"), 1, "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", le(8));
        assertMessage(cplx, "unsupported dtype '<c8'");
        Path trunc =
                write(dir.resolve("tr.npy"), 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (10,), }", le(12));
        assertMessage(trunc, "truncated: shape (10,) of <f4 needs");
        Path text = dir.resolve("x.npy");
        Files.writeString(text, "hello, not numpy");
        assertMessage(text, "not a .npy file");
        Path empty = dir.resolve("e.npy");
        Files.write(empty, new byte[0]);
        assertMessage(empty, "not a .npy file");
        assertMessage(dir.resolve("missing.npy"), "no such file");
    }

    private static void assertMessage(Path f, String part) {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> Npy.read(f));
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }

    @Test
    void mappedChunksGiveTheSameValuesAsArrays() {
        float[] v = new float[1000];
        for (int i = 0; i < v.length; i++) v[i] = i * 0.25f - 7;
        Path f = dir.resolve("m.npy");
        Npy.write(f, Tensor.of(v, 10, 100));
        Tensor mapped = Npy.read(f, 128); // 32-element segments: rows cross segment boundaries
        assertArrayEquals(Tensor.of(v, 10, 100).toDoubleArray(), mapped.toDoubleArray());
        float[] row = new float[100];
        mapped.readFloats(300, 1, row, 0, 100);
        for (int k = 0; k < 100; k++) assertEquals(v[300 + k], row[k]);
        ByteBuffer bytes = ByteBuffer.allocate(4 * 70).order(ByteOrder.LITTLE_ENDIAN);
        mapped.copyBytesTo(bytes, 17, 70);
        bytes.flip();
        for (int k = 0; k < 70; k++) assertEquals(v[17 + k], bytes.getFloat());
    }

    public static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Writes a .npy by hand (any version, any header), so malformed files can be made. */
    public static Path write(Path f, int version, String dict, ByteBuffer data) throws IOException {
        int prefix = version == 1 ? 10 : 12;
        StringBuilder h = new StringBuilder(dict);
        while ((prefix + h.length() + 1) % 64 != 0) h.append(' ');
        h.append('\n');
        ByteBuffer b = le(prefix + h.length() + data.capacity());
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) version, 0});
        if (version == 1) b.putShort((short) h.length());
        else b.putInt(h.length());
        b.put(h.toString().getBytes(StandardCharsets.ISO_8859_1));
        data.clear();
        b.put(data);
        Files.write(f, b.array());
        return f;
    }
}
