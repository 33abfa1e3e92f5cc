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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hugging Face safetensors files, checked as the reference implementation checks them: an 8-byte little-endian header
 * length of at most 100 MB, a UTF-8 JSON object of tensors (dtype, shape, data_offsets) and an optional
 * {@code __metadata__} of strings (or null); offsets that, sorted, tile the data from its start to the end of the file
 * with no gap, overlap or trailing byte; each tensor's bytes equal to its shape times its dtype's size
 * (overflow-checked, whole bytes for the sub-byte types). Every dtype the format defines is checked, so a file that
 * also holds, say, C64 or F4 tensors still gives up its others; a tensor name given twice is refused (the reference
 * keeps the last silently).
 * Tensors are memory-mapped: BF16, F16, F32, F64, I32 and I64, with BOOL, U8, I8 and I16 read as int32.
 */
public final class SafeTensors {
    /** The reference implementation's MAX_HEADER_SIZE. */
    static final long MAX_HEADER_BYTES = 100_000_000;
    /**
     * xent's own, lower limit: a header is decoded and parsed whole, and one near the format's limit would need more
     * heap than a loss does (the headers of logits files are a few hundred bytes).
     */
    static final long XENT_HEADER_BYTES = 16 << 20;
    /** Bits per element of every dtype of the format (safetensors 0.8's Dtype::bitsize). */
    private static final Map<String, Integer> BITS = Map.ofEntries(
            Map.entry("F4", 4),
            Map.entry("F6_E2M3", 6),
            Map.entry("F6_E3M2", 6),
            Map.entry("BOOL", 8),
            Map.entry("U8", 8),
            Map.entry("I8", 8),
            Map.entry("F8_E5M2", 8),
            Map.entry("F8_E4M3", 8),
            Map.entry("F8_E8M0", 8),
            Map.entry("F8_E4M3FNUZ", 8),
            Map.entry("F8_E5M2FNUZ", 8),
            Map.entry("I16", 16),
            Map.entry("U16", 16),
            Map.entry("F16", 16),
            Map.entry("BF16", 16),
            Map.entry("I32", 32),
            Map.entry("U32", 32),
            Map.entry("F32", 32),
            Map.entry("F64", 64),
            Map.entry("C64", 64),
            Map.entry("I64", 64),
            Map.entry("U64", 64));

    private SafeTensors() {}

    /** One tensor's entry in the header. */
    public static final class Entry {
        /** The tensor's name, and its dtype as the header spells it (F32, BF16, I64, ...). */
        public final String name, dtype;
        /** The tensor's dimensions. */
        public final long[] shape;
        /** Byte range within the data section (after the header). */
        public final long begin, end;

        Entry(String name, String dtype, long[] shape, long begin, long end) {
            this.name = name;
            this.dtype = dtype;
            this.shape = shape;
            this.begin = begin;
            this.end = end;
        }
    }

    /**
     * The checked header of {@code file}: its entries in offset order.
     *
     * @param file a safetensors file
     * @return its tensors' entries; no data is mapped
     * @throws InvalidInputException if the file cannot be read or its header is invalid
     */
    public static List<Entry> entries(Path file) {
        try (FileChannel ch = Inputs.open(file)) {
            return readHeader(ch, file.toString()).entries;
        } catch (IOException e) {
            throw Inputs.cannotRead(file, e);
        }
    }

