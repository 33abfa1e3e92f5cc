#!/usr/bin/env python3
"""Generate the .npy header corpus that NpyCorpusTest checks xent's reader against.

Each case is a whole .npy file (prefix, header, data) and np.load's verdict on it: np.load(io.BytesIO(bytes),
allow_pickle=False), any exception a refusal, an acceptance recorded with dtype.str and shape. The cases start from
headers numpy writes and mutate them: text around the dict, keys, brackets, every kind of int literal and of string
literal, whitespace, comments and line continuations, Python 2 'L' suffixes, encodings, sizes, versions, truncations
and overflowing shapes; then a seeded random mix of the same pieces. Deterministic: re-running gives the same file.

The verdicts are those of CPython 3.11's ast.literal_eval and tokenize (which PyLiteral emulates), so run it with the
Python 3.11 that has numpy:

    python3 scripts/npy-corpus.py          # writes src/test/resources/npy-corpus/corpus.json
"""
import ast
import base64
import io
import json
import os
import random
import re
import struct
import sys
import warnings

import numpy as np
from numpy.lib import _format_impl as npformat  # numpy.lib.format, with _filter_header

if os.environ.get("PYTHONHASHSEED") != "0":  # set reprs in numpy's messages follow the hash seed
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable] + sys.argv)
if sys.version_info[:2] != (3, 11):
    sys.exit("npy-corpus.py: needs Python 3.11 (xent emulates its literal_eval), this is " + sys.version.split()[0])

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "test", "resources", "npy-corpus", "corpus.json")
MAGIC = b"\x93NUMPY"
rng = random.Random(20261124)
cases = []
names = set()


# ------------------------------------------------------------------------------------------------ building files

def prefix(version, length, magic=MAGIC, minor=0):
    fmt = "<H" if version == 1 else "<I"
    return magic + bytes([version, minor]) + struct.pack(fmt, length)


def encode(text, version):
    """The header bytes: latin-1 for versions 1 and 2 where it can be (else the UTF-8 bytes, read back as latin-1)."""
    if isinstance(text, bytes):
        return text
    if version == 3:
        return text.encode("utf-8", "surrogatepass")
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def padded(hb, version):
    """numpy's layout: spaces and a newline so that the data starts at a multiple of 64."""
    lb = 2 if version == 1 else 4
    total = len(MAGIC) + 2 + lb + len(hb) + 1
    return hb + b" " * ((-total) % 64) + b"\n"


def header_of(b):
    """(version, the header dict as numpy evaluates it) or None: numpy's own parse, for classifying accepted cases."""
    try:
        fp = io.BytesIO(b)
        version = npformat.read_magic(fp)
        hlength_type, encoding = npformat._header_size_info[version]
        (n,) = struct.unpack(hlength_type, fp.read(struct.calcsize(hlength_type)))
        header = fp.read(n).decode(encoding)
        try:
            d = ast.literal_eval(header)
        except SyntaxError:
            d = ast.literal_eval(npformat._filter_header(header))
        return d
    except BaseException:
        return None


def auto_data(b):
    """Exactly the bytes the header asks for (when that is small), else a few."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d = header_of(b)
        try:
            dt = npformat.descr_to_dtype(d["descr"])
            shape = d["shape"]
            count = 1
            for x in shape:
                count *= int(x)
            n = count * dt.itemsize
            if 0 <= n <= 4096:
                return bytes((i * 7 + 3) & 0x7F for i in range(n))
        except BaseException:
            pass
    return b"\x01\x02\x03\x04"


def verdict(b):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            a = np.load(io.BytesIO(b), allow_pickle=False)
        except BaseException as e:  # noqa: BLE001 - every failure is a refusal
            if isinstance(e, KeyboardInterrupt):
                raise
            msg = re.sub(r" object at 0x[0-9a-f]+", "", str(e).split("\n")[0])  # no addresses: the same file each run
            return "refuse", None, None, type(e).__name__ + ": " + msg[:70]
        if not isinstance(a, np.ndarray):
            return "refuse", None, None, "not an array: " + type(a).__name__
        return "accept", a.dtype.str, [int(x) for x in a.shape], None


def add(name, b, why=""):
    """Records the case: the file bytes and numpy's verdict."""
    base = name
    k = 2
    while name in names:
        name = "%s#%d" % (base, k)
        k += 1
    names.add(name)
    v, dtype, shape, err = verdict(b)
    case = {"name": name, "b64": base64.b64encode(b).decode("ascii"), "numpy": v, "dtype": dtype, "shape": shape}
    if v == "accept":
        d = header_of(b)
        case["descr"] = d["descr"] if isinstance(d["descr"], str) else None
        case["fortran"] = bool(d["fortran_order"])
    case["why"] = why if v == "accept" else err  # the name already says what the case is
    cases.append(case)


def npy(text, version=1, data=None, pad=True, extra=b""):
    """A whole file: prefix, the header (numpy's padding or the text exactly), the data (by default what it needs)."""
    hb = encode(text, version)
    if pad:
        hb = padded(hb, version)
    head = prefix(version, len(hb)) + hb
    if data is None:
        data = auto_data(head)
    return head + data + extra


def label(s, limit=60):
    a = ascii(s)[1:-1]
    return a if len(a) <= limit else a[:limit] + "...(%d chars)" % len(s)


def dict_text(descr="'<f4'", fortran="False", shape="(3,)", sep=", ", tail=", "):
    return "{'descr': " + descr + sep + "'fortran_order': " + fortran + sep + "'shape': " + shape + tail + "}"


BASE = dict_text()
VERSIONS = (1, 2, 3)


def each_layout(name, text, why="", versions=VERSIONS):
    """The text in every version, padded as numpy pads and exactly as it stands."""
    for v in versions:
        for pad in (True, False):
            add("%s/v%d/%s" % (name, v, "pad" if pad else "raw"), npy(text, v, pad=pad), why)


# ------------------------------------------------------------------------------------------------ what numpy writes

SUPPORTED = ["<f2", "<f4", "<f8", "|i1", "<i2", "<i4", "<i8", "|u1", "|b1"]
OTHER = [">f4", ">f8", ">i2", ">i8", ">f2", "<c8", "<c16", "<u2", "<u4", "<u8", "<f16", "|S3", "<U2", "|V4",
         "<M8[s]", "<m8[ns]"]
