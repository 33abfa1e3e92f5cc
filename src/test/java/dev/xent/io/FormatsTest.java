package dev.xent.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.xent.DType;
import dev.xent.Half;
import dev.xent.InvalidInputException;
import dev.xent.Tensor;
import dev.xent.cli.Main;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The .npz and safetensors readers against files the real writers made (scripts/format-fixtures.py: numpy's
 * np.savez / np.savez_compressed, the safetensors package, and a bfloat16 file the package was checked to accept),
 * compared bit for bit with their .npy twins; and against broken files built here, each of which must give an
 * {@link InvalidInputException} that names the file and the problem, and never any other exception.
 */
class FormatsTest {
    @TempDir
    Path dir;

    // ------------------------------------------------------------------------------------------- fixtures

    private static Path res(String name) {
        try {
            return Path.of(FormatsTest.class.getResource("/formats/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new AssertionError("missing fixture " + name + ": run python3 scripts/format-fixtures.py", e);
        }
    }

    private static Tensor twin(String name) {
        return Npy.read(res(name));
    }

    /** Every element's raw bits: floats as their IEEE patterns (16-bit types as stored), integers as values. */
    private static long[] bits(Tensor t) {
        int n = (int) t.numel();
        long[] out = new long[n];
        switch (t.dtype()) {
            case F16:
            case BF16: {
                short[] s = new short[n];
                t.readHalfBits(0, s, 0, n);
                for (int i = 0; i < n; i++) out[i] = s[i] & 0xffff;
                return out;
            }
            case F32: {
                float[] f = new float[n];
                t.readFloats(0, 1, f, 0, n);
                for (int i = 0; i < n; i++) out[i] = Float.floatToRawIntBits(f[i]) & 0xffffffffL;
                return out;
            }
            case F64: {
                double[] d = new double[n];
                t.readDoubles(0, 1, d, 0, n);
                for (int i = 0; i < n; i++) out[i] = Double.doubleToRawLongBits(d[i]);
                return out;
            }
            default:
                return t.toLongArray();
        }
    }

    private static void assertSame(Tensor expected, Tensor actual, String what) {
        assertEquals(expected.dtype(), actual.dtype(), what + ": dtype");
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        assertArrayEquals(bits(expected), bits(actual), what + ": bits");
    }

    /** Opens {@code spec} as the command line would: through ArraySource. */
    private static Tensor open(String spec) {
        List<ArraySource> s = ArraySource.resolve(spec);
        assertEquals(1, s.size(), spec);
        return s.get(0).open();
    }

    @Test
    void npzFromNumpyMatchesItsNpyTwins() throws IOException {
        Path saturated = saturatedZip64(res("savez_zip64.npz"));
        for (Path f : List.of(res("savez.npz"), res("savez_compressed.npz"), res("savez_zip64.npz"), saturated)) {
            List<String> names = new ArrayList<>();
            for (Npz.Member m : Npz.members(f)) names.add(m.name);
            assertEquals(List.of("logits", "targets"), names, f.toString());
            for (String name : names) {
                Tensor expected = twin(name + ".npy");
                assertSame(expected, open(f + ":" + name), f + ":" + name);
                assertSame(expected, Npz.read(f, name), f + ":" + name);
            }
        }
        Path single = res("savez_single.npz");
        assertSame(twin("logits.npy"), open(single.toString()), "savez_single.npz");
        assertSame(twin("logits.npy"), Npz.read(single, null), "savez_single.npz");
        assertSame(twin("logits.npy"), open(single + ":arr_0"), "savez_single.npz:arr_0");
    }

    /**
     * The zip64 fixture as an archive past the classic limits has it: the classic end record's count, size and offset
     * all 0xffff.. (Python's zipfile writes the true values there when they fit, as in the fixture itself).
     */
    private Path saturatedZip64(Path zip64) throws IOException {
        byte[] b = Files.readAllBytes(zip64);
        int eocd = eocd(b);
        ByteBuffer w = le(b);
        w.putShort(eocd + 8, (short) 0xffff)
                .putShort(eocd + 10, (short) 0xffff)
                .putInt(eocd + 12, -1)
                .putInt(eocd + 16, -1);
        return write("saturated.npz", b);
    }

    @Test
    void safetensorsFromThePackageMatchesItsNpyTwins() {
        Path f = res("tensors.safetensors");
        List<String> names = new ArrayList<>();
        for (SafeTensors.Entry e : SafeTensors.entries(f)) names.add(e.name);
        names.sort(null);
        assertEquals(List.of("logits", "logits_f16", "logits_f64", "targets", "targets_i32"), names);
        for (String name : names) {
            Tensor expected = twin(name + ".npy");
            assertSame(expected, open(f + ":" + name), f + ":" + name);
            assertSame(expected, SafeTensors.read(f, name), f + ":" + name);
        }
        assertEquals(DType.F16, SafeTensors.read(f, "logits_f16").dtype());
        Path single = res("single.safetensors");
        assertSame(twin("logits.npy"), open(single.toString()), "single.safetensors");
        assertSame(twin("logits.npy"), SafeTensors.read(single, null), "single.safetensors");
    }

    @Test
    void bfloat16IsTheRoundedFloat32ItWasMadeFrom() {
        Path f = res("bf16.safetensors");
        Tensor bf = open(f + ":logits");
        assertEquals(DType.BF16, bf.dtype());
        assertArrayEquals(new long[] {6, 5}, bf.shape());
        long[] got = bits(bf);
        // the twin holds the bfloat16 values widened to float32: their top 16 bits, zeros below
        long[] widened = bits(twin("logits_bf16.npy"));
        float[] source = new float[30];
        twin("logits.npy").readFloats(0, 1, source, 0, 30);
        for (int i = 0; i < got.length; i++) {
            assertEquals(widened[i] >>> 16, got[i], "element " + i + " against logits_bf16.npy");
            assertEquals(0, widened[i] & 0xffff, "element " + i + " of logits_bf16.npy is not a bfloat16 value");
            assertEquals(
                    Half.bf16FromFloat(source[i]) & 0xffff,
                    got[i],
                    "element " + i + " against logits.npy rounded to nearest even");
            assertEquals(
                    Float.intBitsToFloat((int) widened[i]), bf.getDouble(i), 0.0, "element " + i + " read as a number");
        }
        // the two rounding ties the generator planted: 0x40488000 stays at 0x4048 (even), 0xc0118000 goes up to 0xc012
        assertEquals(0x4048, got[0]);
        assertEquals(0xc012, got[1]);
        assertSame(twin("targets.npy"), SafeTensors.read(f, "targets"), "bf16.safetensors:targets");
    }

    @Test
    void globsOfNpzMembersAreShards() throws IOException {
        Path shards = Files.createDirectories(dir.resolve("shards"));
        Files.copy(res("savez.npz"), shards.resolve("a.npz"));
        Files.copy(res("savez_compressed.npz"), shards.resolve("b.npz"));
        List<ArraySource> s = ArraySource.resolve(shards + "/*.npz:targets");
        assertEquals(2, s.size());
        Tensor all = ArraySource.openAll(s);
        long[] t = twin("targets.npy").toLongArray();
        long[] both = Arrays.copyOf(t, 2 * t.length);
        System.arraycopy(t, 0, both, t.length, t.length);
        assertArrayEquals(both, all.toLongArray());
    }

    // ------------------------------------------------------------------------------------------- CLI

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();

    /** {@code xent eval ... --device cpu --json}: exit status 0 and its JSON line (as CliTest runs Main). */
    private static JsonNode eval(String logits, String targets) throws IOException {
        StringWriter o = new StringWriter(), e = new StringWriter();
        int code = Main.run(
                new String[] {"eval", "--logits", logits, "--targets", targets, "--device", "cpu", "--json"},
                new PrintWriter(o),
                new PrintWriter(e));
        assertEquals(0, code, logits + " / " + targets + ": " + e);
        String[] lines = o.toString().trim().split("\n");
        return JSON.readTree(lines[lines.length - 1]);
    }

    @Test
    void evalReadsNpzAndSafetensorsAsItReadsTheirNpyTwins() throws IOException {
        double expected = eval(res("logits.npy").toString(), res("targets.npy").toString())
                .get("loss")
                .asDouble();
        assertTrue(expected > 0 && Double.isFinite(expected), "loss " + expected);
        for (String npz : List.of("savez.npz", "savez_compressed.npz", "savez_zip64.npz")) {
            JsonNode j = eval(res(npz) + ":logits", res(npz) + ":targets");
            assertEquals(expected, j.get("loss").asDouble(), 0.0, npz);
            assertEquals(6, j.get("rows").asInt());
            assertEquals(5, j.get("classes").asInt());
        }
        Path st = res("tensors.safetensors");
        assertEquals(
                expected,
                eval(st + ":logits", st + ":targets").get("loss").asDouble(),
                0.0,
                "tensors.safetensors F32 / I64");
        // bfloat16 logits are computed in float32, so they give exactly the loss of their values widened to float32
        double bfExpected = eval(
                        res("logits_bf16.npy").toString(), res("targets.npy").toString())
                .get("loss")
                .asDouble();
        Path bf = res("bf16.safetensors");
        assertEquals(
                bfExpected,
                eval(bf + ":logits", bf + ":targets").get("loss").asDouble(),
                0.0,
                "bf16.safetensors BF16 / I64");
        assertTrue(Math.abs(bfExpected - expected) < 0.05 * expected, bfExpected + " vs " + expected);
    }

    // ------------------------------------------------------------------------------------------- helpers for broken
    // files

    private Path write(String name, byte[] b) {
        Path p = dir.resolve(name);
        try {
            Files.write(p, b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }

    /** Calls {@code check} with the file {@code name} holding each proper prefix of {@code b}, longest first (cut in place). */
    private void prefixes(String name, byte[] b, Consumer<Path> check) throws IOException {
        Path p = write(name, b);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            for (int n = b.length - 1; n >= 0; n--) {
                ch.truncate(n);
                check.accept(p);
            }
        }
    }

    /** Calls {@code check} with the file {@code name} holding {@code b} with byte k xor {@code mask}, for k in [from, to). */
    private void flips(String name, byte[] b, int from, int to, int mask, BiConsumer<Path, Integer> check)
            throws IOException {
        Path p = write(name, b);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            for (int k = from; k < to; k++) {
                ch.write(ByteBuffer.wrap(new byte[] {(byte) (b[k] ^ mask)}), k);
                check.accept(p, k);
                ch.write(ByteBuffer.wrap(new byte[] {b[k]}), k);
            }
        }
    }

    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Runs {@code read}, which must fail with an InvalidInputException naming {@code file} and containing {@code parts}. */
    private static InvalidInputException invalid(Path file, Supplier<?> read, String... parts) {
        Throwable thrown;
        try {
            Object v = read.get();
            throw new AssertionError(
                    file + ": read " + v + ", expected an InvalidInputException containing " + Arrays.toString(parts));
        } catch (AssertionError e) {
            throw e;
        } catch (Throwable t) {
            thrown = t;
        }
        if (!(thrown instanceof InvalidInputException))
            throw new AssertionError(file + ": " + thrown + " instead of an InvalidInputException", thrown);
        String m = thrown.getMessage();
        assertTrue(m.startsWith(file.toString() + ":"), "message does not start with the file: " + m);
        for (String part : parts) assertTrue(m.contains(part), "message lacks '" + part + "': " + m);
        return (InvalidInputException) thrown;
    }

    /** Runs {@code read}: success or an InvalidInputException naming {@code file}, nothing else; the message or null. */
    private static String validOrInvalid(Path file, Supplier<?> read) {
        try {
            read.get();
            return null;
        } catch (InvalidInputException e) {
            assertTrue(
                    e.getMessage().startsWith(file.toString() + ":"),
                    "message does not start with the file: " + e.getMessage());
            return e.getMessage();
        } catch (Throwable t) {
            throw new AssertionError(file + ": " + t + " instead of an InvalidInputException", t);
        }
    }

    // ------------------------------------------------------------------------------------------- safetensors

    /** A safetensors file: the 8-byte length {@code n}, then {@code header}, then {@code data}. */
    private Path st(String name, long n, byte[] header, byte[] data) {
        byte[] b = new byte[8 + header.length + data.length];
        le(b).putLong(0, n);
        System.arraycopy(header, 0, b, 8, header.length);
        System.arraycopy(data, 0, b, 8 + header.length, data.length);
        return write(name + ".safetensors", b);
    }

    private Path st(String name, String header, int dataBytes) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return st(name, h.length, h, new byte[dataBytes]);
    }

    private static final String A = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    private static Supplier<Tensor> stRead(Path f, String name) {
        return () -> SafeTensors.read(f, name);
    }

    @Test
    void brokenSafetensorsHeaders() {
        Path p = st("past-eof", 1000, "{}".getBytes(StandardCharsets.UTF_8), new byte[0]);
        invalid(p, stRead(p, null), "truncated", "announces 1000 bytes");
        p = st("too-long", 100_000_001L, new byte[16], new byte[0]);
        invalid(p, stRead(p, null), "100000001", "exceeds the format's limit of 100 MB");
        p = st("high-bit", 0x8000_0000_0000_0010L, new byte[16], new byte[0]);
        invalid(p, stRead(p, null), "9223372036854775824", "exceeds the format's limit");
        p = st("all-ones", -1L, new byte[16], new byte[0]);
        invalid(p, stRead(p, null), "18446744073709551615", "exceeds");
        p = write("short.safetensors", new byte[] {2, 0, 0});
        invalid(p, stRead(p, null), "shorter than the 8-byte header length");
        byte[] bad = ("{" + A + "}").getBytes(StandardCharsets.UTF_8);
        bad[3] = (byte) 0xff;
        p = st("not-utf8", bad.length, bad, new byte[8]);
        invalid(p, stRead(p, null), "not valid UTF-8");
        byte[] cesu = {'{', '"', (byte) 0xed, (byte) 0xa0, (byte) 0x80, '"', ':', '1', '}'}; // an encoded surrogate
        p = st("cesu", cesu.length, cesu, new byte[0]);
        invalid(p, stRead(p, null), "not valid UTF-8");
        p = st("list", "[" + A.substring(4) + "]", 8);
        invalid(p, stRead(p, null), "does not start with '{'");
        p = st("bom", "\ufeff{" + A + "}", 8);
        invalid(p, stRead(p, null), "does not start with '{'");
        p = st("empty", "", 0);
        invalid(p, stRead(p, null), "does not start with '{'");
        for (String json : new String[] {
            "{\"a\":{\"dtype\":\"F32\",}}",
            "{" + A,
            "{" + A + "}}",
            "{" + A + "} x",
            "{'a': 1}",
            "{\"a\":01}",
            "{\"\\ud800\":1}",
            "{\"\\udc00\":1}",
            "{\"\\ud800\\u0041\":1}",
            "{\"\\u00\u0664\u0661\":1}",
            "{\"a\tb\":1}",
            "{\"a\":[" + "[".repeat(300) + "]".repeat(300) + "]}",
        }) {
            p = st("json", json, 8);
            invalid(p, stRead(p, null), "not valid JSON");
        }
        p = st("dup", "{" + A + "," + A + "}", 8);
        invalid(p, stRead(p, "a"), "not valid JSON", "duplicate key \"a\"");
        p = st("dup-meta", "{\"__metadata__\":{},\"__metadata__\":{}," + A + "}", 8);
        invalid(p, stRead(p, "a"), "duplicate key \"__metadata__\"");
        p = st("meta-int", "{\"__metadata__\":{\"k\":1}," + A + "}", 8);
        invalid(p, stRead(p, "a"), "__metadata__ is not an object of strings");
        p = st("meta-list", "{\"__metadata__\":[]," + A + "}", 8);
        invalid(p, stRead(p, "a"), "__metadata__ is not an object of strings");
        p = st("not-object", "{\"a\":[1]}", 0);
        invalid(p, stRead(p, "a"), "tensor 'a' is not an object");
        p = st("no-shape", "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8);
        invalid(p, stRead(p, "a"), "tensor 'a' has no shape list");
        p = st("three-offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,8]}}", 8);
        invalid(p, stRead(p, "a"), "no data_offsets pair");
        p = st("float-dim", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", 8);
        invalid(p, stRead(p, "a"), "shape entry that is not an integer");
        p = st("negative-dim", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8);
        invalid(p, stRead(p, "a"), "shape entry that is not an integer");
        p = st("huge-dim", "{\"a\":{\"dtype\":\"F32\",\"shape\":[9223372036854775808],\"data_offsets\":[0,8]}}", 8);
        invalid(p, stRead(p, "a"), "shape entry that is not an integer in [0, 2^63)");
        p = st("unknown-dtype", "{\"a\":{\"dtype\":\"F128\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
        invalid(p, stRead(p, "a"), "tensor 'a' has an unknown dtype F128");
        p = st("lowercase-dtype", "{\"a\":{\"dtype\":\"f32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
        invalid(p, stRead(p, "a"), "unknown dtype f32");
    }

    @Test
    void brokenSafetensorsLayouts() {
        String b = "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[%d,%d]}";
        Path p = st("trailing", "{" + A + "}", 12);
        invalid(p, stRead(p, "a"), "the tensors account for", "the file has");
        p = st("short-data", "{" + A + "}", 6);
        invalid(p, stRead(p, "a"), "truncated: the tensors need");
        p = st("gap", "{" + A + "," + String.format(b, 12, 16) + "}", 16);
        invalid(p, stRead(p, "a"), "tensor 'b' has data_offsets [12, 16]", "start at 8", "no gap or overlap");
        p = st("not-from-0", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
        invalid(p, stRead(p, "a"), "tensor 'a' has data_offsets [4, 12]", "start at 0");
        p = st("overlap", "{" + A + "," + String.format(b, 4, 8) + "}", 8);
        invalid(p, stRead(p, "a"), "tensor 'b' has data_offsets [4, 8]", "start at 8");
        p = st("end-before-begin", "{" + A + "," + String.format(b, 8, 4) + "}", 12);
        invalid(p, stRead(p, "a"), "tensor 'b' has data_offsets [8, 4]");
        p = st("size", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8);
        invalid(p, stRead(p, "a"), "tensor 'a' of shape (3,) F32 needs 12 bytes, its data_offsets span 8");
        p = st("size-dtype", "{\"a\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
        invalid(p, stRead(p, "a"), "needs 16 bytes");
        p = st(
                "numel-overflow",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,2],\"data_offsets\":[0,8]}}",
                8);
        invalid(p, stRead(p, "a"), "tensor 'a' has a shape whose byte size overflows 64 bits");
        p = st(
                "bytes-overflow",
                "{\"a\":{\"dtype\":\"F64\",\"shape\":[2305843009213693952],\"data_offsets\":[0,8]}}",
                8);
        invalid(p, stRead(p, "a"), "overflows 64 bits");
        p = st("sub-byte", "{\"a\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}", 2);
        invalid(p, stRead(p, "a"), "tensor 'a' of shape (3,) F4 does not fill whole bytes");
    }

    @Test
    void namesAndDtypesInSafetensors() {
        Path f = res("tensors.safetensors");
        invalid(
                f,
                () -> open(f.toString()),
                "holds 5 tensors",
                f + ":NAME",
                "logits",
                "logits_f16",
                "logits_f64",
                "targets",
                "targets_i32");
        invalid(f, () -> open(f + ":nope"), "no tensor named 'nope'", "logits_f16", "targets_i32");
        Path empty = st("none", "{\"__metadata__\":{\"k\":\"v\"}}", 0);
        invalid(empty, stRead(empty, null), "holds 0 tensors");
        invalid(empty, stRead(empty, "a"), "no tensor named 'a' (it holds: none)");
        // every dtype of the format is checked, so a file holding ones xent cannot read still gives up the others
        String mixed = "{\"u\":{\"dtype\":\"U16\",\"shape\":[2],\"data_offsets\":[0,4]},"
                + "\"c\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[4,12]},"
                + "\"q\":{\"dtype\":\"F4\",\"shape\":[4],\"data_offsets\":[12,14]},"
                + "\"e\":{\"dtype\":\"F8_E8M0\",\"shape\":[2],\"data_offsets\":[14,16]},"
                + "\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[16,20]}}";
        byte[] h = mixed.getBytes(StandardCharsets.UTF_8), data = new byte[20];
        le(data).putFloat(16, 2.5f);
        Path p = st("mixed", h.length, h, data);
        assertArrayEquals(new double[] {2.5}, SafeTensors.read(p, "x").toDoubleArray());
        invalid(p, stRead(p, "u"), "tensor 'u' is U16: unsupported");
        invalid(p, stRead(p, "c"), "tensor 'c' is C64: unsupported");
        invalid(p, stRead(p, "q"), "tensor 'q' is F4: unsupported");
        // small integer types are read as int32
        String small =
                "{\"b\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[0,2]},\"u\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[2,4]},"
                        + "\"i\":{\"dtype\":\"I8\",\"shape\":[2],\"data_offsets\":[4,6]},\"s\":{\"dtype\":\"I16\",\"shape\":[2],\"data_offsets\":[6,10]}}";
        h = small.getBytes(StandardCharsets.UTF_8);
        p = st("small", h.length, h, new byte[] {
            1, 0, (byte) 200, 3, (byte) -5, 7, (byte) 0x2c, 1, (byte) 0xff, (byte) 0xff
        });
        assertArrayEquals(new long[] {1, 0}, SafeTensors.read(p, "b").toLongArray());
        assertArrayEquals(new long[] {200, 3}, SafeTensors.read(p, "u").toLongArray());
        assertArrayEquals(new long[] {-5, 7}, SafeTensors.read(p, "i").toLongArray());
        assertArrayEquals(new long[] {300, -1}, SafeTensors.read(p, "s").toLongArray());
        assertEquals(DType.I32, SafeTensors.read(p, "s").dtype());
    }

    /** Files the safetensors package 0.8.0 accepts (checked with its deserialize) that a stricter reading once refused. */
    @Test
    void safetensorsTheReferenceAccepts() {
        byte[] data = new byte[8];
        le(data).putFloat(0, 1.5f).putFloat(4, -3f);
        for (String header : new String[] {
            " \t\n{" + A + "}", // leading JSON whitespace: the reference has no '{' check (it is commented out)
            "{\"__metadata__\":null," + A + "}", // an Option in the reference
            "{" + A + "}        ", // the writers' padding
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"extra\":[1,{}]}}", // unknown fields
            // ignored
            "{\"z\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}," + A + "}", // empty tensors share offsets
            "{\"\\u0061\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"\\ud83d\\ude00\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]}}",
        }) {
            byte[] h = header.getBytes(StandardCharsets.UTF_8);
            Path p = st("ok", h.length, h, data);
            assertArrayEquals(new double[] {1.5, -3}, SafeTensors.read(p, "a").toDoubleArray(), header);
        }
        Path p = st("emoji", "{\"\\ud83d\\ude00\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", 0);
        assertEquals("\ud83d\ude00", SafeTensors.entries(p).get(0).name);
        assertEquals(0, SafeTensors.read(p, null).numel());
    }

    @Test
    void everyPrefixAndEveryFlippedByteOfASafetensorsFile() throws IOException {
        byte[] b = Files.readAllBytes(res("tensors.safetensors"));
        prefixes("prefix.safetensors", b, p -> invalid(p, stRead(p, "logits")));
        int header = (int) le(b).getLong(0) + 8;
        // data bytes change values only; header bytes must never break the reader
        BiConsumer<Path, Integer> any = (p, k) -> {
            for (String name : new String[] {"logits", "targets", null}) validOrInvalid(p, stRead(p, name));
        };
        flips("flip.safetensors", b, 0, 8, 0x40, any);
        flips("flip.safetensors", b, 8, header, 0x21, any);
    }

    // ------------------------------------------------------------------------------------------- npz

    private static Supplier<Tensor> npzRead(Path f, String name) {
        return () -> Npz.read(f, name);
    }

    /** Offset of the end of central directory record (no comment: the last 22 bytes). */
    private static int eocd(byte[] b) {
        int at = b.length - 22;
        assertEquals(0x06054b50, le(b).getInt(at));
        return at;
    }

    /** Offset of the central directory entry of member {@code k} (fixtures without zip64 central records). */
    private static int central(byte[] b, int k) {
        ByteBuffer w = le(b);
        int at = w.getInt(eocd(b) + 16);
        for (int i = 0; i < k; i++)
            at += 46 + (w.getShort(at + 28) & 0xffff) + (w.getShort(at + 30) & 0xffff) + (w.getShort(at + 32) & 0xffff);
        assertEquals(0x02014b50, w.getInt(at));
        return at;
    }

    /** Where member {@code k}'s data starts, from its local header. */
    private static int data(byte[] b, int k) {
        ByteBuffer w = le(b);
        int lho = w.getInt(central(b, k) + 42);
        return lho + 30 + (w.getShort(lho + 26) & 0xffff) + (w.getShort(lho + 28) & 0xffff);
    }

    private static int compressedSize(byte[] b, int k) {
        return le(b).getInt(central(b, k) + 20);
    }

    @Test
    void notAZipAndTruncatedZips() throws IOException {
        Path p = write(
                "text.npz",
                "this is not a zip archive, though it is long enough to hold an end record"
                        .getBytes(StandardCharsets.US_ASCII));
        invalid(p, npzRead(p, null), "not a zip archive");
        p = write("npy.npz", Files.readAllBytes(res("logits.npy")));
        invalid(p, npzRead(p, "logits"), "not a zip archive");
        p = write("tiny.npz", new byte[] {'P', 'K', 5, 6});
        invalid(p, npzRead(p, null), "not a zip archive (too short");
        for (String name : List.of("savez.npz", "savez_compressed.npz", "savez_zip64.npz")) {
            byte[] b = Files.readAllBytes(res(name));
            prefixes("cut.npz", b, q -> {
                invalid(q, npzRead(q, "logits"));
                invalid(q, () -> Npz.members(q));
            });
            // cut at the front instead: every offset in the directory now points elsewhere
            for (int n = 1; n < b.length; n += 7) {
                Path q = write("front.npz", Arrays.copyOfRange(b, n, b.length));
                validOrInvalid(q, npzRead(q, "logits"));
            }
        }
    }

    @Test
    void directoriesPointingOutsideTheFile() throws IOException {
        byte[] b = Files.readAllBytes(res("savez.npz"));
        byte[] c = b.clone();
        le(c).putInt(eocd(c) + 16, c.length + 100);
        Path p = write("dir-out.npz", c);
        invalid(p, npzRead(p, "logits"), "the central directory lies outside the file");
        c = b.clone();
        le(c).putInt(eocd(c) + 12, c.length);
        p = write("dir-size.npz", c);
        invalid(p, npzRead(p, "logits"), "the central directory lies outside the file");
        c = b.clone();
        le(c).putShort(eocd(c) + 10, (short) 1000).putShort(eocd(c) + 8, (short) 1000);
        p = write("entries.npz", c);
        invalid(p, npzRead(p, "logits"), "1000 entries cannot fit");
        c = b.clone();
        le(c).putShort(eocd(c) + 10, (short) 3).putShort(eocd(c) + 8, (short) 3);
        p = write("entries3.npz", c);
        invalid(p, npzRead(p, "logits"), "3 entries cannot fit");
        c = b.clone();
        le(c).putInt(central(c, 1) + 42, c.length - 10);
        p = write("local-out.npz", c);
        invalid(p, npzRead(p, "targets"), "the local file header lies outside the file");
        c = b.clone();
        le(c).putInt(central(c, 1) + 42, 1);
        p = write("local-wrong.npz", c);
        invalid(p, npzRead(p, "targets"), "no local file header where the directory points for targets.npy");
        c = b.clone();
        le(c).putInt(central(c, 0) + 20, -2).putInt(central(c, 0) + 24, -2); // 0xfffffffe: not the zip64 sentinel
        p = write("member-out.npz", c);
        invalid(p, npzRead(p, "logits"), "member logits.npy extends past the end of the file");
        c = b.clone();
        le(c).putInt(central(c, 0) + 24, compressedSize(c, 0) - 1);
        p = write("stored-sizes.npz", c);
        invalid(
                p,
                npzRead(p, "logits"),
                p + ":logits: a stored zip member whose compressed and uncompressed sizes differ");
        c = b.clone();
        le(c).putShort(central(c, 0) + 10, (short) 14);
        p = write("lzma.npz", c);
        invalid(p, npzRead(p, "logits"), "zip compression method 14 is not supported");
        c = b.clone();
        le(c).putShort(central(c, 1) + 8, (short) 1);
        p = write("encrypted.npz", c);
        invalid(p, npzRead(p, "logits"), "encrypted zip members are not supported (targets.npy)");
        c = b.clone();
        int second =
                central(c, 1); // "targets.npy" renamed "logits.npy": its 11th byte is left over after the last entry
        le(c).putShort(second + 28, (short) 10);
        System.arraycopy("logits.npy".getBytes(StandardCharsets.US_ASCII), 0, c, second + 46, 10);
        p = write("twice.npz", c);
        invalid(p, npzRead(p, "logits"), "two members named 'logits'");

        byte[] z = Files.readAllBytes(res("savez_zip64.npz"));
        int loc = eocd(z) - 20;
        assertEquals(0x07064b50, le(z).getInt(loc));
        c = z.clone();
        le(c).putLong(loc + 8, c.length + 5L);
        p = write("z64-out.npz", c);
        invalid(p, npzRead(p, "logits"), "the zip64 end record lies outside the file");
        c = z.clone();
        le(c).putLong(loc + 8, 0);
        p = write("z64-wrong.npz", c);
        invalid(p, npzRead(p, "logits"), "no end record where the locator points");
        c = z.clone();
        long rec = le(c).getLong(loc + 8);
        le(c).putLong((int) rec + 48, -8L);
        p = write("z64-negative.npz", c);
        invalid(p, npzRead(p, "logits"), "the central directory lies outside the file");
        c = z.clone();
        le(c).putLong((int) rec + 32, 1L << 40);
        p = write("z64-entries.npz", c);
        invalid(p, npzRead(p, "logits"), "entries cannot fit");
    }

    @Test
    void corruptCompressedMembers() throws IOException {
        byte[] b = Files.readAllBytes(res("savez_compressed.npz"));
        assertEquals(8, le(b).getShort(central(b, 0) + 10), "savez_compressed.npz deflates");
        int d = data(b, 0), n = compressedSize(b, 0);
        String label = "logits";

        byte[] c = b.clone();
        c[d] = (byte) 0xff; // block type 3: reserved
        Path p = write("deflate.npz", c);
        invalid(p, npzRead(p, label), p + ":logits: corrupt deflate data");

        c = b.clone();
        le(c).putInt(central(c, 0) + 16, le(c).getInt(central(c, 0) + 16) ^ 1);
        p = write("crc.npz", c);
        invalid(p, npzRead(p, label), p + ":logits: CRC-32 mismatch");

        int size = le(b).getInt(central(b, 0) + 24);
        c = b.clone();
        le(c).putInt(central(c, 0) + 24, size - 1);
        p = write("smaller.npz", c);
        invalid(p, npzRead(p, label), "inflates to more than the " + (size - 1) + " bytes the zip directory declares");
        c = b.clone();
        le(c).putInt(central(c, 0) + 24, size + 1);
        p = write("larger.npz", c);
        invalid(p, npzRead(p, label), "inflates to " + size + " bytes, the zip directory declares " + (size + 1));
        c = b.clone();
        le(c).putInt(central(c, 0) + 20, n - 3);
        p = write("short-stream.npz", c);
        invalid(p, npzRead(p, label), "the compressed member ends before its deflate stream does");

        // every single flipped byte of the member's data: caught (CRC-32 at the latest) or, where deflate ignores the
        // bits, the same values; never another exception
        Tensor expected = twin("logits.npy");
        int[] crcs = {0}, caught = {0};
        flips("flip.npz", b, d, d + n, 0x10, (q, k) -> {
            String m = validOrInvalid(q, () -> Npz.read(q, label));
            if (m == null) {
                assertSame(expected, Npz.read(q, label), "flip at " + k);
                return;
            }
            caught[0]++;
            if (m.contains("CRC-32 mismatch")) crcs[0]++;
        });
        assertTrue(crcs[0] > 0 && caught[0] > n / 2, crcs[0] + " CRC mismatches, " + caught[0] + " caught of " + n);
    }

    /** An npz of {@code members} (name, bytes), stored or deflated, written by java.util.zip. */
    private Path zip(String name, boolean deflate, Object... members) throws IOException {
        Path p = dir.resolve(name);
        try (OutputStream o = Files.newOutputStream(p);
                ZipOutputStream z = new ZipOutputStream(o)) {
            for (int k = 0; k < members.length; k += 2) {
                byte[] data = (byte[]) members[k + 1];
                ZipEntry e = new ZipEntry((String) members[k]);
                if (!deflate) {
                    CRC32 crc = new CRC32();
                    crc.update(data);
                    e.setMethod(ZipEntry.STORED);
                    e.setSize(data.length);
                    e.setCompressedSize(data.length);
                    e.setCrc(crc.getValue());
                }
                z.putNextEntry(e);
                z.write(data);
                z.closeEntry();
            }
        }
        return p;
    }

    private static byte[] npy(String header, int dataBytes) {
        StringBuilder h = new StringBuilder(header);
        while ((10 + h.length() + 1) % 64 != 0) h.append(' ');
        h.append('\n');
        byte[] out = new byte[10 + h.length() + dataBytes];
        ByteBuffer w = le(out);
        w.put(Npy.MAGIC)
                .put((byte) 1)
                .put((byte) 0)
                .putShort((short) h.length())
                .put(h.toString().getBytes(StandardCharsets.ISO_8859_1));
        return out;
    }

    @Test
    void malformedNpyMembersAndNames() throws IOException {
        byte[] good = Files.readAllBytes(res("targets.npy"));
        byte[] truncated = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (10,), }", 4);
        byte[] badDescr = npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", 8);
        byte[] badDict = npy("{'descr': '<f4', 'shape': (1,), }", 4);
        for (boolean deflate : new boolean[] {false, true}) {
            Path p = zip(
                    "bad-" + deflate + ".npz",
                    deflate,
                    "good.npy",
                    good,
                    "text.npy",
                    "hello, world".getBytes(StandardCharsets.US_ASCII),
                    "truncated.npy",
                    truncated,
                    "descr.npy",
                    badDescr,
                    "dict.npy",
                    badDict,
                    "empty.npy",
                    new byte[0]);
            assertArrayEquals(
                    twin("targets.npy").toLongArray(), Npz.read(p, "good").toLongArray());
            invalid(p, npzRead(p, "text"), p + ":text: not a .npy file");
            invalid(p, npzRead(p, "truncated"), p + ":truncated: truncated: shape (10,) of <f4 needs");
            invalid(p, npzRead(p, "descr"), p + ":descr: unsupported dtype '<c8'");
            invalid(p, npzRead(p, "dict"), p + ":dict: the header does not have exactly the keys");
            invalid(p, npzRead(p, "empty"), p + ":empty: not a .npy file");
            invalid(p, npzRead(p, null), "holds 6 arrays", "good, text, truncated, descr, dict, empty");
        }
        Path f = res("savez.npz");
        invalid(f, () -> open(f.toString()), "holds 2 arrays: name one as " + f + ":NAME (logits, targets)");
        invalid(f, () -> open(f + ":nope"), "no array named 'nope' (it holds: logits, targets)");
        assertSame(twin("logits.npy"), open(f + ":logits.npy"), "the member's zip name, which np.load takes too");
        invalid(f, () -> open(f + ":logits.np"), "no array named 'logits.np'");
        Path c = res("savez_compressed.npz");
        invalid(c, () -> open(c.toString()), "holds 2 arrays", "(logits, targets)");
        byte[] endOnly = new byte[22]; // java.util.zip refuses to write an archive of no entries
        le(endOnly).putInt(0, 0x06054b50);
        Path empty = write("empty.npz", endOnly);
        invalid(empty, npzRead(empty, null), "holds 0 arrays");
        invalid(empty, npzRead(empty, "x"), "no array named 'x' (it holds: none)");
        Path missing = dir.resolve("missing.npz");
        invalid(missing, () -> open(missing + ":logits"), "no such file");
        invalid(dir, () -> Npz.read(dir, "x"), "is a directory");
    }

    /**
     * 65535 members: the classic end record's count is 0xffff and Python's zipfile writes no zip64 records (only past
     * 65535), so the count is read as it stands. Hand-built: stored empty members, one real array.
     */
    @Test
    void npzOf65535MembersWithoutZip64() throws IOException {
        int count = 0xffff;
        byte[] npy = Files.readAllBytes(res("targets.npy"));
        CRC32 crc = new CRC32();
        crc.update(npy);
        Path p = dir.resolve("many.npz");
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(p), 1 << 16)) {
            ByteArrayOutputStream central = new ByteArrayOutputStream();
            long at = 0;
            ByteBuffer w = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (int k = 0; k < count; k++) {
                byte[] name = ("m" + (100000 + k + ".npy").substring(1))
                        .getBytes(StandardCharsets.US_ASCII); // m00000.npy ...
                byte[] data = k == count - 1 ? npy : new byte[0];
                int c = k == count - 1 ? (int) crc.getValue() : 0;
                w.clear();
                w.putInt(0x04034b50)
                        .putShort((short) 20)
                        .putShort((short) 0)
                        .putShort((short) 0)
                        .putInt(0)
                        .putInt(c)
                        .putInt(data.length)
                        .putInt(data.length)
                        .putShort((short) name.length)
                        .putShort((short) 0)
                        .put(name)
                        .put(data);
                w.flip();
                long lho = at;
                at += w.remaining();
                out.write(w.array(), 0, w.remaining());
                ByteBuffer e = ByteBuffer.allocate(46 + name.length).order(ByteOrder.LITTLE_ENDIAN);
                e.putInt(0x02014b50)
                        .putShort((short) 20)
                        .putShort((short) 20)
                        .putShort((short) 0)
                        .putShort((short) 0)
                        .putInt(0)
                        .putInt(c)
                        .putInt(data.length)
                        .putInt(data.length)
                        .putShort((short) name.length)
                        .putShort((short) 0)
                        .putShort((short) 0)
                        .putShort((short) 0)
                        .putShort((short) 0)
                        .putInt(0)
                        .putInt((int) lho)
                        .put(name);
                central.write(e.array());
            }
            byte[] dirBytes = central.toByteArray();
            ByteBuffer end = ByteBuffer.allocate(22).order(ByteOrder.LITTLE_ENDIAN);
            end.putInt(0x06054b50)
                    .putShort((short) 0)
                    .putShort((short) 0)
                    .putShort((short) count)
                    .putShort((short) count)
                    .putInt(dirBytes.length)
                    .putInt((int) at)
                    .putShort((short) 0)
                    .flip();
            out.write(dirBytes);
            out.write(end.array());
        }
        assertEquals(count, Npz.members(p).size());
        assertArrayEquals(
                twin("targets.npy").toLongArray(), Npz.read(p, "m65534").toLongArray());
        invalid(p, npzRead(p, "m00000"), p + ":m00000: not a .npy file");
    }
}