    /**
     * Tensor {@code name} of {@code file} (null: the file's only tensor), memory-mapped.
     *
     * @param file a safetensors file
     * @param name the tensor's name, or null when the file holds one tensor
     * @return the tensor, read in place
     * @throws InvalidInputException if the file cannot be read or is invalid, the tensor is missing or ambiguous, or
     *     its dtype is one xent does not read
     */
    public static Tensor read(Path file, String name) {
        try (FileChannel ch = Inputs.open(file)) {
            Header h = readHeader(ch, file.toString());
            Entry e;
            if (name == null) {
                if (h.entries.size() != 1) {
                    throw Npy.bad(
                            file.toString(),
                            "holds " + h.entries.size() + " tensors: name one as " + file + ":NAME (" + names(h.entries)
                                    + ")");
                }
                e = h.entries.get(0);
            } else {
                e = h.byName.get(name);
                if (e == null)
                    throw Npy.bad(
                            file.toString(), "no tensor named '" + name + "' (it holds: " + names(h.entries) + ")");
            }
            int width = BITS.get(e.dtype) / 8;
            DType dt;
            boolean unsigned = false;
            switch (e.dtype) {
                case "F16":
                    dt = DType.F16;
                    break;
                case "BF16":
                    dt = DType.BF16;
                    break;
                case "F32":
                    dt = DType.F32;
                    break;
                case "F64":
                    dt = DType.F64;
                    break;
                case "I32":
                    dt = DType.I32;
                    break;
                case "I64":
                    dt = DType.I64;
                    break;
                case "BOOL":
                case "U8":
                    dt = DType.I32;
                    unsigned = true;
                    break;
                case "I8":
                case "I16":
                    dt = DType.I32;
                    break;
                default:
                    throw Npy.bad(
                            file.toString(),
                            "tensor '" + e.name + "' is " + e.dtype
                                    + ": unsupported (BF16, F16, F32, F64, I32, I64, and BOOL, U8, I8, I16 as int32)");
            }
            long at = h.dataStart + e.begin;
            java.nio.ByteBuffer[] segs = Npy.segments(ch, at, e.end - e.begin, width, Npy.SEGMENT_BYTES);
            return e.dtype.equals("BOOL")
                    ? Tensor.ofBoolSegments(segs, e.shape)
                    : Tensor.ofSegments(dt, width, unsigned, segs, e.shape);
        } catch (IOException ex) {
            throw Inputs.cannotRead(file, ex);
        }
    }

    private static String names(List<Entry> entries) {
        StringBuilder b = new StringBuilder();
        for (int k = 0; k < entries.size() && k < 20; k++)
            b.append(k == 0 ? "" : ", ").append(entries.get(k).name);
        if (entries.size() > 20) b.append(", ...");
        return b.length() == 0 ? "none" : b.toString();
    }

    private static final class Header {
        final List<Entry> entries;
        final Map<String, Entry> byName;
        final long dataStart;

        Header(List<Entry> entries, Map<String, Entry> byName, long dataStart) {
            this.entries = entries;
            this.byName = byName;
            this.dataStart = dataStart;
        }
    }

