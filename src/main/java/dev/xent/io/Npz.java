package dev.xent.io;

import dev.xent.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

// Over 400 lines: One format: the zip directory walk, both entry kinds (stored, deflated) and their checks belong
// together.
/**
 * NumPy {@code .npz} archives ({@code np.savez}, {@code np.savez_compressed}): a zip file (zip64 included) of .npy
 * members, named as {@code np.load} names them (without ".npy"). The zip structure is read from its central directory
 * with every offset and size checked against the file. Stored members (np.savez) are memory-mapped where they lie;
 * deflated ones (np.savez_compressed) are inflated once, with their CRC-32 and size checked, into a temporary file
 * (java.io.tmpdir, deleted as soon as it is mapped) and mapped from there, so neither is ever copied to the heap.
 */
public final class Npz {
    private static final int EOCD = 0x06054b50,
            ZIP64_LOCATOR = 0x07064b50,
            ZIP64_EOCD = 0x06064b50,
            CENTRAL = 0x02014b50,
            LOCAL = 0x04034b50;

    private Npz() {}

    /** One member of the archive. */
    public static final class Member {
        /** The member's name as np.load lists it: the zip entry's name without a ".npy" suffix. */
        public final String name;

        final String zipName;
        final int method; // 0 stored, 8 deflated
        final long crc, compressedSize, size, localHeader;
        final int flags;

        Member(String zipName, int method, int flags, long crc, long compressedSize, long size, long localHeader) {
            this.zipName = zipName;
            this.name = zipName.endsWith(".npy") ? zipName.substring(0, zipName.length() - 4) : zipName;
            this.method = method;
            this.flags = flags;
            this.crc = crc;
            this.compressedSize = compressedSize;
            this.size = size;
            this.localHeader = localHeader;
        }
    }

    /**
     * The members of {@code file}, in archive order.
     *
     * @param file an .npz archive
     * @return its members, from the central directory (no member is read)
     * @throws dev.xent.InvalidInputException if the file cannot be read or is not a valid zip archive
     */
    public static List<Member> members(Path file) {
        try (FileChannel ch = Inputs.open(file)) {
            return new ArrayList<>(directory(ch, file.toString()).values());
        } catch (IOException e) {
            throw Inputs.cannotRead(file, e);
        }
    }

    /**
     * Member {@code name} of {@code file} (null: the archive's only member), memory-mapped.
     *
     * @param file an .npz archive
     * @param name the member as np.load names it (or its zip name, with ".npy"), or null
     * @return the member's array, mapped where it lies (stored) or from a temporary file (deflated)
     * @throws dev.xent.InvalidInputException if the file cannot be read, is corrupt (a CRC-32 or size mismatch), the member is
     *     missing or ambiguous, or its .npy data is invalid
     */
    public static Tensor read(Path file, String name) {
        return open(file, name, false).tensor;
    }

    /**
     * Only the .npy header of member {@code name}: a stored member's is read where it lies, a deflated one's inflated alone.
     *
     * @param file an .npz archive
     * @param name the member, or null for the archive's only one
     * @return the member's header
     * @throws dev.xent.InvalidInputException as {@link #read} does, for the header
     */
    public static Npy.Header header(Path file, String name) {
        return open(file, name, true).header;
    }

    private static final class Opened {
        final Npy.Header header;
        final Tensor tensor;

        Opened(Npy.Header header, Tensor tensor) {
            this.header = header;
            this.tensor = tensor;
        }
    }

    private static Opened open(Path file, String name, boolean headerOnly) {
        String label = file.toString();
        try (FileChannel ch = Inputs.open(file)) {
            Map<String, Member> dir = directory(ch, label);
            Member m;
            if (name == null) {
                if (dir.size() != 1)
                    throw Npy.bad(
                            label,
                            "holds " + dir.size() + " arrays: name one as " + file + ":NAME ("
                                    + String.join(", ", dir.keySet()) + ")");
                m = dir.values().iterator().next();
            } else {
                m = dir.get(name);
                if (m == null) { // np.load takes the zip's own name ("x.npy") too
                    for (Member x : dir.values()) if (x.zipName.equals(name)) m = x;
                }
                if (m == null)
                    throw Npy.bad(
                            label,
                            "no array named '" + name + "' (it holds: "
                                    + (dir.isEmpty() ? "none" : String.join(", ", dir.keySet())) + ")");
            }
            String memberLabel = label + ":" + m.name;
            long data = dataOffset(ch, m, label);
            if (m.method == 0) {
                if (m.compressedSize != m.size)
                    throw Npy.bad(memberLabel, "a stored zip member whose compressed and uncompressed sizes differ");
                Npy.Header h = Npy.readHeader(ch, data, m.size, memberLabel);
                if (headerOnly) return new Opened(h, null);
                Tensor t = Npy.map(ch, data, h, memberLabel);
                if (crc(ch, data, m.size) != m.crc)
                    throw Npy.bad(memberLabel, "CRC-32 mismatch: the zip member is corrupt (np.load: Bad CRC-32)");
                return new Opened(h, t);
            }
            if (m.method != 8)
                throw Npy.bad(
                        memberLabel,
                        "zip compression method " + m.method
                                + " is not supported (np.savez stores, np.savez_compressed deflates)");
            if (headerOnly) return new Opened(inflatedHeader(ch, data, m, memberLabel), null);
            return new Opened(null, inflated(ch, data, m, memberLabel));
        } catch (IOException e) {
            throw Inputs.cannotRead(file, e);
        }
    }