SHAPES = [(), (0,), (3,), (2, 3), (1, 3), (3, 1), (2, 0), (0, 3), (1, 1, 4), (2, 3, 4), (1,) * 10]


def numpy_written():
    for dt in SUPPORTED + OTHER:
        for shape in SHAPES:
            for v in VERSIONS:
                if v != 1 and shape not in [(), (2, 3)]:
                    continue
                a = np.zeros(shape, dtype=dt)
                if a.size:
                    a.flat[:] = np.arange(a.size) % 2 if dt == "|b1" else np.arange(a.size) % 100
                bio = io.BytesIO()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    npformat.write_array(bio, a, version=(v, 0))
                add("numpy/%s%s/v%d" % (dt, shape, v), bio.getvalue(), "as numpy writes it")
                if len(shape) >= 2:
                    bio = io.BytesIO()
                    npformat.write_array(bio, np.asfortranarray(a), version=(v, 0))
                    add("numpy/%s%s/fortran/v%d" % (dt, shape, v), bio.getvalue(), "as numpy writes a Fortran array")
    # structured and object arrays
    for dt in [[("a", "<f4"), ("b", "<i4")], [("x", "<f8", (2,))]]:
        bio = io.BytesIO()
        npformat.write_array(bio, np.zeros(3, dtype=dt), version=(1, 0))
        add("numpy/structured%s" % label(str(dt)), bio.getvalue(), "structured dtype")
    bio = io.BytesIO()
    npformat.write_array(bio, np.array([1, "a", None], dtype=object), version=(1, 0), allow_pickle=True)
    add("numpy/object", bio.getvalue(), "an object array needs allow_pickle")
    # np.save itself
    for a in [np.arange(6, dtype="<f4").reshape(2, 3), np.float64(2.5), np.array([], dtype="<i8"), np.array([True, False])]:
        bio = io.BytesIO()
        np.save(bio, a)
        add("numpy/save/%s%s" % (a.dtype.str, a.shape), bio.getvalue(), "np.save")


# ------------------------------------------------------------------------------------------------ descr

DESCRS = [
    "'<f4'", "'|f4'", "'=f4'", "'f4'", "'>f4'", "'!f4'", "'<f8'", "'>f8'", "'<f2'", "'=f2'", "'|i1'", "'<i1'",
    "'>i1'", "'i1'", "'<i2'", "'>i2'", "'<i4'", "'<i8'", "'i8'", "'|u1'", "'<u1'", "'>u1'", "'u1'", "'|b1'", "'<b1'",
    "'>b1'", "'b1'", "'?'", "'<?'", "'>?'", "'float32'", "'float64'", "'float16'", "'f'", "'d'", "'e'", "'<e'",
    "'float'", "'double'", "'half'", "'single'", "'int8'", "'int16'", "'int32'", "'int64'", "'uint8'", "'bool'",
    "'bool_'", "'b'", "'B'", "'h'", "'i'", "'l'", "'q'", "'p'", "'<l'", "'<q'", "'<p'", "'int'", "'long'",
    "'longlong'", "'intp'", "'intc'", "'short'", "'byte'", "'ubyte'", "'<float32'", "'f 4'", "' f4'", "'f4 '",
    "'<f4 '", "'< f4'", "'F4'", "'I4'", "'f3'", "'i3'", "'f0'", "''", "'<'", "'float128'", "'int128'", "'uint16'",
    "'u2'", "'<u2'", "'<u4'", "'U'", "'S'", "'<U3'", "'|S4'", "'a4'", "'c8'", "'<c8'", "'>c16'", "'M8'",
    "'<M8[s]'", "'m8[s]'", "'O'", "'|O'", "'object'", "'str'", "'V'", "'V4'", "'|V0'", "'<f4,<i4'", "'2f4'",
    "'(2,)f4'", "'<f4 (2,)'", "'float32\\n'", "'<F4'", "'<f04'", "'<f+4'", "'<\\u0066\\u0034'", "'\\x3cf4'",
    "'\\74f4'", "'\\074f4'", "'\\N{LESS-THAN SIGN}f4'", "'\\u003cf4'", "'\\U0000003cf4'", "r'<f4'", "u'<f4'",
    "U'<f4'", "R'<f4'", "b'<f4'", "B'<f4'", "rb'<f4'", "bR'<f4'", "f'<f4'", "F'<f4'", "fr'<f4'", "'<' 'f4'",
    "'<' \"f4\"", "'<f' '4'", "'<' b'f4'", "'<' f'f4'", "'''<f4'''", '"""<f4"""', '"<f4"', "'<f\\\n4'",
    "'<f4\\\n'", "'\\<f4'", "r'\\x3cf4'", "'<\\x66\\x34'", "'<\\146\\64'", "'<ｆ4'", "'＜f4'", "'<f４'", "'<f٤'",
    "None", "4", "True", "('<f4', ())", "('<f4', (2,))", "('<f4', 2)", "[('', '<f4')]", "[('a', '<f4')]",
    "[('a', '<f4'), ('b', '<i4')]", "[('', '|V4'), ('a', '<f4')]", "['<f4']", "{'<f4'}", "{'names': ['a'], 'formats': ['<f4']}",
    "'<f4'L", "'<f4' L", "b'|u1'", "'|O8'", "'<i8'.strip()",
]


def descr_cases():
    for d in DESCRS:
        for shape in ["(3,)", "(2, 3)", "()"]:
            add("descr/%s/shape%s/v1" % (label(d), shape), npy(dict_text(descr=d, shape=shape), 1), "descr " + label(d))
        for v in (2, 3):
            add("descr/%s/v%d" % (label(d), v), npy(dict_text(descr=d), v), "descr " + label(d))


# ------------------------------------------------------------------------------------------------ the text of the header