    private static Header readHeader(FileChannel ch, String name) throws IOException {
        long size = ch.size();
        if (size < 8) throw Npy.bad(name, "not a safetensors file (shorter than the 8-byte header length)");
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        while (len.hasRemaining() && ch.read(len, len.position()) >= 0) {
            /* fill */
        }
        long n = len.getLong(0);
        if (n < 0 || n > MAX_HEADER_BYTES)
            throw Npy.bad(
                    name,
                    "safetensors header length " + Long.toUnsignedString(n) + " exceeds the format's limit of 100 MB");
        if (n > XENT_HEADER_BYTES) {
            throw Npy.bad(
                    name,
                    "a safetensors header of " + n
                            + " bytes: xent reads headers of up to 16 MiB (a tensor table that large is not"
                            + " a logits file; split it)");
        }
        if (8 + n > size)
            throw Npy.bad(
                    name,
                    "truncated: the safetensors header announces " + n + " bytes, the file has " + (size - 8)
                            + " after the length");
        ByteBuffer hb = ByteBuffer.allocate((int) n);
        while (hb.hasRemaining() && ch.read(hb, 8 + hb.position()) >= 0) {
            /* fill */
        }
        String json;
        try {
            json = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(hb.array()))
                    .toString();
        } catch (CharacterCodingException e) {
            throw Npy.bad(name, "the safetensors header is not valid UTF-8");
        }
        // JSON whitespace may come first: the reference's '{' check is commented out and serde_json skips it
        int first = 0;
        while (first < json.length() && " \t\n\r".indexOf(json.charAt(first)) >= 0) first++;
        if (!json.startsWith("{", first)) throw Npy.bad(name, "the safetensors header does not start with '{'");
        Object doc;
        try {
            doc = JsonValue.parse(json);
        } catch (PyLiteral.Malformed e) {
            throw Npy.bad(name, "the safetensors header is not valid JSON: " + e.getMessage());
        }
        if (!(doc instanceof Map)) throw Npy.bad(name, "the safetensors header is not a JSON object");
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<?, ?> kv : ((Map<?, ?>) doc).entrySet()) {
            String key = (String) kv.getKey();
            if (key.equals("__metadata__")) {
                if (kv.getValue() == JsonValue.NULL) continue; // an Option in the reference: null is no metadata
                if (!(kv.getValue() instanceof Map)) throw Npy.bad(name, "__metadata__ is not an object of strings");
                for (Object v : ((Map<?, ?>) kv.getValue()).values()) {
                    if (!(v instanceof String)) throw Npy.bad(name, "__metadata__ is not an object of strings");
                }
                continue;
            }
            entries.add(entry(key, kv.getValue(), name));
        }
        entries.sort(Comparator.<Entry>comparingLong(e -> e.begin).thenComparingLong(e -> e.end));
        long at = 0;
        Map<String, Entry> byName = new LinkedHashMap<>();
        for (Entry e : entries) {
            if (e.begin != at || e.end < e.begin) {
                throw Npy.bad(
                        name,
                        "tensor '" + e.name + "' has data_offsets [" + e.begin + ", " + e.end
                                + "]; expected it to start at " + at
                                + " (offsets must tile the data with no gap or overlap)");
            }
            long bits;
            try {
                bits = Math.multiplyExact(Tensor.numel(e.shape), (long) BITS.get(e.dtype));
            } catch (ArithmeticException | InvalidInputException ex) {
                throw Npy.bad(name, "tensor '" + e.name + "' has a shape whose byte size overflows 64 bits");
            }
            if (bits % 8 != 0) {
                throw Npy.bad(
                        name,
                        "tensor '" + e.name + "' of shape " + Tensor.shapeString(e.shape) + " " + e.dtype
                                + " does not fill whole bytes");
            }
            long bytes = bits / 8;
            if (e.end - e.begin != bytes) {
                throw Npy.bad(
                        name,
                        "tensor '" + e.name + "' of shape " + Tensor.shapeString(e.shape) + " " + e.dtype + " needs "
                                + bytes + " bytes, its data_offsets span " + (e.end - e.begin));
            }
            at = e.end;
            byName.put(e.name, e);
        }
        if (8 + n + at != size) {
            throw Npy.bad(
                    name,
                    (8 + n + at > size ? "truncated: the tensors need " : "the tensors account for ") + (8 + n + at)
                            + " bytes, the file has " + size);
        }
        return new Header(entries, byName, 8 + n);
    }

    private static Entry entry(String key, Object v, String name) {
        if (!(v instanceof Map))
            throw Npy.bad(name, "tensor '" + key + "' is not an object with dtype, shape and data_offsets");
        Map<?, ?> m = (Map<?, ?>) v;
        Object dt = m.get("dtype"), shape = m.get("shape"), offsets = m.get("data_offsets");
        if (!(dt instanceof String) || !BITS.containsKey(dt))
            throw Npy.bad(name, "tensor '" + key + "' has an unknown dtype " + dt);
        if (!(shape instanceof List)) throw Npy.bad(name, "tensor '" + key + "' has no shape list");
        if (!(offsets instanceof List) || ((List<?>) offsets).size() != 2)
            throw Npy.bad(name, "tensor '" + key + "' has no data_offsets pair");
        List<?> sl = (List<?>) shape;
        long[] s = new long[sl.size()];
        for (int k = 0; k < s.length; k++) s[k] = unsigned(sl.get(k), name, key, "shape");
        long b = unsigned(((List<?>) offsets).get(0), name, key, "data_offsets"),
                e = unsigned(((List<?>) offsets).get(1), name, key, "data_offsets");
        return new Entry(key, (String) dt, s, b, e);
    }

    private static long unsigned(Object o, String name, String key, String field) {
        if (!(o instanceof BigInteger) || ((BigInteger) o).signum() < 0 || ((BigInteger) o).bitLength() > 63) {
            throw Npy.bad(
                    name, "tensor '" + key + "' has a " + field + " entry that is not an integer in [0, 2^63): " + o);
        }
        return ((BigInteger) o).longValue();
    }
}