    /**
     * CRC-32 of [at, at + n) of ch, as zipfile checks a member it reads to the end (np.load does): read through the
     * mapping in 64 MiB pieces, on the intrinsic path of CRC32.
     */
    private static long crc(FileChannel ch, long at, long n) throws IOException {
        CRC32 crc = new CRC32();
        for (long done = 0; done < n; ) {
            long k = Math.min(64L << 20, n - done);
            crc.update(ch.map(FileChannel.MapMode.READ_ONLY, at + done, k));
            done += k;
        }
        return crc.getValue();
    }

    /**
     * Inflates a deflated member into a temporary file, checking size and CRC-32, and maps it from there. The .npy
     * header is checked as soon as it is inflated, so a member whose header is bad or whose data would not fit the
     * declared size is refused before the rest is written.
     */
    private static Tensor inflated(FileChannel ch, long data, Member m, String label) throws IOException {
        String dirName = System.getProperty("java.io.tmpdir");
        Path tmpDir = Path.of(dirName);
        if (!Files.isDirectory(tmpDir) || !Files.isWritable(tmpDir)) {
            throw Npy.bad(
                    label,
                    "inflating this compressed member needs a writable temporary directory, and java.io.tmpdir ("
                            + dirName + ") is not one");
        }
        if (Files.getFileStore(tmpDir).getUsableSpace() < m.size) {
            throw Npy.bad(
                    label,
                    "inflating this compressed member needs " + m.size + " bytes of free space in " + tmpDir
                            + " (java.io.tmpdir)");
        }
        Path tmp = tmpDir.resolve(
                "xent-npz-" + Long.toUnsignedString(new java.security.SecureRandom().nextLong(), 36) + ".npy");
        FileChannel opened;
        try {
            opened = Temporaries.create(
                    tmp,
                    () -> FileChannel.open(
                            tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE));
        } catch (IOException e) {
            throw Npy.bad(
                    label,
                    "cannot create a temporary in " + tmpDir + " (java.io.tmpdir) to inflate it: " + e.getMessage());
        }
        try (FileChannel out = opened) {
            boolean headerChecked = false;
            Inflater inf = new Inflater(true);
            CRC32 crc = new CRC32();
            ByteBuffer in = ByteBuffer.allocateDirect(1 << 20), buf = ByteBuffer.allocateDirect(1 << 20);
            long read = 0, written = 0;
            try {
                while (!inf.finished()) {
                    if (inf.needsInput()) {
                        if (read >= m.compressedSize)
                            throw Npy.bad(label, "the compressed member ends before its deflate stream does");
                        in.clear();
                        in.limit((int) Math.min(in.capacity(), m.compressedSize - read));
                        int n = ch.read(in, data + read);
                        if (n <= 0) throw Npy.bad(label, "truncated compressed member");
                        read += n;
                        in.flip();
                        inf.setInput(in);
                    }
                    buf.clear();
                    int k = inf.inflate(buf);
                    if (k == 0 && inf.needsDictionary())
                        throw Npy.bad(label, "a deflate stream with a preset dictionary");
                    buf.flip();
                    written += k;
                    if (written > m.size)
                        throw Npy.bad(
                                label, "inflates to more than the " + m.size + " bytes the zip directory declares");
                    crc.update(buf.duplicate());
                    while (buf.hasRemaining()) out.write(buf, written - k + (k - buf.remaining()));
                    if (!headerChecked && (written >= HEADER_BYTES || inf.finished())) {
                        Npy.readHeader(out, 0, m.size, label); // against the declared size: the data must fit it
                        headerChecked = true;
                    }
                }
            } catch (DataFormatException e) {
                throw Npy.bad(label, "corrupt deflate data: " + e.getMessage());
            } finally {
                inf.end();
            }
            if (written != m.size)
                throw Npy.bad(label, "inflates to " + written + " bytes, the zip directory declares " + m.size);
            if (crc.getValue() != m.crc) throw Npy.bad(label, "CRC-32 mismatch: the compressed member is corrupt");
            Npy.Header h = Npy.readHeader(out, 0, written, label);
            return Npy.map(out, 0, h, label);
        } finally {
            Temporaries.delete(tmp); // the mapping keeps the data; the name goes now
        }
    }