AROUND = [
    "x{}", "{}x", "{} 1", "{};", "{},", "({})", "({},)", "[{}]", "{}{}", " {}", "  {}", "\t{}", " \t {}", "\n{}",
    "\n\n{}", "\f{}", "\f {}", " \f{}", "\r{}", "\r\n{}", "\v{}", "\x00{}", "{}\x00", "{}\n\n\n", "{}\r", "{}\r\n",
    "{}\r\n\r\n", "{}\n  ", "{}\n\t", "{}\n\f", "{}\n\f ", "{}\n \f", "{}\n \f ", "{}\r  ", "{}\r\n  ", "{}\n  \n",
    "{}\n  \n  ", "{}\n#c", "{}\n  #c", "{}\n  #c\n  ", "{}  #c", "{}#c\n  ", "{} # c \n", "{}\\", "{} \\",
    "{}\\\n", "{}\\\n\n", "{}\n\\\n", "{}\\\n  ", "{} \\\n1", "\\\n{}", " \\\n{}", "\\\n \\\n{}", "{}\n1",
    "{}\n  1", "{}\n)", "#c\n{}", "  #c\n{}", "#c\n  {}", "\n  {}", "  \n{}", "\t\n{}", "{}\x0b", "{}\x1c", "{}\x1f",
    "{}\x7f", "{}\x85", "{}\u2028", "{}\u00a0", "{}\u3000", "{}\ufeff", "\ufeff{}", "\u00a0{}", "{}\u200b",
    "{}      ", "{}\t\t", "{}\f\f", "{} \f\n\f ", "({}\n)", "(\n{}\n)", "{}  \\\n  ", "{}\n  \\\n", "{}\n\\\n  ",
    "{}\n \\\n", "'' {}", "{} ''", "{}\n\n  #c\n", "{}\n\x0c\x0c  ", "{}\n  \x0c", "{}\n\t \n", "{}\n\t\n\t",
]

