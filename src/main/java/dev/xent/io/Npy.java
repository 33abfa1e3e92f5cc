package dev.xent.io;

import dev.xent.DType;
import dev.xent.InvalidInputException;
import dev.xent.Tensor;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

// Over 400 lines: One format: the strict header checks sit beside the reads and writes they guard.
/**
 * NumPy {@code .npy} files, format versions 1.0, 2.0 and 3.0, read as {@code np.load} reads them: the header is
 * evaluated as the Python literal it is ({@link PyLiteral}), with numpy's checks (exactly the keys descr,
 * fortran_order and shape; a tuple of at most 64 ints, none a bool; a bool; at most 10000 characters; numpy's retry
 * for Python 2 headers in versions 1 and 2; numpy's size limit, which holds even for an empty array), so what
 * {@code np.load} refuses is refused, naming the file and the problem. Data is always memory-mapped, never
 * copied to the heap: float16, float32, float64, int32 and int64, with int8, int16, uint8 and bool read as int32;
 * little-endian (or single-byte), C order. Sizes are checked with overflow-checked arithmetic before anything is mapped.
 */
public final class Npy {
    static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** numpy's _MAX_HEADER_SIZE: longer headers are refused (np.load: "may not be safe to load securely"). */
    public static final int MAX_HEADER_SIZE = 10000;
    /** Bytes per mapped segment (at most one mapping's limit, 2 GiB). */
    static final long SEGMENT_BYTES = dev.xent.Settings.Tuning.IO_SEGMENT_BYTES;
    /** Arrays up to this size are read into the heap: each mapping counts against the kernel's limit per process. */
    static final long SMALL_BYTES = dev.xent.Settings.Tuning.IO_SMALL_BYTES;

    private static final Set<String> KEYS = Set.of("descr", "fortran_order", "shape");
    /** numpy's NPY_MAXDIMS: np.load refuses a shape with more axes. */
    static final int MAX_DIMS = 64;

    private Npy() {}

    /** The parsed header of an .npy file (or of an .npz member). */
    public static final class Header {
        /** The header's descr as written, e.g. {@code <f4}. */
        public final String descr;
        /** The type xent reads the data as (int32 for int8, int16, uint8 and bool). */
        public final DType dtype;
        /** Bytes per stored element (the dtype's own, or 1 or 2 for small integers read as int32). */
        public final int storedBytes;
        /** True when small stored integers are unsigned (uint8, bool): zero-extended to int32. */
        public final boolean unsigned;
        /** bool data: a non-zero byte reads as 1. */
        public final boolean bool;
        /** The array's dimensions (not a copy: do not modify them). */
        public final long[] shape;
        /** Where the data starts, from the start of the .npy stream. */
        public final long dataOffset;
        /** The data's length in bytes: elements times {@link #storedBytes}. */
        public final long dataBytes;

        Header(
                String descr,
                DType dtype,
                int storedBytes,
                boolean unsigned,
                boolean bool,
                long[] shape,
                long dataOffset,
                long dataBytes) {
            this.bool = bool;
            this.descr = descr;
            this.dtype = dtype;
            this.storedBytes = storedBytes;
            this.unsigned = unsigned;
            this.shape = shape;
            this.dataOffset = dataOffset;
            this.dataBytes = dataBytes;
        }
    }

    /**
     * The array in {@code file}, memory-mapped.
     *
     * @param file an .npy file
     * @return the array (a small one, up to 64 KiB, is read into the heap to spare a mapping)
     * @throws InvalidInputException if the file cannot be read or is not an .npy file np.load would accept
     */
    public static Tensor read(Path file) {
        return read(file, SEGMENT_BYTES);
    }

    /** As {@link #read(Path)} with mappings of at most {@code segmentBytes} (tests cross segment edges on small files). */
    static Tensor read(Path file, long segmentBytes) {
        try (FileChannel ch = Inputs.open(file)) {
            Header h = readHeader(ch, 0, ch.size(), file.toString());
            return tensor(h, segments(ch, h.dataOffset, h.dataBytes, h.storedBytes, segmentBytes));
        } catch (IOException e) {
            throw Inputs.cannotRead(file, e);
        }
    }

