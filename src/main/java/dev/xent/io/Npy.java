package dev.xent.io;

import dev.xent.DType;
import dev.xent.InvalidInputException;
import dev.xent.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy {@code .npy} files, format versions 1.0, 2.0 and 3.0: little-endian, C order; float16, float32, float64,
 * int32 and int64 (and bool, int8, uint8, int16 targets, widened to int32). Files whose data fits one Java array are
 * read into memory; larger ones are memory-mapped in chunks, so tensors of more than 2^31 elements work.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** Elements per mapped chunk: 2^28 (at most 2 GiB for float64, the limit of one mapping). */
    static final int DEFAULT_CHUNK_SHIFT = 28;

    private Npy() {}

    /** The parsed header of an .npy file. */
    public static final class Header {
        public final String descr;
        public final DType dtype;
        public final long[] shape;
        public final long dataOffset;

        Header(String descr, DType dtype, long[] shape, long dataOffset) {
            this.descr = descr;
            this.dtype = dtype;
            this.shape = shape;
            this.dataOffset = dataOffset;
        }
    }

    public static Tensor read(Path file) { return read(file, DEFAULT_CHUNK_SHIFT, false); }

    /**
     * Reads {@code file}; {@code forceMap} maps it even when small, and {@code chunkShift} sets elements per mapped
     * chunk (both for tests of the large-file path on small files).
     */
    public static Tensor read(Path file, int chunkShift, boolean forceMap) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Header h = readHeader(ch, file);
            long n = Tensor.numel(h.shape);
            int es = sourceSize(h.descr);
            long need = h.dataOffset + n * es;
            if (ch.size() < need) {
                throw bad(file, "truncated: shape " + Tensor.shapeString(h.shape) + " of " + h.descr + " needs " + need
                        + " bytes, the file has " + ch.size());
            }
            boolean widen = es != h.dtype.byteSize();
            if (!widen && (forceMap || n > Tensor.MAX_ARRAY_ELEMENTS)) return mapped(ch, h, n, chunkShift);
            if (n > Tensor.MAX_ARRAY_ELEMENTS) throw bad(file, h.descr + " arrays over 2^31 elements are not supported");
            ByteBuffer data = ByteBuffer.allocate(Math.toIntExact(n * es)).order(ByteOrder.LITTLE_ENDIAN);
            ch.position(h.dataOffset);
            while (data.hasRemaining()) {
                if (ch.read(data) < 0) throw bad(file, "truncated while reading data");
            }
            data.flip();
            return fromBytes(h, (int) n, data);
        } catch (NoSuchFileException e) {
            throw new InvalidInputException(file + ": no such file");
        } catch (IOException e) {
            throw new InvalidInputException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Reads only the header (dtype and shape) of {@code file}. */
    public static Header header(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return readHeader(ch, file);
        } catch (NoSuchFileException e) {
            throw new InvalidInputException(file + ": no such file");
        } catch (IOException e) {
            throw new InvalidInputException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static Tensor mapped(FileChannel ch, Header h, long n, int shift) throws IOException {
        int es = h.dtype.byteSize();
        long perChunk = 1L << shift;
        int count = (int) ((n + perChunk - 1) / perChunk);
        ByteBuffer[] chunks = new ByteBuffer[Math.max(count, 1)];
        if (n == 0) chunks[0] = ByteBuffer.allocate(0);
        for (int i = 0; i < count; i++) {
            long first = i * perChunk;
            long len = Math.min(perChunk, n - first) * es;
            chunks[i] = ch.map(FileChannel.MapMode.READ_ONLY, h.dataOffset + first * es, len);
        }
        return Tensor.ofChunks(h.dtype, chunks, shift, h.shape);
    }

    private static Tensor fromBytes(Header h, int n, ByteBuffer b) {
        switch (h.descr.substring(1)) {
            case "f2": { short[] a = new short[n]; b.asShortBuffer().get(a); return Tensor.ofHalfBits(DType.F16, a, h.shape); }
            case "f4": { float[] a = new float[n]; b.asFloatBuffer().get(a); return Tensor.of(a, h.shape); }
            case "f8": { double[] a = new double[n]; b.asDoubleBuffer().get(a); return Tensor.of(a, h.shape); }
            case "i4": { int[] a = new int[n]; b.asIntBuffer().get(a); return Tensor.of(a, h.shape); }
            case "i8": { long[] a = new long[n]; b.asLongBuffer().get(a); return Tensor.of(a, h.shape); }
            case "i2": { int[] a = new int[n]; for (int i = 0; i < n; i++) a[i] = b.getShort(); return Tensor.of(a, h.shape); }
            case "i1": { int[] a = new int[n]; for (int i = 0; i < n; i++) a[i] = b.get(); return Tensor.of(a, h.shape); }
            default: { int[] a = new int[n]; for (int i = 0; i < n; i++) a[i] = b.get() & 0xff; return Tensor.of(a, h.shape); } // u1, b1
        }
    }

    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private static Header readHeader(FileChannel ch, Path file) throws IOException {
        ByteBuffer pre = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        ch.read(pre, 0);
        pre.flip();
        if (pre.remaining() < 10) throw bad(file, "not a .npy file (too short for the header)");
        for (byte m : MAGIC) {
            if (pre.get() != m) throw bad(file, "not a .npy file (no \\x93NUMPY magic)");
        }
        int major = pre.get() & 0xff;
        pre.get(); // minor version: nothing depends on it
        long headerLen;
        int prefix;
        if (major == 1) { headerLen = pre.getShort() & 0xffff; prefix = 10; }
        else if (major == 2 || major == 3) {
            if (pre.remaining() < 4) throw bad(file, "truncated header");
            headerLen = pre.getInt() & 0xffffffffL;
            prefix = 12;
        } else throw bad(file, "unsupported .npy format version " + major + " (1, 2 and 3 are supported)");
        if (headerLen > (1 << 20) || prefix + headerLen > ch.size()) throw bad(file, "truncated or corrupt header");
        ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
        ch.read(hb, prefix);
        String dict = new String(hb.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);

        Matcher d = DESCR.matcher(dict), f = FORTRAN.matcher(dict), s = SHAPE.matcher(dict);
        if (!d.find() || !f.find() || !s.find()) throw bad(file, "header is not a NumPy dict with descr, fortran_order and shape: " + dict.trim());
        if (f.group(1).equals("True")) throw bad(file, "Fortran-order arrays are not supported; save with np.ascontiguousarray");
        String descr = d.group(1);
        DType dt = dtypeOf(descr, file);
        List<Long> dims = new ArrayList<>();
        for (String part : s.group(1).split(",")) {
            String t = part.trim();
            if (t.isEmpty()) continue;
            try {
                dims.add(Long.parseLong(t.endsWith("L") ? t.substring(0, t.length() - 1) : t));
            } catch (NumberFormatException e) {
                throw bad(file, "bad shape in header: (" + s.group(1) + ")");
            }
        }
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        return new Header(descr, dt, shape, prefix + headerLen);
    }

    private static DType dtypeOf(String descr, Path file) {
        if (descr.length() >= 2 && descr.charAt(0) == '>' && !descr.substring(1).matches("[iub]1")) {
            throw bad(file, "big-endian data (" + descr + ") is not supported; convert with arr.astype(arr.dtype.newbyteorder('<'))");
        }
        switch (descr) {
            case "<f2": return DType.F16;
            case "<f4": return DType.F32;
            case "<f8": return DType.F64;
            case "<i4": return DType.I32;
            case "<i8": return DType.I64;
            case "<i2": case "|i1": case "|u1": case "|b1": return DType.I32; // small integer targets widen to int32
            default:
                throw bad(file, "unsupported dtype '" + descr + "' (supported: float16, float32, float64, int8/16/32/64, uint8, bool)");
        }
    }

    private static int sourceSize(String descr) {
        return descr.endsWith("1") ? 1 : Integer.parseInt(descr.substring(2));
    }

    private static InvalidInputException bad(Path file, String what) {
        return new InvalidInputException(file + ": " + what);
    }

    // ------------------------------------------------------------------------------------------------ writing

    /** Writes {@code t} as a version 1.0 (or 2.0 for long headers) .npy file, C order, little-endian. */
    public static void write(Path file, Tensor t) {
        if (t.dtype() == DType.BF16) throw new InvalidInputException("NumPy has no bfloat16: convert to float32 first");
        String descr;
        switch (t.dtype()) {
            case F16: descr = "<f2"; break;
            case F32: descr = "<f4"; break;
            case F64: descr = "<f8"; break;
            case I32: descr = "<i4"; break;
            default: descr = "<i8";
        }
        long[] sh = t.shape();
        StringBuilder shape = new StringBuilder("(");
        for (int i = 0; i < sh.length; i++) shape.append(i == 0 ? "" : ", ").append(sh[i]);
        if (sh.length == 1) shape.append(',');
        shape.append(')');
        String dict = String.format(Locale.ROOT, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape);
        int prefix = 10;
        int total = prefix + dict.length() + 1;
        int padded = (total + 63) / 64 * 64; // NumPy aligns the data to 64 bytes
        boolean v2 = padded - prefix > 0xffff;
        if (v2) { prefix = 12; total = prefix + dict.length() + 1; padded = (total + 63) / 64 * 64; }
        StringBuilder h = new StringBuilder(dict);
        while (prefix + h.length() + 1 < padded) h.append(' ');
        h.append('\n');
        ByteBuffer head = ByteBuffer.allocate(prefix + h.length()).order(ByteOrder.LITTLE_ENDIAN);
        head.put(MAGIC).put((byte) (v2 ? 2 : 1)).put((byte) 0);
        if (v2) head.putInt(h.length()); else head.putShort((short) h.length());
        head.put(h.toString().getBytes(StandardCharsets.ISO_8859_1));
        long n = t.byteSize();
        if (n > Tensor.MAX_ARRAY_ELEMENTS) throw new InvalidInputException("writing tensors over 2 GiB is not supported");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            ByteBuffer body = ByteBuffer.allocate((int) n).order(ByteOrder.LITTLE_ENDIAN);
            t.copyBytesTo(body);
            body.flip();
            head.flip();
            while (head.hasRemaining()) ch.write(head);
            while (body.hasRemaining()) ch.write(body);
        } catch (IOException e) {
            throw new InvalidInputException(file + ": cannot write: " + e.getMessage(), e);
        }
    }
}