KEYS = [
    ("drop descr", "{'fortran_order': False, 'shape': (3,), }"),
    ("drop fortran", "{'descr': '<f4', 'shape': (3,), }"),
    ("drop shape", "{'descr': '<f4', 'fortran_order': False, }"),
    ("extra key", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'x': 1}"),
    ("extra int key", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 1: 1}"),
    ("extra None key", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), None: 1}"),
    ("duplicate shape, last wins", "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), 'shape': (3,)}"),
    ("duplicate shape, last bad", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'shape': 3}"),
    ("duplicate shape, first bad", "{'descr': '<f4', 'fortran_order': False, 'shape': 3, 'shape': (3,)}"),
    ("duplicate shape first", "{'shape': (7,), 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}"),
    ("duplicate descr", "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), 'descr': '<f4'}"),
    ("duplicate descr bad", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'descr': '<z9'}"),
    ("duplicate fortran", "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), 'fortran_order': False}"),
    ("triple shape", "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'shape': (2,), 'shape': (3,)}"),
    ("keys reordered", "{'shape': (3,), 'descr': '<f4', 'fortran_order': False}"),
    ("double quotes", '{"descr": "<f4", "fortran_order": False, "shape": (3,)}'),
    ("bytes keys", "{b'descr': '<f4', b'fortran_order': False, b'shape': (3,)}"),
    ("bytes shape key", "{'descr': '<f4', 'fortran_order': False, b'shape': (3,)}"),
    ("key with space", "{'descr ': '<f4', 'fortran_order': False, 'shape': (3,)}"),
    ("key upper", "{'Descr': '<f4', 'fortran_order': False, 'shape': (3,)}"),
    ("u key", "{u'descr': '<f4', 'fortran_order': False, 'shape': (3,)}"),
    ("r key", "{r'shape': (3,), 'descr': '<f4', 'fortran_order': False}"),
    ("concatenated key", "{'descr': '<f4', 'fortran_order': False, 'sh' 'ape': (3,)}"),
    ("concatenated key quotes", "{'descr': '<f4', 'fortran_order': False, 'sh' \"ape\": (3,)}"),
    ("concatenated key newline", "{'descr': '<f4', 'fortran_order': False, 'sh'\n'ape': (3,)}"),
    ("mixed bytes key", "{'descr': '<f4', 'fortran_order': False, 'sh' b'ape': (3,)}"),
    ("f-string key", "{'descr': '<f4', 'fortran_order': False, f'shape': (3,)}"),
    ("f-string key expr", "{'descr': '<f4', 'fortran_order': False, f'{\"shape\"}': (3,)}"),
    ("rb key", "{'descr': '<f4', 'fortran_order': False, Rb'shape': (3,)}"),
    ("hex escape key", "{'descr': '<f4', 'fortran_order': False, '\\x73hape': (3,)}"),
    ("octal escape key", "{'descr': '<f4', 'fortran_order': False, '\\163hape': (3,)}"),
    ("N escape key", "{'descr': '<f4', 'fortran_order': False, '\\N{LATIN SMALL LETTER S}hape': (3,)}"),
    ("N escape lower", "{'descr': '<f4', 'fortran_order': False, '\\N{latin small letter s}hape': (3,)}"),
    ("N escape bad", "{'descr': '<f4', 'fortran_order': False, '\\N{NO SUCH NAME}hape': (3,)}"),
    ("N escape open", "{'descr': '<f4', 'fortran_order': False, '\\N{LATIN SMALL LETTER Shape': (3,)}"),
    ("N escape no brace", "{'descr': '<f4', 'fortran_order': False, '\\Nshape': (3,)}"),
    ("u escape key", "{'descr': '<f4', 'fortran_order': False, '\\u0073hape': (3,)}"),
    ("U escape key", "{'descr': '<f4', 'fortran_order': False, '\\U00000073hape': (3,)}"),
    ("U escape too big", "{'descr': '<f4', 'fortran_order': False, '\\U00110000shape': (3,)}"),
    ("u escape short", "{'descr': '<f4', 'fortran_order': False, '\\u073': (3,)}"),
    ("x escape short", "{'descr': '<f4', 'fortran_order': False, '\\x7': (3,)}"),
    ("x escape bad", "{'descr': '<f4', 'fortran_order': False, '\\xZZshape': (3,)}"),
    ("bytes x escape key", "{'descr': '<f4', 'fortran_order': False, b'\\x73hape': (3,)}"),
    ("unknown escape", "{'descr': '<f4', 'fortran_order': False, 'sha\\pe': (3,)}"),
    ("escape 8", "{'descr': '<f4', 'fortran_order': False, '\\8shape': (3,)}"),
    ("octal 400", "{'descr': '<f4', 'fortran_order': False, '\\400shape': (3,)}"),
    ("continuation in key", "{'descr': '<f4', 'fortran_order': False, 'sha\\\npe': (3,)}"),
    ("triple key", "{'descr': '<f4', 'fortran_order': False, '''shape''': (3,)}"),
    ("triple dq key", '{\'descr\': \'<f4\', \'fortran_order\': False, """shape""": (3,)}'),
    ("triple key newline", "{'descr': '<f4', 'fortran_order': False, '''sha\npe''': (3,)}"),
    ("triple key CR", "{'descr': '<f4', 'fortran_order': False, '''sha\rpe''': (3,)}"),
    ("newline in key", "{'descr': '<f4', 'fortran_order': False, 'sha\npe': (3,)}"),
    ("unterminated", "{'descr': '<f4', 'fortran_order': False, 'shape: (3,)}"),
    ("unterminated triple", "{'descr': '<f4', 'fortran_order': False, '''shape: (3,)}"),
    ("unterminated backslash", "{'descr': '<f4', 'fortran_order': False, 'shape\\': (3,)}"),
    ("unterminated at end", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,)} '"),
    ("unterminated continued", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,)} '\\\n"),
    ("quote mismatch", "{'descr': '<f4\", 'fortran_order': False, 'shape': (3,)}"),
    ("fullwidth key", "{'descr': '<f4', 'fortran_order': False, 'ｓｈａｐｅ': (3,)}"),
    ("accented key", "{'descr': '<f4', 'fortran_order': False, 'shapé': (3,)}"),
    ("empty dict", "{}"),
    ("empty", ""),
    ("spaces only", "   "),
    ("newline only", "\n"),
    ("double comma", "{'descr': '<f4',, 'fortran_order': False, 'shape': (3,)}"),
    ("trailing double comma", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,),,}"),
    ("leading comma", "{, 'descr': '<f4', 'fortran_order': False, 'shape': (3,)}"),
    ("missing colon", "{'descr' '<f4', 'fortran_order': False, 'shape': (3,)}"),
    ("missing comma", "{'descr': '<f4' 'fortran_order': False, 'shape': (3,)}"),
    ("missing comma 2", "{'descr': '<f4', 'fortran_order': False 'shape': (3,)}"),
    ("equals", "{'descr'= '<f4', 'fortran_order': False, 'shape': (3,)}"),
    ("no open brace", "'descr': '<f4', 'fortran_order': False, 'shape': (3,)}"),
    ("no close brace", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,)"),
    ("no braces", "'descr': '<f4', 'fortran_order': False, 'shape': (3,)"),
    ("double braces", "{{'descr': '<f4', 'fortran_order': False, 'shape': (3,)}}"),
    ("list of pairs", "[('descr', '<f4'), ('fortran_order', False), ('shape', (3,))]"),
    ("dict call", "dict(descr='<f4', fortran_order=False, shape=(3,))"),
    ("set display", "{'descr', '<f4', 'fortran_order', False, 'shape', (3,)}"),
    ("splat", "{'descr': '<f4', 'fortran_order': False, **{'shape': (3,)}}"),
    ("comprehension", "{k: v for k, v in []}"),
    ("fullwidth braces", "｛'descr': '<f4', 'fortran_order': False, 'shape': (3,)｝"),
    ("fullwidth colon", "{'descr'：'<f4', 'fortran_order': False, 'shape': (3,)}"),
    ("fullwidth comma", "{'descr': '<f4'，'fortran_order': False, 'shape': (3,)}"),
    ("comment inside", "{'descr': '<f4', # the type\n 'fortran_order': False, 'shape': (3,)}"),
    ("comment before close", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,) # c\n}"),
    ("comment eats close", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,) # c }"),
    ("hash in string", "{'descr': '<f4', 'fortran_order': False, 'sh#ape': (3,)}"),
    ("continuation in dict", "{'descr': '<f4', \\\n'fortran_order': False, 'shape': (3,)}"),
    ("continuation before colon", "{'descr': '<f4', 'fortran_order': False, 'shape'\\\n: (3,)}"),
    ("backslash space", "{'descr': '<f4', 'fortran_order': False, 'shape': \\ (3,)}"),
    ("backslash space newline", "{'descr': '<f4', 'fortran_order': False, 'shape': \\ \n(3,)}"),
    ("newlines everywhere", "{\n'descr'\n:\n'<f4'\n,\n'fortran_order'\n:\nFalse\n,\n'shape'\n:\n(\n3\n,\n)\n}"),
    ("CRs everywhere", "{\r'descr'\r:\r'<f4'\r,\r'fortran_order'\r:\rFalse\r,\r'shape'\r:\r(\r3\r,\r)\r}"),
    ("CRLFs everywhere", "{\r\n'descr':\r\n'<f4',\r\n'fortran_order': False,\r\n'shape': (3,)\r\n}"),
    ("tabs everywhere", "{\t'descr'\t:\t'<f4'\t,\t'fortran_order'\t:\tFalse\t,\t'shape'\t:\t(\t3\t,\t)\t}"),
    ("formfeeds everywhere", "{\f'descr'\f:\f'<f4'\f,\f'fortran_order'\f:\fFalse\f,\f'shape'\f:\f(\f3\f,\f)\f}"),
    ("vertical tab", "{'descr': '<f4',\v'fortran_order': False, 'shape': (3,)}"),
    ("nbsp inside", "{'descr': '<f4',\u00a0'fortran_order': False, 'shape': (3,)}"),
    ("em space inside", "{'descr': '<f4',\u2003'fortran_order': False, 'shape': (3,)}"),
    ("ideographic space", "{'descr': '<f4',\u3000'fortran_order': False, 'shape': (3,)}"),
    ("zero width space", "{'descr': '<f4',\u200b'fortran_order': False, 'shape': (3,)}"),
    ("NEL inside", "{'descr': '<f4',\x85'fortran_order': False, 'shape': (3,)}"),
    ("line separator inside", "{'descr': '<f4',\u2028'fortran_order': False, 'shape': (3,)}"),
    ("null inside string", "{'descr': '<f4\x00', 'fortran_order': False, 'shape': (3,)}"),
    ("null inside", "{'descr': '<f4',\x00 'fortran_order': False, 'shape': (3,)}"),
    ("indented lines", "{'descr': '<f4',\n    'fortran_order': False,\n    'shape': (3,)}"),
    ("indented close", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,)\n    }"),
    ("latin-1 comment", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,)} # ÿé"),
    ("latin-1 name", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'µ': µ}"),
    ("unicode comment", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,)} # 形状 😀"),
    ("emoji in string", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), '😀': 1}"),
    ("ellipsis value", "{'descr': '<f4', 'fortran_order': ..., 'shape': (3,)}"),
    ("deep value", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'x': " + "[" * 150 + "]" * 150 + "}"),
    ("too deep value", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'x': " + "[" * 201 + "]" * 201 + "}"),
    ("deep shape", "{'descr': '<f4', 'fortran_order': False, 'shape': " + "(" * 198 + "3," + ")" * 198 + "}"),
    ("deep shape 200", "{'descr': '<f4', 'fortran_order': False, 'shape': " + "(" * 199 + "3," + ")" * 199 + "}"),
    ("deep shape 201", "{'descr': '<f4', 'fortran_order': False, 'shape': " + "(" * 200 + "3," + ")" * 200 + "}"),
    ("unmatched close", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,))}"),
    ("mismatched brackets", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,]}"),
    ("unhashable key", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), []: 1}"),
    ("unhashable tuple key", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), ([],): 1}"),
    ("set key", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), set(): 1}"),
    ("float key", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 1.5: 1}"),
    ("complex value", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'x': 1+2j}"),
    ("bad complex value", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'x': 1j+2}"),
    ("set value", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'x': set()}"),
    ("set call arg", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'x': set([])}"),
    ("float overridden", "{'descr': '<f4', 'fortran_order': False, 'shape': 1.5, 'shape': (3,)}"),
    ("point float overridden", "{'descr': '<f4', 'fortran_order': False, 'shape': .5, 'shape': (3,)}"),
    ("negative point float overridden", "{'descr': '<f4', 'fortran_order': False, 'shape': -.5e3, 'shape': (3,)}"),
    ("complex overridden", "{'descr': '<f4', 'fortran_order': False, 'shape': -1.5+.5j, 'shape': (3,)}"),
    ("set overridden", "{'descr': '<f4', 'fortran_order': False, 'shape': {1., True}, 'shape': (3,)}"),
    ("bool shape overridden", "{'descr': '<f4', 'fortran_order': False, 'shape': (True,), 'shape': (3,)}"),
    ("L overridden", "{'descr': '<f4', 'fortran_order': False, 'shape': (3L,), 'shape': (3,)}"),
]