    /**
     * Only the header (dtype and shape) of {@code file}.
     *
     * @param file an .npy file
     * @return its checked header; no data is mapped
     * @throws InvalidInputException if the file cannot be read or its header is invalid
     */
    public static Header header(Path file) {
        try (FileChannel ch = Inputs.open(file)) {
            return readHeader(ch, 0, ch.size(), file.toString());
        } catch (IOException e) {
            throw Inputs.cannotRead(file, e);
        }
    }

    /** Maps the data of a .npy stream that starts at {@code base} of {@code ch}. */
    static Tensor map(FileChannel ch, long base, Header h, String name) throws IOException {
        return tensor(h, segments(ch, base + h.dataOffset, h.dataBytes, h.storedBytes, SEGMENT_BYTES));
    }

    static Tensor tensor(Header h, ByteBuffer[] segments) {
        return h.bool
                ? Tensor.ofBoolSegments(segments, h.shape)
                : Tensor.ofSegments(h.dtype, h.storedBytes, h.unsigned, segments, h.shape);
    }

    /** Read-only mappings of [from, from + bytes) of ch, each of at most {@link #SEGMENT_BYTES} and whole elements. */
    static ByteBuffer[] segments(FileChannel ch, long from, long bytes, int elementBytes, long segmentBytes)
            throws IOException {
        if (bytes <= SMALL_BYTES
                && segmentBytes >= SEGMENT_BYTES) { // a small array costs no mapping (a glob of many shards)
            ByteBuffer b = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, b, from, bytes);
            if (b.hasRemaining()) throw new IOException("the file ended early");
            b.flip();
            return new ByteBuffer[] {b};
        }
        long per = Math.max(1, segmentBytes / elementBytes) * elementBytes;
        int n = (int) ((bytes + per - 1) / per);
        ByteBuffer[] out = new ByteBuffer[n];
        for (int i = 0; i < n; i++) {
            long at = i * per;
            out[i] = ch.map(FileChannel.MapMode.READ_ONLY, from + at, Math.min(per, bytes - at))
                    .order(ByteOrder.LITTLE_ENDIAN);
        }
        return out;
    }

    /** Positional reads from where a .npy stream lies (a file channel, or the inflated start of an .npz member). */
    interface Source {
        int read(ByteBuffer dst, long position) throws IOException;
    }

    /**
     * Parses the header of a .npy stream occupying [base, base + limit) of {@code ch}; checks that the data it
     * announces lies within the stream.
     */
    static Header readHeader(FileChannel ch, long base, long limit, String name) throws IOException {
        return readHeader(ch::read, base, limit, name);
    }

    static Header readHeader(Source ch, long base, long limit, String name) throws IOException {
        ByteBuffer pre = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, pre, base, Math.min(12, limit));
        pre.flip();
        if (pre.remaining() < 8) throw bad(name, "not a .npy file (shorter than its magic string)");
        for (byte m : MAGIC) {
            if (pre.get() != m) throw bad(name, "not a .npy file (no \\x93NUMPY magic string)");
        }
        int major = pre.get() & 0xff, minor = pre.get() & 0xff;
        if (minor != 0 || major < 1 || major > 3) {
            throw bad(name, "unsupported .npy format version " + major + "." + minor + " (1.0, 2.0 and 3.0 exist)");
        }
        int lengthBytes = major == 1 ? 2 : 4;
        if (pre.remaining() < lengthBytes) throw bad(name, "truncated: the file ends inside the header length");
        long headerLen = major == 1 ? pre.getShort() & 0xffff : pre.getInt() & 0xffffffffL;
        long prefix = 8 + lengthBytes;
        if (prefix + headerLen > limit) {
            throw bad(
                    name,
                    "truncated: the header announces " + headerLen + " bytes, the file has "
                            + Math.max(0, limit - prefix) + " after the prefix");
        }
        // numpy decodes, then counts characters; a latin-1 character is one byte, so more bytes than this many
        // characters times four can be refused before they are read
        if (headerLen > 4L * MAX_HEADER_SIZE) throw tooLong(name, headerLen);
        ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
        readFully(ch, hb, base + prefix, headerLen);
        String header;
        if (major == 3) {
            try {
                header = StandardCharsets.UTF_8
                        .newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(hb.array()))
                        .toString();
            } catch (CharacterCodingException e) {
                throw bad(name, "the version 3.0 header is not valid UTF-8");
            }
        } else {
            header = new String(hb.array(), StandardCharsets.ISO_8859_1);
        }
        if (header.codePointCount(0, header.length()) > MAX_HEADER_SIZE)
            throw tooLong(name, header.codePointCount(0, header.length()));
        Header h = parse(header, major, name, prefix + headerLen);
        if (h.dataOffset + h.dataBytes > limit) {
            throw bad(
                    name,
                    "truncated: shape " + Tensor.shapeString(h.shape) + " of " + h.descr + " needs "
                            + (h.dataOffset + h.dataBytes) + " bytes, the file has " + limit);
        }
        return h;
    }

    private static InvalidInputException tooLong(String name, long length) {
        return bad(
                name,
                "header of " + length + " characters: numpy refuses headers over " + MAX_HEADER_SIZE
                        + " (max_header_size)");
    }

    private static void readFully(FileChannel ch, ByteBuffer dst, long at, long count) throws IOException {
        readFully((Source) ch::read, dst, at, count);
    }

    private static void readFully(Source ch, ByteBuffer dst, long at, long count) throws IOException {
        dst.limit((int) Math.min(dst.capacity(), count));
        while (dst.hasRemaining()) {
            int n = ch.read(dst, at + dst.position());
            if (n < 0) break;
        }
    }

    /** The header dict, as numpy's _read_array_header checks it. */
    static Header parse(String header, int major, String name, long dataOffset) {
        Object d;
        try {
            d = PyLiteral.eval(header);
        } catch (PyLiteral.Malformed e) {
            if (major > 2) throw bad(name, "cannot parse the header: " + e.getMessage() + ": " + shorten(header));
            try { // numpy's second try for files written by Python 2: 'L' after integers dropped
                d = PyLiteral.evalPython2(header);
            } catch (PyLiteral.Malformed e2) {
                throw bad(name, "cannot parse the header: " + e.getMessage() + ": " + shorten(header));
            }
        }
        if (!(d instanceof Map)) throw bad(name, "the header is not a dictionary: " + shorten(header));
        Map<?, ?> m = (Map<?, ?>) d;
        if (!m.keySet().equals(KEYS)) {
            throw bad(
                    name,
                    "the header does not have exactly the keys 'descr', 'fortran_order' and 'shape': "
                            + shorten(header));
        }
        Object shapeValue = m.get("shape"), fortran = m.get("fortran_order"), descr = m.get("descr");
        if (!(shapeValue instanceof PyLiteral.Tuple))
            throw bad(name, "shape is not a tuple of ints: " + shorten(header));
        List<Object> dims = ((PyLiteral.Tuple) shapeValue).items;
        long[] shape = new long[dims.size()];
        for (int i = 0; i < shape.length; i++) {
            Object v = dims.get(i);
            // a bool passes the header check as an int, then np.load's reshape refuses it
            if (v instanceof Boolean)
                throw bad(
                        name,
                        "shape holds a bool (" + (((Boolean) v) ? "True" : "False") + "), which np.load refuses: "
                                + shorten(header));
            if (!(v instanceof BigInteger)) throw bad(name, "shape is not a tuple of ints: " + shorten(header));
            BigInteger b = (BigInteger) v;
            if (b.signum() < 0) throw bad(name, "negative dimension " + b + " in shape");
            if (b.bitLength() > 63) throw bad(name, "dimension " + b + " in shape is larger than 2^63");
            shape[i] = b.longValue();
        }
        if (shape.length > MAX_DIMS) throw bad(name, shape.length + " axes: numpy arrays have at most " + MAX_DIMS);
        if (!(fortran instanceof Boolean)) throw bad(name, "fortran_order is not a bool: " + shorten(header));
        if (!(descr instanceof String)) {
            if (descr instanceof List || descr instanceof PyLiteral.Tuple)
                throw bad(name, "structured dtypes are not supported: " + shorten(header));
            throw bad(name, "descr is not a valid dtype descriptor: " + shorten(header));
        }
        String ds = (String) descr;
        Type t = type(ds, name);
        if ((Boolean) fortran && countNonTrivialAxes(shape) > 1) {
            throw bad(name, "Fortran-order arrays are not supported; save with np.ascontiguousarray");
        }
        // numpy sizes an array as the item size times every dimension but the zero ones, and refuses one over 2^63 - 1
        // bytes even when a zero dimension leaves it empty
        long bytes = t.bytes;
        boolean empty = false;
        try {
            for (long dim : shape) {
                if (dim == 0) empty = true;
                else bytes = Math.multiplyExact(bytes, dim);
            }
            if (empty) bytes = 0;
            Math.addExact(bytes, dataOffset);
        } catch (ArithmeticException e) {
            throw bad(name, "shape " + Tensor.shapeString(shape) + " of " + ds + " needs more than 2^63 bytes");
        }
        return new Header(ds, t.dtype, t.bytes, t.unsigned, t.bool, shape, dataOffset, bytes);
    }

    /** Fortran and C order are the same layout when at most one axis is longer than 1. */
    private static int countNonTrivialAxes(long[] shape) {
        int k = 0;
        for (long d : shape) if (d > 1) k++;
        return k;
    }

    private static String shorten(String header) {
        String h = header.strip();
        return h.length() > 200 ? h.substring(0, 200) + "..." : h;
    }

    /** How a descr string is stored and read. */
    private static final class Type {
        final DType dtype;
        final int bytes;
        final boolean unsigned, bool;

        Type(DType dtype, int bytes, boolean unsigned) {
            this(dtype, bytes, unsigned, false);
        }

        Type(DType dtype, int bytes, boolean unsigned, boolean bool) {
            this.dtype = dtype;
            this.bytes = bytes;
            this.unsigned = unsigned;
            this.bool = bool;
        }
    }

    /**
     * The descriptors numpy writes ({@code dtype.str}: '<f4', '|u1', ...) and the aliases {@code np.dtype} takes for
     * the same types ('float32', 'f', 'double', ...), little-endian or native ('=', which is little-endian on every
     * machine xent runs on) or byte order free ('|'); big-endian data is refused with the conversion to use.
     */
    private static Type type(String descr, String name) {
        String code = descr;
        char order = 0;
        if (!code.isEmpty() && "<>=|!".indexOf(code.charAt(0)) >= 0) {
            order = code.charAt(0);
            code = code.substring(1);
        }
        Type t = CODES.get(code);
        if (t == null && order == 0) t = NAMES.get(code);
        if (t == null) {
            throw bad(
                    name,
                    "unsupported dtype '" + descr
                            + "' (supported: float16, float32, float64, int8, int16, int32, int64, uint8, bool)");
        }
        if ((order == '>' || order == '!') && t.bytes > 1) {
            throw bad(
                    name,
                    "big-endian data (" + descr
                            + ") is not supported; convert with arr.astype(arr.dtype.newbyteorder('<'))");
        }
        return t;
    }

    private static final Type F16 = new Type(DType.F16, 2, false),
            F32 = new Type(DType.F32, 4, false),
            F64 = new Type(DType.F64, 8, false),
            I8 = new Type(DType.I32, 1, false),
            U8 = new Type(DType.I32, 1, true),
            BOOL = new Type(DType.I32, 1, true, true),
            I16 = new Type(DType.I32, 2, false),
            I32 = new Type(DType.I32, 4, false),
            I64 = new Type(DType.I64, 8, false);

    /** Type codes, with or without a byte order. */
    private static final Map<String, Type> CODES = Map.ofEntries(
            Map.entry("f2", F16),
            Map.entry("e", F16),
            Map.entry("f4", F32),
            Map.entry("f", F32),
            Map.entry("f8", F64),
            Map.entry("d", F64),
            Map.entry("i1", I8),
            Map.entry("b", I8),
            Map.entry("u1", U8),
            Map.entry("B", U8),
            Map.entry("b1", BOOL),
            Map.entry("?", BOOL),
            Map.entry("i2", I16),
            Map.entry("h", I16),
            Map.entry("i4", I32),
            Map.entry("i", I32),
            Map.entry("i8", I64),
            Map.entry("l", I64),
            Map.entry("q", I64),
            Map.entry("p", I64));

    /** Type names, without a byte order (numpy takes none on them). */
    private static final Map<String, Type> NAMES = Map.ofEntries(
            Map.entry("float16", F16),
            Map.entry("half", F16),
            Map.entry("float32", F32),
            Map.entry("single", F32),
            Map.entry("float64", F64),
            Map.entry("double", F64),
            Map.entry("float", F64),
            Map.entry("int8", I8),
            Map.entry("byte", I8),
            Map.entry("uint8", U8),
            Map.entry("ubyte", U8),
            Map.entry("bool", BOOL),
            Map.entry("bool_", BOOL),
            Map.entry("int16", I16),
            Map.entry("short", I16),
            Map.entry("int32", I32),
            Map.entry("intc", I32),
            Map.entry("int64", I64),
            Map.entry("int", I64),
            Map.entry("int_", I64),
            Map.entry("intp", I64),
            Map.entry("long", I64),
            Map.entry("longlong", I64));

    static InvalidInputException bad(String name, String what) {
        return new InvalidInputException(name + ": " + what);
    }

    // ------------------------------------------------------------------------------------------------ writing

    /**
     * The descr numpy writes for {@code dtype} (NumPy has no bfloat16).
     *
     * @param dtype any type but BF16
     * @return the little-endian descr, e.g. {@code <f4}
     * @throws InvalidInputException for BF16
     */
    public static String descr(DType dtype) {
        switch (dtype) {
            case F16:
                return "<f2";
            case F32:
                return "<f4";
            case F64:
                return "<f8";
            case I32:
                return "<i4";
            case I64:
                return "<i8";
            default:
                throw new InvalidInputException("NumPy has no bfloat16: convert to float32 first");
        }
    }

    /**
     * A version 1.0 header (2.0 if longer than 65535 bytes), padded with spaces to 64 bytes as numpy pads it.
     *
     * @param dtype the data's type, any but BF16
     * @param shape the array's dimensions, C order
     * @return the header bytes, ready to be written (position 0, limit its length)
     * @throws InvalidInputException for BF16
     */
    public static ByteBuffer header(DType dtype, long[] shape) {
        String dict = String.format(
                Locale.ROOT,
                "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                descr(dtype),
                Tensor.shapeString(shape));
        int prefix = 10;
        int padded = (prefix + dict.length() + 1 + 63) / 64 * 64; // data aligned to 64 bytes
        boolean v2 = padded - prefix > 0xffff;
        if (v2) {
            prefix = 12;
            padded = (prefix + dict.length() + 1 + 63) / 64 * 64;
        }
        StringBuilder h = new StringBuilder(dict);
        while (prefix + h.length() + 1 < padded) h.append(' ');
        h.append('\n');
        ByteBuffer head = ByteBuffer.allocate(prefix + h.length()).order(ByteOrder.LITTLE_ENDIAN);
        head.put(MAGIC).put((byte) (v2 ? 2 : 1)).put((byte) 0);
        if (v2) head.putInt(h.length());
        else head.putShort((short) h.length());
        head.put(h.toString().getBytes(StandardCharsets.ISO_8859_1));
        head.flip();
        return head;
    }

    /**
     * Writes {@code t} to {@code file} safely: to a temporary beside it, synced, then renamed over it (see
     * {@link OutputSet}); bfloat16 is written as float32, which numpy reads.
     *
     * @param file the file to create or replace
     * @param t the array
     * @throws InvalidInputException if the file cannot be written (then it is left as it was)
     */
    public static void write(Path file, Tensor t) {
        try (OutputSet outs = new OutputSet()) {
            NpyWriter w = outs.npy(file, t.dtype() == DType.BF16 ? DType.F32 : t.dtype(), t.shape());
            w.write(0, t);
            outs.commit();
        }
    }
}
