package dev.xent.io;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code ast.literal_eval} for the literals a {@code .npy} header can hold, as CPython 3.11 tokenizes and
 * evaluates them: dicts, tuples, lists and sets; str and bytes (every prefix and escape, adjacent literals joined);
 * int (decimal, hex, octal, binary, underscores; at most 4300 decimal digits); True, False, None; float, complex and
 * Ellipsis (parsed, then of no use to a header); comments, line continuations, newlines inside brackets; unary + and -
 * on numbers, and a real plus or minus an imaginary number. Anything else, or text before or after the expression, is
 * a {@link Malformed} error, so what {@code np.load} refuses this refuses.
 *
 * <p>Values: {@link String}, {@link Bytes}, {@link BigInteger}, {@link Boolean}, {@link Tuple}, {@link List}, {@link
 * Set}, {@link Map} (insertion order, a repeated key keeping its first place and its last value, as a dict display
 * does), {@link #NONE} and {@link Other} (float, complex, Ellipsis).
 */
public final class PyLiteral {
    /** Why a text is not a literal (the message says where). */
    public static final class Malformed extends Exception {
        private static final long serialVersionUID = 1L;

        Malformed(String message) { super(message); }
    }

    /** A tuple. */
    public static final class Tuple {
        public final List<Object> items;

        Tuple(List<Object> items) { this.items = items; }

        @Override public boolean equals(Object o) { return o instanceof Tuple && ((Tuple) o).items.equals(items); }

        @Override public int hashCode() { return items.hashCode() * 31 + 7; }

        @Override public String toString() { return "tuple" + items; }
    }

    /** A set display. */
    public static final class Set {
        public final List<Object> items;

        Set(List<Object> items) { this.items = items; }
    }

    /** A bytes literal. */
    public static final class Bytes {
        public final byte[] value;

        Bytes(byte[] value) { this.value = value; }

        @Override public boolean equals(Object o) { return o instanceof Bytes && java.util.Arrays.equals(((Bytes) o).value, value); }

        @Override public int hashCode() { return java.util.Arrays.hashCode(value); }
    }

    /** A float, a complex number or Ellipsis: valid literals that no header field can use. */
    public static final class Other {
        public final String kind;

        Other(String kind) { this.kind = kind; }

        @Override public String toString() { return kind; }
    }

    public static final Object NONE = new Object() {
        @Override public String toString() { return "None"; }
    };

    /** CPython's limit on nested brackets in one expression. */
    private static final int MAX_NESTING = 200;
    /** CPython 3.11's limit on decimal digits of an int (sys.get_int_max_str_digits()). */
    private static final int MAX_INT_DIGITS = 4300;

    private PyLiteral() {}

    /** Evaluates {@code text} as {@code ast.literal_eval(text)} would. */
    public static Object eval(String text) throws Malformed { return eval(text, false); }

    /**
     * As {@link #eval(String)} after numpy's {@code _filter_header}: an 'L' token right after a number (a Python 2
     * long) is dropped. numpy tries this for format versions 1.0 and 2.0 when the first parse fails.
     */
    public static Object evalPython2(String text) throws Malformed { return eval(text, true); }

    private static Object eval(String text, boolean python2Longs) throws Malformed {
        if (text.indexOf('\0') >= 0) throw new Malformed("source code string cannot contain null bytes");
        int i = 0;
        while (i < text.length() && (text.charAt(i) == ' ' || text.charAt(i) == '\t')) i++; // literal_eval's lstrip(" \t")
        String s = text.substring(i).replace("\r\n", "\n").replace('\r', '\n'); // universal newlines
        Parser p = new Parser(new Lexer(s, python2Longs).tokens());
        Object v = p.expression();
        p.expectEnd();
        return v;
    }

    // ------------------------------------------------------------------------------------------------ lexer

    private enum T { STRING, NUMBER, NAME, OP, NEWLINE, END }

    private static final class Token {
        final T type;
        final String text;  // OP: the character; NAME, NUMBER: the text
        final Object value; // STRING: String or Bytes
        final boolean bytes;
        final int at;

        Token(T type, String text, Object value, boolean bytes, int at) {
            this.type = type;
            this.text = text;
            this.value = value;
            this.bytes = bytes;
            this.at = at;
        }
    }

    private static final class Lexer {
        private final String s;
        private int i;
        private int depth;
        private final List<Token> out = new ArrayList<>();
        private final boolean python2Longs;

        Lexer(String s, boolean python2Longs) {
            this.s = s;
            this.python2Longs = python2Longs;
        }

        /** In Python 2 mode, skips an 'L' name token right after a number. */
        private void dropLongSuffix() {
            if (python2Longs && i < s.length() && s.charAt(i) == 'L' && (i + 1 >= s.length() || !isNamePart(s.charAt(i + 1)))) i++;
        }

        private Malformed error(String what) { return new Malformed(what + " at character " + i); }

        List<Token> tokens() throws Malformed {
            boolean lineStart = true, anyLogical = false;
            while (true) {
                if (lineStart && depth == 0) {
                    // indentation of a new line: blank and comment-only lines do not count; an expression line must
                    // start at column 0 (formfeed resets the column)
                    int col = 0, j = i;
                    while (j < s.length() && (s.charAt(j) == ' ' || s.charAt(j) == '\t' || s.charAt(j) == '\f')) {
                        col = s.charAt(j) == '\f' ? 0 : col + 1;
                        j++;
                    }
                    if (j >= s.length()) {
                        if (col > 0) throw error("unexpected indent");
                        i = j;
                        break;
                    }
                    char c = s.charAt(j);
                    if (c == '\n') { i = j + 1; continue; }
                    if (c == '#') { i = j; skipComment(); continue; }
                    if (c == '\\') { // a continuation at the start of a line joins it to the next
                        if (j + 1 < s.length() && s.charAt(j + 1) == '\n') {
                            if (j + 2 >= s.length()) throw error("unexpected EOF while parsing");
                            i = j + 2;
                            lineStart = false;
                            if (col > 0) throw error("unexpected indent");
                            continue;
                        }
                        throw error("unexpected character after line continuation character");
                    }
                    if (col > 0) throw error("unexpected indent");
                    i = j;
                    lineStart = false;
                }
                if (i >= s.length()) break;
                char c = s.charAt(i);
                if (c == ' ' || c == '\t' || c == '\f') { i++; continue; }
                if (c == '#') { skipComment(); continue; }
                if (c == '\n') {
                    i++;
                    if (depth == 0) {
                        if (anyLogical) out.add(new Token(T.NEWLINE, "\n", null, false, i - 1));
                        anyLogical = false;
                        lineStart = true;
                    }
                    continue;
                }
                if (c == '\\') {
                    if (i + 1 < s.length() && s.charAt(i + 1) == '\n') {
                        if (i + 2 >= s.length()) throw error("unexpected EOF while parsing");
                        i += 2;
                        continue;
                    }
                    throw error("unexpected character after line continuation character");
                }
                anyLogical = true;
                int at = i;
                if ("([{".indexOf(c) >= 0) {
                    if (++depth > MAX_NESTING) throw error("too many nested parentheses");
                    out.add(new Token(T.OP, String.valueOf(c), null, false, at));
                    i++;
                } else if (")]}".indexOf(c) >= 0) {
                    if (--depth < 0) throw error("unmatched '" + c + "'");
                    out.add(new Token(T.OP, String.valueOf(c), null, false, at));
                    i++;
                } else if (",:+-".indexOf(c) >= 0) {
                    out.add(new Token(T.OP, String.valueOf(c), null, false, at));
                    i++;
                } else if (c == '.' && s.startsWith("...", i)) {
                    out.add(new Token(T.NAME, "...", null, false, at));
                    i += 3;
                } else if (isDigit(c) || (c == '.' && i + 1 < s.length() && isDigit(s.charAt(i + 1)))) {
                    number();
                } else if (isNameStart(c)) {
                    int j = i;
                    while (j < s.length() && isNamePart(s.charAt(j))) j++;
                    String name = s.substring(i, j);
                    if (j < s.length() && (s.charAt(j) == '\'' || s.charAt(j) == '"') && isStringPrefix(name)) {
                        i = j;
                        string(name.toLowerCase(java.util.Locale.ROOT), at);
                    } else {
                        out.add(new Token(T.NAME, name, null, false, at));
                        i = j;
                    }
                } else if (c == '\'' || c == '"') {
                    string("", at);
                } else if (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0xa0) || c == 0x2028 || c == 0x2029) {
                    throw error("invalid non-printable character U+" + String.format("%04X", (int) c));
                } else {
                    throw error("invalid syntax: '" + c + "'");
                }
            }
            if (depth > 0) throw error("unexpected EOF while parsing (a bracket is not closed)");
            if (anyLogical) out.add(new Token(T.NEWLINE, "\n", null, false, i));
            out.add(new Token(T.END, "", null, false, i));
            return out;
        }

        private void skipComment() {
            while (i < s.length() && s.charAt(i) != '\n') i++;
        }

        private static boolean isDigit(char c) { return c >= '0' && c <= '9'; }

        private static boolean isNameStart(char c) { return c == '_' || Character.isUnicodeIdentifierStart(c); }

        private static boolean isNamePart(char c) { return c == '_' || Character.isUnicodeIdentifierPart(c) && !Character.isIdentifierIgnorable(c); }

        private static boolean isStringPrefix(String p) {
            switch (p.toLowerCase(java.util.Locale.ROOT)) {
                case "r": case "u": case "b": case "br": case "rb": case "f": case "fr": case "rf": return true;
                default: return false;
            }
        }

        /** A numeric literal: its text checked as CPython's tokenizer does (underscores, leading zeros, suffixes). */
        private void number() throws Malformed {
            int at = i;
            char c = s.charAt(i);
            boolean isFloat = false;
            if (c == '0' && i + 1 < s.length() && "xXoObB".indexOf(s.charAt(i + 1)) >= 0) {
                char kind = Character.toLowerCase(s.charAt(i + 1));
                i += 2;
                String digits = kind == 'x' ? "0123456789abcdefABCDEF" : kind == 'o' ? "01234567" : "01";
                if (i < s.length() && s.charAt(i) == '_') i++;
                if (i >= s.length() || digits.indexOf(s.charAt(i)) < 0) throw error("invalid " + kind + " literal");
                while (i < s.length()) {
                    char d = s.charAt(i);
                    if (digits.indexOf(d) >= 0) { i++; continue; }
                    if (d == '_' && i + 1 < s.length() && digits.indexOf(s.charAt(i + 1)) >= 0) { i += 2; continue; }
                    break;
                }
                dropLongSuffix();
                if (i < s.length() && (isNamePart(s.charAt(i)))) throw error("invalid " + kind + " literal");
                String text = s.substring(at + 2, i).replace("_", "");
                out.add(new Token(T.NUMBER, "int", new BigInteger(text, kind == 'x' ? 16 : kind == 'o' ? 8 : 2), false, at));
                return;
            }
            int intStart = i;
            digitPart(true);
            String intText = s.substring(intStart, i);
            if (i < s.length() && s.charAt(i) == '.') {
                isFloat = true;
                i++;
                if (i < s.length() && Lexer.isDigit(s.charAt(i))) digitPart(false);
            }
            if (i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
                int save = i;
                i++;
                if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) i++;
                if (i < s.length() && Lexer.isDigit(s.charAt(i))) { digitPart(false); isFloat = true; }
                else { i = save; throw error("invalid decimal literal"); }
            }
            boolean imaginary = false;
            if (i < s.length() && (s.charAt(i) == 'j' || s.charAt(i) == 'J')) { imaginary = true; i++; }
            dropLongSuffix();
            if (i < s.length() && isNamePart(s.charAt(i))) throw error("invalid decimal literal");
            if (imaginary || isFloat) {
                out.add(new Token(T.NUMBER, "other", new Other(imaginary ? "complex" : "float"), false, at));
                return;
            }
            String digits = intText.replace("_", "");
            if (digits.length() > 1 && digits.charAt(0) == '0' && !digits.chars().allMatch(ch -> ch == '0')) {
                throw error("leading zeros in decimal integer literals are not permitted");
            }
            if (digits.length() > MAX_INT_DIGITS) throw error("exceeds the limit (" + MAX_INT_DIGITS + " digits) for integer string conversion");
            out.add(new Token(T.NUMBER, "int", new BigInteger(digits), false, at));
        }

        /** digit (["_"] digit)*, the first digit already known to be there when {@code first}. */
        private void digitPart(boolean first) throws Malformed {
            if (i >= s.length() || !Lexer.isDigit(s.charAt(i))) throw error("invalid decimal literal");
            i++;
            while (i < s.length()) {
                char d = s.charAt(i);
                if (Lexer.isDigit(d)) { i++; continue; }
                if (d == '_') {
                    if (i + 1 < s.length() && Lexer.isDigit(s.charAt(i + 1))) { i += 2; continue; }
                    throw error("invalid decimal literal");
                }
                break;
            }
        }

        private void string(String prefix, int at) throws Malformed {
            boolean raw = prefix.indexOf('r') >= 0, bytes = prefix.indexOf('b') >= 0, f = prefix.indexOf('f') >= 0;
            char q = s.charAt(i);
            boolean triple = s.startsWith("" + q + q + q, i);
            i += triple ? 3 : 1;
            StringBuilder v = new StringBuilder();
            while (true) {
                if (i >= s.length()) throw error(triple ? "unterminated triple-quoted string literal" : "unterminated string literal");
                char c = s.charAt(i);
                if (triple ? s.startsWith("" + q + q + q, i) : c == q) { i += triple ? 3 : 1; break; }
                if (c == '\n' && !triple) throw error("unterminated string literal");
                if (c == '\\') {
                    if (i + 1 >= s.length()) throw error("unterminated string literal");
                    char e = s.charAt(i + 1);
                    if (raw) { // the backslash stays, and it only protects the next character from ending the string
                        v.append(c).append(e);
                        i += 2;
                        continue;
                    }
                    i += 2;
                    escape(e, v, bytes);
                    continue;
                }
                if (bytes && c > 0x7f) throw error("bytes can only contain ASCII literal characters");
                v.append(c);
                i++;
            }
            Object value;
            if (bytes) {
                byte[] b = new byte[v.length()];
                for (int k = 0; k < b.length; k++) b[k] = (byte) v.charAt(k);
                value = new Bytes(b);
            } else {
                value = v.toString();
            }
            if (f) value = new Other("f-string");
            out.add(new Token(T.STRING, "str", value, bytes, at));
        }

        private void escape(char e, StringBuilder v, boolean bytes) throws Malformed {
            switch (e) {
                case '\n': return; // a line continuation inside the string
                case '\\': v.append('\\'); return;
                case '\'': v.append('\''); return;
                case '"': v.append('"'); return;
                case 'a': v.append('\u0007'); return;
                case 'b': v.append('\b'); return;
                case 'f': v.append('\f'); return;
                case 'n': v.append('\n'); return;
                case 'r': v.append('\r'); return;
                case 't': v.append('\t'); return;
                case 'v': v.append('\u000b'); return;
                case 'x': v.append((char) hex(2, "\\xXX")); return;
                default: break;
            }
            if (e >= '0' && e <= '7') {
                int n = e - '0', k = 1;
                while (k < 3 && i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '7') { n = n * 8 + (s.charAt(i++) - '0'); k++; }
                if (bytes) n &= 0xff;
                v.append((char) n);
                return;
            }
            if (!bytes && e == 'u') { v.append((char) hex(4, "\\uXXXX")); return; }
            if (!bytes && e == 'U') {
                int cp = hex(8, "\\UXXXXXXXX");
                if (cp > 0x10ffff) throw error("illegal Unicode character");
                v.appendCodePoint(cp);
                return;
            }
            if (!bytes && e == 'N') {
                if (i >= s.length() || s.charAt(i) != '{') throw error("malformed \\N character escape");
                int close = s.indexOf('}', i);
                if (close < 0) throw error("malformed \\N character escape");
                String name = s.substring(i + 1, close);
                int cp;
                try {
                    cp = Character.codePointOf(name);
                } catch (IllegalArgumentException ex) {
                    throw error("unknown Unicode character name");
                }
                v.appendCodePoint(cp);
                i = close + 1;
                return;
            }
            v.append('\\').append(e); // an unknown escape keeps its backslash (a warning in CPython, not an error)
        }

        private int hex(int n, String form) throws Malformed {
            if (i + n > s.length()) throw error("truncated " + form + " escape");
            int v = 0;
            for (int k = 0; k < n; k++) {
                int d = Character.digit(s.charAt(i + k), 16);
                if (d < 0 || s.charAt(i + k) > 0x7f) throw error("truncated " + form + " escape");
                v = v * 16 + d;
            }
            i += n;
            return v;
        }
    }

    // ------------------------------------------------------------------------------------------------ parser

    private static final class Parser {
        private final List<Token> t;
        private int k;

        Parser(List<Token> tokens) { this.t = tokens; }

        private Token peek() { return t.get(k); }

        private boolean isOp(String op) { return peek().type == T.OP && peek().text.equals(op); }

        private Malformed error(String what) { return new Malformed(what + " at character " + peek().at); }

        void expectEnd() throws Malformed {
            if (peek().type == T.NEWLINE) k++;
            if (peek().type != T.END) throw error("invalid syntax (text after the literal)");
        }

        /** What kind of syntax node a value came from: literal_eval's sign and complex rules depend on it. */
        private enum Kind { NUMBER, SIGNED, OTHER }

        private Kind kind; // of the value the last call of expression() / unary() / atom() returned

        /** expression := unary (('+' | '-') unary)*; literal_eval takes only (signed) real +/- unsigned imaginary. */
        Object expression() throws Malformed {
            Object left = unary();
            Kind leftKind = kind;
            while (isOp("+") || isOp("-")) {
                k++;
                Object right = unary();
                boolean real = left instanceof BigInteger || (left instanceof Other && ((Other) left).kind.equals("float"));
                boolean imaginary = kind == Kind.NUMBER && right instanceof Other && ((Other) right).kind.equals("complex");
                if (leftKind == Kind.OTHER || !real || !imaginary) {
                    throw error("malformed node or string (only a real number plus or minus an imaginary one is a literal)");
                }
                left = new Other("complex");
                leftKind = Kind.OTHER;
            }
            kind = leftKind;
            return left;
        }

        /** unary := ('+' | '-') atom | atom; the sign applies to a number constant only, once. */
        private Object unary() throws Malformed {
            if (isOp("+") || isOp("-")) {
                boolean negative = peek().text.equals("-");
                k++;
                if (isOp("+") || isOp("-")) throw error("malformed node or string (a sign of a sign)");
                Object v = atom();
                if (kind != Kind.NUMBER) throw error("malformed node or string (a sign applies to a number only)");
                kind = Kind.SIGNED;
                return v instanceof BigInteger && negative ? ((BigInteger) v).negate() : v;
            }
            return atom();
        }

        private Object atom() throws Malformed {
            Token tok = peek();
            kind = Kind.OTHER;
            switch (tok.type) {
                case NUMBER:
                    k++;
                    kind = Kind.NUMBER;
                    return tok.value;
                case STRING: {
                    // adjacent literals are one: all str or all bytes
                    StringBuilder sb = new StringBuilder();
                    java.io.ByteArrayOutputStream bb = new java.io.ByteArrayOutputStream();
                    boolean bytes = tok.bytes, fString = false;
                    while (peek().type == T.STRING) {
                        Token st = peek();
                        if (st.bytes != bytes) throw error("cannot mix bytes and nonbytes literals");
                        if (st.value instanceof Other) fString = true;
                        else if (bytes) bb.writeBytes(((Bytes) st.value).value);
                        else sb.append((String) st.value);
                        k++;
                    }
                    if (fString) throw error("malformed node or string (an f-string is not a literal)");
                    return bytes ? new Bytes(bb.toByteArray()) : sb.toString();
                }
                case NAME:
                    k++;
                    switch (tok.text) {
                        case "True": return Boolean.TRUE;
                        case "False": return Boolean.FALSE;
                        case "None": return NONE;
                        case "...": return new Other("Ellipsis");
                        case "set":
                            if (isOp("(") && t.get(k + 1).type == T.OP && t.get(k + 1).text.equals(")")) {
                                k += 2;
                                return new Set(new ArrayList<>());
                            }
                            // fall through
                        default: throw new Malformed("malformed node or string: name '" + tok.text + "' at character " + tok.at);
                    }
                case OP:
                    if (tok.text.equals("(")) return tuple();
                    if (tok.text.equals("[")) return list();
                    if (tok.text.equals("{")) return dictOrSet();
                    throw error("invalid syntax: '" + tok.text + "'");
                default:
                    throw error("invalid syntax (unexpected end)");
            }
        }

        private Object tuple() throws Malformed {
            k++; // (
            List<Object> items = new ArrayList<>();
            if (isOp(")")) { k++; return new Tuple(items); }
            Object first = expression();
            if (isOp(")")) { // a parenthesized expression, not a tuple: it keeps its node kind
                k++;
                return first;
            }
            items.add(first);
            while (isOp(",")) {
                k++;
                if (isOp(")")) break;
                items.add(expression());
            }
            if (!isOp(")")) throw error("invalid syntax (expected ',' or ')')");
            k++;
            kind = Kind.OTHER;
            return new Tuple(items);
        }

        private Object list() throws Malformed {
            k++;
            List<Object> items = new ArrayList<>();
            while (!isOp("]")) {
                items.add(expression());
                if (isOp(",")) k++;
                else if (!isOp("]")) throw error("invalid syntax (expected ',' or ']')");
            }
            k++;
            kind = Kind.OTHER;
            return items;
        }

        private Object dictOrSet() throws Malformed {
            k++;
            if (isOp("}")) { k++; kind = Kind.OTHER; return new LinkedHashMap<Object, Object>(); }
            Object first = expression();
            if (isOp(":")) {
                List<Object[]> pairs = new ArrayList<>();
                k++;
                pairs.add(new Object[] {first, expression()});
                while (isOp(",")) {
                    k++;
                    if (isOp("}")) break;
                    Object key = expression();
                    if (!isOp(":")) throw error("invalid syntax (expected ':')");
                    k++;
                    pairs.add(new Object[] {key, expression()});
                }
                if (!isOp("}")) throw error("invalid syntax (expected ',' or '}')");
                k++;
                Map<Object, Object> m = new LinkedHashMap<>();
                for (Object[] kv : pairs) {
                    requireHashable(kv[0]);
                    m.put(kv[0], kv[1]); // a repeated key keeps its first position and takes the last value
                }
                kind = Kind.OTHER;
                return m;
            }
            List<Object> items = new ArrayList<>();
            items.add(first);
            while (isOp(",")) {
                k++;
                if (isOp("}")) break;
                items.add(expression());
            }
            if (!isOp("}")) throw error("invalid syntax (expected ',' or '}')");
            k++;
            for (Object o : items) requireHashable(o);
            kind = Kind.OTHER;
            return new Set(items);
        }

        private void requireHashable(Object o) throws Malformed {
            if (o instanceof List || o instanceof Map || o instanceof Set) throw new Malformed("unhashable type (a list, dict or set as a key or set element)");
            if (o instanceof Tuple) for (Object x : ((Tuple) o).items) requireHashable(x);
        }
    }
}