FORTRAN = ["True", "False", "0", "1", "None", "'False'", "false", "true", "FALSE", "(False)", "((False))", "(False,)",
           "[False]", "not False", "~0", "False == False", "-False", "+True", "-1", "0.0", "b''", "''", "()",
           "False L", "FalseL", "0L", "1 L", "Ｆａｌｓｅ", "𝐅𝐚𝐥𝐬𝐞", "F\\\nalse", "Fal se", "False # c", "\\\nFalse"]
FORTRAN_SHAPES = ["(2, 3)", "(1, 3)", "(3, 1)", "(1, 1)", "(3,)", "()", "(0, 3)", "(2, 0, 3)", "(1, 2, 1)",
                  "(2, 1, 3)", "(0, 0)", "(True, 3)"]

BIG = 2 ** 63
SHAPES_TEXT = [
    "(3,)", "(3)", "3", "[3]", "{3}", "{3,}", "(3,,)", "(,3)", "(4,, 5)", "(4 5)", "(4,5,)", "(4,5)", "(4, 5, 2)",
    "()", "(,)", "( )", "(\n)", "(\n3,\n)", "(3,\n)", "(3\n,)", "((3,))", "(((3,)))", "((3),)", "((3,),)",
    "(((3)),)", "((2,3))", "((),)", "set()", "(3.0,)", "(3.,)", "(.3,)", "(3e0,)", "(3E0,)", "(3j,)", "(3J,)",
    "(3+0j,)", "(0j+3,)", "(3-0j,)", "(-3+0j,)", "(1+2,)", "(3-0,)", "(+3,)", "(-3,)", "(-0,)", "(+0,)", "(-(1),)",
    "(-(-1),)", "(--1,)", "(+-1,)", "(-+1,)", "(++1,)", "(- 1,)", "(-\n1,)", "(-\\\n1,)", "(+(3),)", "(-(0),)",
    "(0x3,)", "(0X3,)", "(0o3,)", "(0O3,)", "(0b11,)", "(0B11,)", "(0_3,)", "(00,)", "(0_0,)", "(000,)",
    "(03,)", "(0o,)", "(3_0,)", "(1_0_0,)", "(3__0,)", "(3_,)", "(_3,)", "(0x_3,)", "(0x3_,)", "(0x__3,)",
    "(0b_1_1,)", "(0x,)", "(0b2,)", "(0o8,)", "(0o78,)", "(0b12,)", "(0xg,)", "(0xfg,)", "(1e3,)", "(1e,)",
    "(1e+,)", "(1_e3,)", "(1e_3,)", "(3a,)", "(3if 1 else 2,)", "(3 if 1 else 2,)", "(3and 4,)", "(3or 4,)",
    "(3in (3,),)", "(0x3if 1 else 2,)", "(3not in(),)", "(0_,)",
    "(3L,)", "(3l,)", "(0x3L,)", "(0X3L,)", "(0o3L,)", "(0b11L,)", "(3 L,)", "(3L L,)", "(3L L L,)", "(3 L L,)",
    "(3\tL,)", "(3\fL,)", "(3\\\nL,)", "(3 \\\n L,)", "(3L\n,)", "(3\nL,)", "(3 #c\nL,)", "(3L,3L)", "(2L, 3L)",
    "(2L,3)", "(00L,)", "(0L,)", "(01L,)", "(1_0L,)", "(1.0L,)", "(3jL,)", "(3.L,)", "(1e3L,)", "(-3L,)",
    "(3LL,)", "(3Lx,)", "(3L_,)", "(3L1,)", "(L,)", "(3,L)", "(3, L)", "(L3,)", "(3L)", "3L", "(3L,) L",
    "(3 L)", "(+3L,)", "(-(3L),)", "(3L+0j,)", "(3jL+1,)", "(0x_L,)", "(0xL,)", "(3__L,)",
    "True", "(True,)", "(False,)", "(True, 3)", "(3, False)", "(True, True)", "(None,)", "(3, None)", "('3',)",
    "(b'3',)", "(2**2,)", "(4//1,)", "(3,)*1", "(3,)+()", "(x,)", "(3,...)", "(...,)", "([3],)", "({},)", "([],)",
    "(3,)[0:1]", "(3,)if 1 else(3,)", "(３,)", "(٣,)", "(३,)", "(³,)", "(𝟑,)", "(3٣,)", "(-３,)", "(３L,)",
    "（3,）", "(3，)", "(3,\u3000)", "(\u00a03,)", "(3\u00a0,)", "(3\u200b,)", "(3,\u2028)", "(3,\x0c)", "(3,\x0b)",
    "(3, # c\n)", "(3 # c\n,)", "(3, # c )", "(3,\\\n)", "(3,\\ \n)", "(3 \\\n, 4)", "(3,\r)", "(3,\r\n4)",
    "(\t3\t,\t4\t)", "(\f3,)",
    "(%d,)" % (BIG - 1), "(%d,)" % BIG, "(%d,)" % (2 ** 64), "(%d,)" % (10 ** 20), "(%d,)" % -BIG,
    "(%d,)" % (-BIG - 1), "(0x7fffffffffffffff,)", "(0x8000000000000000,)", "(0x%s,)" % ("f" * 20),
    "(%s,)" % ("1" * 4300), "(%s,)" % ("1" * 4301), "(0x%s,)" % ("f" * 4000), "(0b%s,)" % ("1" * 9000),
    "(%s,)" % ("0" * 5000), "(1%s,)" % ("_0" * 2000), "(%s,)" % ("9" * 4300), "(-%s,)" % ("1" * 4300),
    "(-1,)", "(-1, -2)", "(-2, -1)", "(-1, 0)", "(0, -1)", "(-1, -1, 4)", "(-3, -1)", "(-1, 3)", "(3, -1)",
    "(0,)", "(0, %d)" % 2 ** 60, "(0, %d)" % 2 ** 61, "(%d, 0)" % 2 ** 61, "(%d, 0)" % 2 ** 60, "(0, %d)" % (BIG - 1),
    "(%d, %d)" % (2 ** 32, 2 ** 32), "(%d, %d, 0)" % (2 ** 32, 2 ** 32), "(%d, 4, 0)" % 2 ** 62,
    "(%d, 2, 0)" % 2 ** 60, "(0, %d, %d)" % (2 ** 31, 2 ** 30), "(%d, 0, %d)" % (2 ** 32, 2 ** 32),
    "(%d, %d, 4)" % (2 ** 31, 2 ** 31), "(3, %d)" % 2 ** 62, "(%d, 4)" % 2 ** 61, "(%d,)" % 2 ** 62,
    "(%d,)" % 2 ** 61, "(%d,)" % 2 ** 20, "(%d, 2)" % (2 ** 62 + 1), "(%d, %d)" % (2 ** 32 + 1, 2 ** 32 - 1),
    "(%d, %d)" % (BIG - 1, BIG - 1), "(%d, 0)" % (BIG - 1), "(0, %d, 2)" % (2 ** 62),
    "(" + "1, " * 32 + ")", "(" + "1, " * 64 + ")", "(" + "1, " * 65 + ")", "(" + "0, " * 64 + ")",
    "(" + "0, " * 65 + ")", "(" + "2, " * 8 + ")",
]