    /** The header of a deflated member, from its first inflated bytes alone (to the heap: at most 40 KB). */
    private static Npy.Header inflatedHeader(FileChannel ch, long data, Member m, String label) throws IOException {
        Inflater inf = new Inflater(true);
        byte[] head = new byte[(int) Math.min(HEADER_BYTES, m.size)];
        int have = 0;
        long read = 0;
        ByteBuffer in = ByteBuffer.allocate(1 << 16);
        try {
            while (have < head.length && !inf.finished()) {
                if (inf.needsInput()) {
                    if (read >= m.compressedSize) break;
                    in.clear();
                    in.limit((int) Math.min(in.capacity(), m.compressedSize - read));
                    int n = ch.read(in, data + read);
                    if (n <= 0) break;
                    read += n;
                    in.flip();
                    inf.setInput(in);
                }
                have += inf.inflate(head, have, head.length - have);
            }
        } catch (DataFormatException e) {
            throw Npy.bad(label, "corrupt deflate data: " + e.getMessage());
        } finally {
            inf.end();
        }
        int got = have;
        return Npy.readHeader(
                (dst, pos) -> {
                    if (pos >= got) return -1;
                    int n = (int) Math.min(dst.remaining(), got - pos);
                    dst.put(head, (int) pos, n);
                    return n;
                },
                0,
                m.size,
                label);
    }

    /** Inflated bytes that always hold a .npy prefix and header numpy would read (at most 10000 characters). */
    private static final long HEADER_BYTES = 12 + 4L * Npy.MAX_HEADER_SIZE;