SHAPE_DESCRS = ["'<f4'", "'|u1'", "'<i8'", "'|b1'", "'<f2'"]


def text_cases():
    for a in AROUND:
        each_layout("around/" + label(a), a.replace("{}", BASE), "text around the dict")
    for name, text in KEYS:
        each_layout("dict/" + name, text)
    for f in FORTRAN:
        for shape in FORTRAN_SHAPES:
            add("fortran/%s/shape%s" % (label(f), label(shape)), npy(dict_text(fortran=f, shape=shape), 1), "fortran_order " + label(f))
        for v in (2, 3):
            add("fortran/%s/v%d" % (label(f), v), npy(dict_text(fortran=f, shape="(2, 3)"), v), "fortran_order " + label(f))
    for s in SHAPES_TEXT:
        if len(s) > 200:  # the huge literals: once per decoding is enough
            for v in (1, 3):
                add("shape/%s/v%d" % (label(s), v), npy(dict_text(shape=s), v), "shape " + label(s))
            continue
        for v in VERSIONS:
            add("shape/%s/v%d" % (label(s), v), npy(dict_text(shape=s), v), "shape " + label(s))
        add("shape/%s/v1/raw" % label(s), npy(dict_text(shape=s), 1, pad=False), "shape " + label(s))
        if not re.search(r"\d{7,}|\b0\b", s):
            continue  # the item size matters only to zero-size and huge shapes
        for d in SHAPE_DESCRS[1:]:
            add("shape/%s/%s" % (label(s), d), npy(dict_text(descr=d, shape=s), 1), "shape " + label(s) + " of " + d)


# ------------------------------------------------------------------------------------------------ sizes, encodings, prefix

def size_cases():
    def sized(n_chars, filler=" ", version=1, comment=False):
        body = BASE + (" #" if comment else "")
        h = body + filler * ((n_chars - len(body) - 1) // len(filler))
        h = h + " " * (n_chars - 1 - len(h)) + "\n"
        assert len(h) == n_chars, (len(h), n_chars)
        return h
    for v in VERSIONS:
        for n in (9999, 10000, 10001):
            add("size/%d spaces/v%d" % (n, v), npy(sized(n), v, pad=False), "%d characters" % n)
    add("size/10064 spaces/v1", npy(sized(10064), 1, pad=False), "10064 characters")
    add("size/20000 spaces/v1", npy(sized(20000), 1, pad=False), "20000 characters")
    for n in (10000, 10001):
        add("size/%d latin-1 comment/v1" % n, npy(sized(n, "é", 1, True), 1, pad=False), "latin-1 comment")
        add("size/%d latin-1 comment/v2" % n, npy(sized(n, "ÿ", 2, True), 2, pad=False), "latin-1 comment")
        add("size/%d 2-byte comment/v3" % n, npy(sized(n, "é", 3, True), 3, pad=False), "UTF-8 comment")
        add("size/%d 3-byte comment/v3" % n, npy(sized(n, "形", 3, True), 3, pad=False), "UTF-8 comment")
        add("size/%d 4-byte comment/v3" % n, npy(sized(n, "😀", 3, True), 3, pad=False), "UTF-8 comment, 4 bytes each")
    add("size/10000 2-byte comment read as latin-1/v2", npy(sized(10000, "é", 3, True).encode("utf-8"), 2, pad=False),
        "UTF-8 bytes read as latin-1")
    add("size/long shape/v1", npy(dict_text(shape="(" + "1, " * 2400 + ")"), 1), "a long shape (numpy refuses over 64 axes)")
    add("size/long string/v1", npy(dict_text(tail=", 'x': '" + "a" * 9000 + "'"), 1), "a long extra value")


UTF8 = [
    ("lone continuation", b"\x80"), ("truncated 2-byte", b"\xc3"), ("overlong slash", b"\xc0\xaf"),
    ("overlong nul", b"\xc0\x80"), ("surrogate", b"\xed\xa0\x80"), ("over 10FFFF", b"\xf4\x90\x80\x80"),
    ("F5", b"\xf5\x80\x80\x80"), ("FF", b"\xff"), ("truncated 3-byte", b"\xe5\xbd"), ("valid 2-byte", b"\xc3\xa9"),
    ("valid 4-byte", b"\xf0\x9f\x98\x80"), ("BOM", b"\xef\xbb\xbf"), ("latin-1 e acute", b"\xe9"),
]


def encoding_cases():
    for name, raw in UTF8:
        for where in ("comment", "string", "lead"):
            for v in VERSIONS:
                if where == "comment":
                    hb = BASE.encode() + b" #" + raw
                elif where == "string":
                    hb = dict_text(tail=", 'x': '").encode() + raw + b"'}"
                    hb = hb.replace(b"}'}", b"'}")
                else:
                    hb = raw + BASE.encode()
                add("utf8/%s/%s/v%d" % (name, where, v), npy(hb, v), "bytes " + raw.hex() + " in a " + where)


def prefix_cases():
    good = npy(BASE, 1)
    hb = padded(BASE.encode(), 1)
    data = auto_data(good)
    add("prefix/good", good, "a good file")
    add("prefix/empty", b"", "empty")
    for n in range(1, 12):
        add("prefix/cut at %d" % n, good[:n], "truncated prefix")
    add("prefix/cut inside header", good[:30], "truncated header")
    add("prefix/cut before data", good[:len(good) - len(data)], "no data")
    add("prefix/one data byte short", good[:-1], "one byte short")
    add("prefix/extra data", good + b"\0" * 100, "data after the array")
    for m in (b"\x93NUMPX", b"\x92NUMPY", b"\x93numpy", b"NUMPY\x93", b"\x93NUMP", b"PK\x03\x04\x14\x00",
              b"PK\x05\x06\x00\x00", b"\x80\x04\x95\x00\x00\x00", b"\x93NUMPY\x93NUMPY"):
        add("prefix/magic %s" % label(m), m + good[6:], "wrong magic")
    for major, minor in [(0, 0), (1, 1), (1, 255), (2, 1), (3, 1), (4, 0), (255, 0), (0, 1), (255, 255), (10, 0)]:
        for v_len in (1, 2):
            lb = 2 if v_len == 1 else 4
            f = MAGIC + bytes([major, minor]) + struct.pack("<H" if lb == 2 else "<I", len(hb)) + hb + data
            add("prefix/version %d.%d/%d-byte length" % (major, minor, lb), f, "version %d.%d" % (major, minor))
    # header length fields that do not match
    for v in VERSIONS:
        hv = padded(BASE.encode(), v)
        dv = auto_data(npy(BASE, v))
        for name, n in [("0", 0), ("1", 1), ("minus 1", len(hv) - 1), ("plus 1", len(hv) + 1), ("plus 64", len(hv) + 64),
                        ("past EOF", len(hv) + len(dv) + 1), ("max16", 0xFFFF), ("2^31", 2 ** 31), ("max32", 2 ** 32 - 1)]:
            if v == 1 and n > 0xFFFF:
                continue
            f = prefix(v, n) + hv + dv
            add("prefix/length %s/v%d" % (name, v), f, "header length " + name)
            add("prefix/length %s/v%d/extra data" % (name, v), f + b" " * 80, "header length " + name)
        # a v1 file's bytes labelled as v2 (and back): the length field is read with the wrong width
        add("prefix/v1 bytes as v2/v%d" % v, prefix(1, len(hv)).replace(b"\x01\x00", bytes([2, 0]), 1) + hv + dv,
            "length field of the wrong width")
    add("prefix/v2 bytes as v1", MAGIC + bytes([1, 0]) + struct.pack("<I", len(hb) + 2) + hb + data, "length field of the wrong width")
    add("prefix/header without newline", prefix(1, len(BASE)) + BASE.encode() + data, "no padding at all")
    # data truncations and overflows with real data
    for descr, shape in [("'<f4'", "(3,)"), ("'<f8'", "()"), ("'|u1'", "(5,)"), ("'<i8'", "(2, 3)"), ("'|b1'", "(1,)"),
                         ("'<f2'", "(4,)"), ("'<c8'", "(2,)"), ("'>f4'", "(2,)")]:
        h = npy(dict_text(descr=descr, shape=shape), 1, data=b"")
        full = npy(dict_text(descr=descr, shape=shape), 1)
        need = len(full) - len(h)
        for cut in (0, 1, need - 1):
            if 0 <= cut < need:
                add("data/%s%s/%d of %d bytes" % (descr, shape, cut, need), full[:len(h) + cut], "truncated data")
        add("data/%s%s/exact" % (descr, shape), full, "exact data")
        add("data/%s%s/one extra" % (descr, shape), full + b"\x00", "one byte more")
    for shape in ["(%d,)" % 2 ** 20, "(%d, 3)" % 2 ** 30, "(%d, %d)" % (2 ** 31, 2 ** 31), "(%d, %d, %d)" % (2 ** 21, 2 ** 21, 2 ** 22),
                  "(%d, 2)" % (2 ** 62), "(%d, 2)" % (2 ** 61), "(%d,)" % (2 ** 61), "(%d, 5)" % (2 ** 62)]:
        for descr in ("'<f8'", "'|u1'"):
            add("data/huge %s of %s" % (shape, descr), npy(dict_text(descr=descr, shape=shape), 1, data=b"\0" * 64),
                "byte count past the file or past 2^63")


# ------------------------------------------------------------------------------------------------ random mixes

SEPS = ["", "", "", " ", " ", "  ", "\t", "\f", "\n", "\r", "\r\n", "\\\n", " \\\n", " #c\n", "\n  ", "\n\t",
        "\n#c\n", "\x0b", "\u00a0", "\n \\\n", "\\\n  "]
EDGE_SEPS = ["", "", " ", "\t", "\n", "\n  ", "\n\t", "\r", "\r\n  ", "\\\n", "#c", "\n#c", "  \n", "\f", "\n\f",
             " \\\n", "\n \\\n", "\x0c\n  ", "\n  #c\n", ";", "\n\n  "]
DIMS = ["0", "1", "2", "3", "3L", "2L", "0x2", "0b11", "0o3", "1_0", "00", "True", "False", "-1", "+2", "2 L",
        "3l", "2.0", "(2)", "0X3L", "03", "2_", "2j"]
DESC = ["'<f4'", "'|u1'", "'<i4'", "'<f8'", "'<i2'", "'|b1'", "'<f2'", "'<i8'", "'>f4'", "b'<f4'", "'<c8'", "'<u2'",
        "'\\x3cf4'", "'<' 'f4'", "'float32'", "'f4'"]


def random_cases(n):
    for i in range(n):
        dims = [rng.choice(DIMS) if rng.random() < 0.4 else str(rng.randint(0, 3)) for _ in range(rng.choice([0, 1, 1, 2, 2, 3]))]
        shape = "(" + ", ".join(dims) + ("," if len(dims) == 1 else (rng.choice(["", ","]) if dims else "")) + ")"
        pairs = [("'descr'", rng.choice(DESC)), ("'fortran_order'", rng.choice(["False", "False", "True", "0"])),
                 ("'shape'", shape)]
        rng.shuffle(pairs)
        if rng.random() < 0.05:
            pairs.append(("'shape'", "(2,)"))
        if rng.random() < 0.03:
            pairs.pop(rng.randrange(len(pairs)))
        toks = ["{"]
        for k, v in pairs:
            toks += [k, ":"] + tokenize_value(v) + [","]
        if rng.random() < 0.5:
            toks.pop()
        toks.append("}")
        text = rng.choice(EDGE_SEPS) if rng.random() < 0.5 else ""
        for t in toks:
            text += t + (rng.choice(SEPS) if rng.random() < 0.3 else rng.choice(["", " "]))
        text += rng.choice(EDGE_SEPS)
        v = rng.choice(VERSIONS)
        pad = rng.random() < 0.6
        add("random/%d/v%d/%s" % (i, v, "pad" if pad else "raw"), npy(text, v, pad=pad), "random " + label(text, 80))


def tokenize_value(v):
    if v.startswith("("):
        out = ["("]
        for part in v[1:-1].split(","):
            if part.strip():
                out.append(part.strip())
            out.append(",")
        if not v[1:-1].rstrip().endswith(",") and out[-1] == ",":
            out.pop()
        out.append(")")
        return out
    return [v]


# ------------------------------------------------------------------------------------------------ any literal, overridden

LIT_SEPS = ["", "", "", " ", "\t", "\f", "\n", "\r", "\r\n", "\\\n", " #c\n", "\n  ", "\x0b", "\u00a0", "\\\r\n"]
LIT_ATOMS = ["0", "1", "00", "01", "1_0", "1__0", "1_", "0x1f", "0X_f", "0o17", "0b101", "0b2", "1.5", "1.", ".5", "-.5",
             "1e5", "1e", "1_e5", "2j", ".5j", "1jL", "3L", "3 L", "0L", "'s'", '"d"', "b'y'", "rb'\\x'", "u'a'", "f'x'",
             "R'\\n'", "'''t\nq'''", "'\\x41'", "'\\101'", "'\\N{DIGIT ONE}'", "'\\u0041'", "b'\\xff'", "b'\\u0041'",
             "'\\q'", "'a' 'b'", "'a' b'b'", "True", "False", "None", "...", "set()", "set", "x", "Ｔｒｕｅ", "３", "-1",
             "--1", "-(1)", "+1", "-1.5", "1+2j", "1-2j", "-1+2j", "2j+1", "1+2", "-True", "-'a'", "1 if 1 else 2",
             "not 1", "~1", "[]", "()", "{}", "(1)", "(1,)", "[1,]", "{1}", "{1:2}", "{1,}", "{[]: 1}", "{(1, []): 1}",
             "{'a': 1, 'a': 2}", "9" * 30, "0x" + "f" * 40, "lambda: 1", "b'a' b'b'", "'a\\\nb'", "'\\x4'", "'\\N{NOPE}'"]


def literal(depth=0):
    if depth > 3 or rng.random() < 0.45:
        return rng.choice(LIT_ATOMS)
    sep = lambda: rng.choice(LIT_SEPS) if rng.random() < 0.3 else rng.choice(["", " "])
    n = rng.randint(0, 3)
    kind = rng.choice("tlds")
    if kind == "d":
        body = ("," + sep()).join(literal(depth + 1) + sep() + ":" + sep() + literal(depth + 1) for _ in range(n))
        return "{" + sep() + body + sep() + ("," if rng.random() < 0.3 else "") + "}"
    body = ("," + sep()).join(literal(depth + 1) for _ in range(n))
    trail = ",," if rng.random() < 0.05 else ("," if rng.random() < 0.4 else "")
    o, c = {"t": "()", "l": "[]", "s": "{}"}[kind]
    return o + sep() + body + trail + sep() + c


def literal_cases(n):
    """Any literal as the value of a key that a later duplicate overrides: np.load accepts it exactly when
    literal_eval (or, in versions 1 and 2, its Python 2 retry) does."""
    for i in range(n):
        lit = literal()
        key = rng.choice(["shape", "descr", "fortran_order"])
        text = "{'%s': %s, 'descr': '<f4', 'fortran_order': False, 'shape': (3,)}" % (key, lit)
        v = rng.choice(VERSIONS)
        add("literal/%d/v%d" % (i, v), npy(text, v), "overridden %s: %s" % (key, label(lit, 80)))


def main():
    numpy_written()
    descr_cases()
    text_cases()
    size_cases()
    encoding_cases()
    prefix_cases()
    random_cases(1200)
    literal_cases(800)
    accepted = sum(c["numpy"] == "accept" for c in cases)
    doc = {
        "generator": "scripts/npy-corpus.py",
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "cases": cases,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="ascii") as f:
        json.dump(doc, f, ensure_ascii=True, separators=(",", ":"))
        f.write("\n")
    print("%d cases (%d accepted, %d refused by numpy %s), %d bytes -> %s"
          % (len(cases), accepted, len(cases) - accepted, np.__version__, os.path.getsize(OUT), os.path.relpath(OUT)))


if __name__ == "__main__":
    main()