    private static long dataOffset(FileChannel ch, Member m, String label) throws IOException {
        ByteBuffer b = read(ch, m.localHeader, 30, label, "local file header");
        if (b.getInt(0) != LOCAL)
            throw Npy.bad(label, "corrupt zip: no local file header where the directory points for " + m.zipName);
        if ((b.getShort(6) & 1) != 0) throw Npy.bad(label, "encrypted zip members are not supported");
        int nameLen = b.getShort(26) & 0xffff;
        ByteBuffer nb = read(ch, m.localHeader + 30, nameLen, label, "local file name");
        byte[] local = new byte[nameLen];
        nb.get(0, local);
        String localName =
                new String(local, (m.flags & 0x800) != 0 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        if (!localName.equals(m.zipName)) {
            throw Npy.bad(
                    label,
                    "corrupt zip: the member named " + m.zipName + " in the directory is named " + localName
                            + " in its header");
        }
        long at = m.localHeader + 30 + nameLen + (b.getShort(28) & 0xffff);
        if (at > ch.size() || m.compressedSize > ch.size() - at)
            throw Npy.bad(label, "truncated: member " + m.zipName + " extends past the end of the file");
        return at;
    }

    private static ByteBuffer read(FileChannel ch, long at, int n, String label, String what) throws IOException {
        if (at < 0 || at > ch.size() - n) throw Npy.bad(label, "corrupt zip: the " + what + " lies outside the file");
        ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, at + b.position()) < 0) throw Npy.bad(label, "truncated zip " + what);
        }
        return b;
    }

    /** The central directory: member name to member, in archive order. */
    static Map<String, Member> directory(FileChannel ch, String label) throws IOException {
        long size = ch.size();
        if (size < 22) throw Npy.bad(label, "not a zip archive (too short for its end record)");
        int tail = (int) Math.min(size, 22 + 65535);
        ByteBuffer t = read(ch, size - tail, tail, label, "end of central directory");
        int eocd = -1;
        for (int p = tail - 22; p >= 0; p--) {
            if (t.getInt(p) == EOCD && p + 22 + (t.getShort(p + 20) & 0xffff) == tail) {
                eocd = p;
                break;
            }
        }
        if (eocd < 0)
            throw Npy.bad(label, "not a zip archive (no end of central directory record): .npz files are zip archives");
        long eocdAt = size - tail + eocd;
        long entries = t.getShort(eocd + 10) & 0xffff;
        long dirSize = t.getInt(eocd + 12) & 0xffffffffL, dirAt = t.getInt(eocd + 16) & 0xffffffffL;
        // zip64 where its locator precedes the end record, as Python's zipfile reads it: 0xffff entries without one
        // is simply 65535 members (zipfile writes zip64 records only past that), and a bad offset fails the checks
        // below
        ByteBuffer loc = eocdAt >= 20 ? read(ch, eocdAt - 20, 20, label, "zip64 locator") : null;
        if (loc != null && loc.getInt(0) == ZIP64_LOCATOR) {
            ByteBuffer z = read(ch, loc.getLong(8), 56, label, "zip64 end record");
            if (z.getInt(0) != ZIP64_EOCD)
                throw Npy.bad(label, "corrupt zip64 archive (no end record where the locator points)");
            entries = z.getLong(32);
            dirSize = z.getLong(40);
            dirAt = z.getLong(48);
        }
        if (dirAt < 0 || dirSize < 0 || dirAt > size || dirSize > size - dirAt)
            throw Npy.bad(label, "corrupt zip: the central directory lies outside the file");
        if (dirSize > (16L << 20))
            throw Npy.bad(
                    label,
                    "a zip central directory over 16 MiB (hundreds of thousands of members): xent reads archives of fewer arrays");
        if (entries < 0 || entries > dirSize / 46)
            throw Npy.bad(
                    label,
                    "corrupt zip: " + entries + " entries cannot fit a central directory of " + dirSize + " bytes");
        ByteBuffer d = read(ch, dirAt, (int) dirSize, label, "central directory");
        Map<String, Member> out = new LinkedHashMap<>();
        int p = 0;
        for (long k = 0; k < entries; k++) {
            if (p + 46 > dirSize || d.getInt(p) != CENTRAL)
                throw Npy.bad(label, "corrupt zip central directory (entry " + k + ")");
            int flags = d.getShort(p + 8) & 0xffff, method = d.getShort(p + 10) & 0xffff;
            long crc = d.getInt(p + 16) & 0xffffffffL;
            long csize = d.getInt(p + 20) & 0xffffffffL, usize = d.getInt(p + 24) & 0xffffffffL;
            int nameLen = d.getShort(p + 28) & 0xffff,
                    extraLen = d.getShort(p + 30) & 0xffff,
                    commentLen = d.getShort(p + 32) & 0xffff;
            long lho = d.getInt(p + 42) & 0xffffffffL;
            if (p + 46L + nameLen + extraLen + commentLen > dirSize)
                throw Npy.bad(label, "corrupt zip central directory (entry " + k + ")");
            byte[] nb = new byte[nameLen];
            d.get(p + 46, nb);
            String name = new String(nb, (flags & 0x800) != 0 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
            int e = p + 46 + nameLen, end = e + extraLen;
            while (e + 4 <= end) { // zip64 extended information: the fields that are 0xffffffff, in this order
                int id = d.getShort(e) & 0xffff, len = d.getShort(e + 2) & 0xffff;
                if (e + 4 + len > end) throw Npy.bad(label, "corrupt zip extra field in " + name);
                if (id == 1) {
                    int q = e + 4;
                    if (usize == 0xffffffffL) {
                        if (q + 8 > e + 4 + len) throw Npy.bad(label, "corrupt zip64 field in " + name);
                        usize = d.getLong(q);
                        q += 8;
                    }
                    if (csize == 0xffffffffL) {
                        if (q + 8 > e + 4 + len) throw Npy.bad(label, "corrupt zip64 field in " + name);
                        csize = d.getLong(q);
                        q += 8;
                    }
                    if (lho == 0xffffffffL) {
                        if (q + 8 > e + 4 + len) throw Npy.bad(label, "corrupt zip64 field in " + name);
                        lho = d.getLong(q);
                    }
                }
                e += 4 + len;
            }
            if (usize < 0 || csize < 0 || lho < 0) throw Npy.bad(label, "corrupt zip sizes in " + name);
            if ((flags & 1) != 0) throw Npy.bad(label, "encrypted zip members are not supported (" + name + ")");
            Member m = new Member(name, method, flags, crc, csize, usize, lho);
            if (out.put(m.name, m) != null) throw Npy.bad(label, "two members named '" + m.name + "'");
            p = end + commentLen;
        }
        return out;
    }
}
