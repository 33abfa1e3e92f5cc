package dev.xent.io;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

// Over 400 lines: One parser: Python's literal grammar as numpy writes headers, tokenizer and parser together, as in
// CPython's ast.
/**
 * Python's {@code ast.literal_eval} for the literals a {@code .npy} header can hold, as CPython 3.11 tokenizes and
 * evaluates them: dicts, tuples, lists and sets; str and bytes (every prefix and escape, adjacent literals joined);
 * int (decimal, hex, octal, binary, underscores; at most 4300 decimal digits unless all zeros); True, False, None;
 * float, complex and Ellipsis (parsed, then of no use to a header); comments, line continuations, newlines inside
 * brackets, indentation only where the tokenizer allows it; unary + and - on numbers, and a real plus or minus an
 * imaginary number. Anything else, or text before or after the expression, is a {@link Malformed} error, so what
 * {@code np.load} refuses this refuses. {@link #evalPython2} adds numpy's retry for Python 2 headers.
 *
 * <p>Values: {@link String}, {@link Bytes}, {@link BigInteger}, {@link Boolean}, {@link Tuple}, {@link List}, {@link
 * Set}, {@link Map} (insertion order, a repeated key keeping its first place and its last value, as a dict display
 * does), {@link #NONE} and {@link Other} (float, complex, Ellipsis).
 */
public final class PyLiteral {
    /** Why a text is not a literal (the message says where). */
    public static final class Malformed extends Exception {
        private static final long serialVersionUID = 1L;

        Malformed(String message) {
            super(message);
        }
    }

    /** A tuple. */
    public static final class Tuple {
        /** Its items, in order. */
        public final List<Object> items;

        Tuple(List<Object> items) {
            this.items = items;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Tuple && ((Tuple) o).items.equals(items);
        }

        @Override
        public int hashCode() {
            return items.hashCode() * 31 + 7;
        }

        @Override
        public String toString() {
            return "tuple" + items;
        }
    }

    /** A set display. */
    public static final class Set {
        /** Its items as written, in order (duplicates not removed). */
        public final List<Object> items;

        Set(List<Object> items) {
            this.items = items;
        }
    }

    /** A bytes literal. */
    public static final class Bytes {
        /** Its bytes, escapes resolved. */
        public final byte[] value;

        Bytes(byte[] value) {
            this.value = value;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Bytes && java.util.Arrays.equals(((Bytes) o).value, value);
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(value);
        }
    }

    /** A float, a complex number or Ellipsis: valid literals that no header field can use. */
    public static final class Other {
        /** What it is: float, complex or Ellipsis. */
        public final String kind;

        Other(String kind) {
            this.kind = kind;
        }

        @Override
        public String toString() {
            return kind;
        }
    }

    /** Python's None. */
    public static final Object NONE = new Object() {
        @Override
        public String toString() {
            return "None";
        }
    };

    /** CPython's limit on nested brackets in one expression. */
    private static final int MAX_NESTING = 200;
    /** CPython 3.11's limit on decimal digits of an int (sys.get_int_max_str_digits()). */
    private static final int MAX_INT_DIGITS = 4300;

    private PyLiteral() {}

    /**
     * As {@link #eval(String)} of numpy's {@code _filter_header(text)} ({@link Python2Filter}): the text re-tokenized
     * with Python's own tokenize module, every 'L' name right after a number (a Python 2 long) dropped, and untokenized.
     * numpy tries this for format versions 1.0 and 2.0 when the first parse fails; untokenizing also turns tabs and
     * formfeeds between tokens into spaces and drops a trailing whitespace-only line, so it accepts more than the 'L's.
     *
     * @param text a Python 2 or 3 literal
     * @return its value, as {@link #eval} gives it
     * @throws Malformed if the filtered text is not a literal
     */
    public static Object evalPython2(String text) throws Malformed {
        return eval(Python2Filter.filter(text));
    }

    /**
     * Evaluates {@code text} as {@code ast.literal_eval(text)} would.
     *
     * @param text the source of one expression
     * @return its value, of one of the types the class comment lists
     * @throws Malformed if {@code text} is not one literal expression (the message says where)
     */
    public static Object eval(String text) throws Malformed {
        if (text.indexOf('\0') >= 0) throw new Malformed("source code string cannot contain null bytes");
        int i = 0;
        while (i < text.length() && (text.charAt(i) == ' ' || text.charAt(i) == '\t'))
            i++; // literal_eval's lstrip(" \t")
        String s = text.substring(i).replace("\r\n", "\n").replace('\r', '\n'); // universal newlines
        Parser p = new Parser(new Lexer(s).tokens());
        Object v = p.expression();
        p.expectEnd();
        return v;
    }

    // ------------------------------------------------------------------------------------------------ lexer

    private enum T {
        STRING,
        NUMBER,
        NAME,
        OP,
        NEWLINE,
        END
    }

    private static final class Token {
        final T type;
        final String text; // OP: the character; NAME, NUMBER: the text
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

        Lexer(String s) {
            this.s = s;
        }

        private Malformed error(String what) {
            return new Malformed(what + " at character " + i);
        }

        List<Token> tokens() throws Malformed {
            boolean lineStart = true, anyLogical = false;
            while (true) {
                if (lineStart && depth == 0) {
                    // indentation of a new line: blank and comment-only lines do not count; an expression line (or
                    // the end of the text) must be at column 0. Formfeed resets the column; line continuations join
                    // lines here, and the column at the first one after whitespace is the line's indentation.
                    int col = 0, contCol = 0, j = i;
                    while (j < s.length()) {
                        char c = s.charAt(j);
                        if (c == ' ' || c == '\t') col++;
                        else if (c == '\f') col = 0;
                        else if (c == '\\') {
                            i = j;
                            if (j + 1 >= s.length() || s.charAt(j + 1) != '\n')
                                throw error("unexpected character after line continuation character");
                            if (j + 2 >= s.length()) throw error("unexpected EOF while parsing");
                            if (contCol == 0) contCol = col;
                            j += 2;
                            continue;
                        } else break;
                        j++;
                    }
                    i = j;
                    if (j < s.length() && s.charAt(j) == '\n') {
                        i++;
                        continue;
                    }
                    if (j < s.length() && s.charAt(j) == '#') {
                        skipComment();
                        continue;
                    }
                    if ((contCol != 0 ? contCol : col) > 0) throw error("unexpected indent");
                    if (j >= s.length()) break;
                    lineStart = false;
                }
                if (i >= s.length()) break;
                char c = s.charAt(i);
                if (c == ' ' || c == '\t' || c == '\f') {
                    i++;
                    continue;
                }
                if (c == '#') {
                    skipComment();
                    continue;
                }
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

        private static boolean isDigit(char c) {
            return c >= '0' && c <= '9';
        }

        private static boolean isNameStart(char c) {
            return c == '_' || Character.isUnicodeIdentifierStart(c);
        }

        private static boolean isNamePart(char c) {
            return c == '_' || Character.isUnicodeIdentifierPart(c) && !Character.isIdentifierIgnorable(c);
        }

        private static boolean isStringPrefix(String p) {
            switch (p.toLowerCase(java.util.Locale.ROOT)) {
                case "r":
                case "u":
                case "b":
                case "br":
                case "rb":
                case "f":
                case "fr":
                case "rf":
                    return true;
                default:
                    return false;
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
                    if (digits.indexOf(d) >= 0) {
                        i++;
                        continue;
                    }
                    if (d == '_' && i + 1 < s.length() && digits.indexOf(s.charAt(i + 1)) >= 0) {
                        i += 2;
                        continue;
                    }
                    break;
                }
                if (i < s.length() && (isNamePart(s.charAt(i)))) throw error("invalid " + kind + " literal");
                String text = s.substring(at + 2, i).replace("_", "");
                out.add(new Token(
                        T.NUMBER, "int", new BigInteger(text, kind == 'x' ? 16 : kind == 'o' ? 8 : 2), false, at));
                return;
            }
            int intStart = i;
            if (c != '.') digitPart(true); // '.5' has no integer part
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
                if (i < s.length() && Lexer.isDigit(s.charAt(i))) {
                    digitPart(false);
                    isFloat = true;
                } else {
                    i = save;
                    throw error("invalid decimal literal");
                }
            }
            boolean imaginary = false;
            if (i < s.length() && (s.charAt(i) == 'j' || s.charAt(i) == 'J')) {
                imaginary = true;
                i++;
            }
            if (i < s.length() && isNamePart(s.charAt(i))) throw error("invalid decimal literal");
            if (imaginary || isFloat) {
                out.add(new Token(T.NUMBER, "other", new Other(imaginary ? "complex" : "float"), false, at));
                return;
            }
            String digits = intText.replace("_", "");
            if (digits.length() > 1
                    && digits.charAt(0) == '0'
                    && !digits.chars().allMatch(ch -> ch == '0')) {
                throw error("leading zeros in decimal integer literals are not permitted");
            }
            // CPython converts a literal starting with 0 with strtoul first, so zeros are exempt from the limit
            if (digits.length() > MAX_INT_DIGITS && digits.charAt(0) != '0')
                throw error("exceeds the limit (" + MAX_INT_DIGITS + " digits) for integer string conversion");
            out.add(new Token(T.NUMBER, "int", new BigInteger(digits), false, at));
        }

        /** digit (["_"] digit)*, the first digit already known to be there when {@code first}. */
        private void digitPart(boolean first) throws Malformed {
            if (i >= s.length() || !Lexer.isDigit(s.charAt(i))) throw error("invalid decimal literal");
            i++;
            while (i < s.length()) {
                char d = s.charAt(i);
                if (Lexer.isDigit(d)) {
                    i++;
                    continue;
                }
                if (d == '_') {
                    if (i + 1 < s.length() && Lexer.isDigit(s.charAt(i + 1))) {
                        i += 2;
                        continue;
                    }
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
                if (i >= s.length())
                    throw error(triple ? "unterminated triple-quoted string literal" : "unterminated string literal");
                char c = s.charAt(i);
                if (triple ? s.startsWith("" + q + q + q, i) : c == q) {
                    i += triple ? 3 : 1;
                    break;
                }
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
                case '\n':
                    return; // a line continuation inside the string
                case '\\':
                    v.append('\\');
                    return;
                case '\'':
                    v.append('\'');
                    return;
                case '"':
                    v.append('"');
                    return;
                case 'a':
                    v.append('\u0007');
                    return;
                case 'b':
                    v.append('\b');
                    return;
                case 'f':
                    v.append('\f');
                    return;
                case 'n':
                    v.append('\n');
                    return;
                case 'r':
                    v.append('\r');
                    return;
                case 't':
                    v.append('\t');
                    return;
                case 'v':
                    v.append('\u000b');
                    return;
                case 'x':
                    v.append((char) hex(2, "\\xXX"));
                    return;
                default:
                    break;
            }
            if (e >= '0' && e <= '7') {
                int n = e - '0', k = 1;
                while (k < 3 && i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '7') {
                    n = n * 8 + (s.charAt(i++) - '0');
                    k++;
                }
                if (bytes) n &= 0xff;
                v.append((char) n);
                return;
            }
            if (!bytes && e == 'u') {
                v.append((char) hex(4, "\\uXXXX"));
                return;
            }
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

        Parser(List<Token> tokens) {
            this.t = tokens;
        }

        private Token peek() {
            return t.get(k);
        }

        private boolean isOp(String op) {
            return peek().type == T.OP && peek().text.equals(op);
        }

        private Malformed error(String what) {
            return new Malformed(what + " at character " + peek().at);
        }

        void expectEnd() throws Malformed {
            if (peek().type == T.NEWLINE) k++;
            if (peek().type != T.END) throw error("invalid syntax (text after the literal)");
        }

        /** What kind of syntax node a value came from: literal_eval's sign and complex rules depend on it. */
        private enum Kind {
            NUMBER,
            SIGNED,
            OTHER
        }

        private Kind kind; // of the value the last call of expression() / unary() / atom() returned

        /** expression := unary (('+' | '-') unary)*; literal_eval takes only (signed) real +/- unsigned imaginary. */
        Object expression() throws Malformed {
            Object left = unary();
            Kind leftKind = kind;
            while (isOp("+") || isOp("-")) {
                k++;
                Object right = unary();
                boolean real =
                        left instanceof BigInteger || (left instanceof Other && ((Other) left).kind.equals("float"));
                boolean imaginary =
                        kind == Kind.NUMBER && right instanceof Other && ((Other) right).kind.equals("complex");
                if (leftKind == Kind.OTHER || !real || !imaginary) {
                    throw error(
                            "malformed node or string (only a real number plus or minus an imaginary one is a literal)");
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
                        case "True":
                            return Boolean.TRUE;
                        case "False":
                            return Boolean.FALSE;
                        case "None":
                            return NONE;
                        case "...":
                            return new Other("Ellipsis");
                        case "set":
                            if (isOp("(")
                                    && t.get(k + 1).type == T.OP
                                    && t.get(k + 1).text.equals(")")) {
                                k += 2;
                                return new Set(new ArrayList<>());
                            }
                            throw new Malformed(
                                    "malformed node or string: name '" + tok.text + "' at character " + tok.at);
                        default:
                            throw new Malformed(
                                    "malformed node or string: name '" + tok.text + "' at character " + tok.at);
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
            if (isOp(")")) {
                k++;
                return new Tuple(items);
            }
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
            if (isOp("}")) {
                k++;
                kind = Kind.OTHER;
                return new LinkedHashMap<Object, Object>();
            }
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
            if (o instanceof List || o instanceof Map || o instanceof Set)
                throw new Malformed("unhashable type (a list, dict or set as a key or set element)");
            if (o instanceof Tuple) for (Object x : ((Tuple) o).items) requireHashable(x);
        }
    }

    // ------------------------------------------------------------------------------------------------ numpy's
    // _filter_header

    /**
     * numpy's {@code _filter_header}: CPython 3.11's pure-Python {@code tokenize.generate_tokens} over the text (lines
     * split at '\n' only, as a StringIO reads them), the NAME tokens 'L' that follow a NUMBER dropped (the last token
     * kept decides, so '3L L' loses both), then {@code tokenize.untokenize}, which rebuilds the text from token
     * positions: gaps within a line become spaces, a change of line without a newline token becomes a backslash and a
     * newline, and a whitespace-only last line is gone. tokenize's own errors (EOF inside a bracket or a string, a bad
     * dedent) and untokenize's are errors here too, as np.load lets them through.
     */
    static final class Python2Filter {
        private static final int NUMBER = 0,
                NAME = 1,
                STRING = 2,
                OP = 3,
                NEWLINE = 4,
                NL = 5,
                COMMENT = 6,
                INDENT = 7,
                DEDENT = 8,
                ERRORTOKEN = 9,
                ENDMARKER = 10;
        private static final int TABSIZE = 8;
        /** tokenize's string prefixes, the empty one last. */
        private static final String PREFIX = "(?:BR|Br|FR|Fr|RB|RF|Rb|Rf|bR|br|fR|fr|rB|rF|rb|rf|B|F|R|U|b|f|r|u|)";
        /**
         * The rest of a string after its opening quote(s): tokenize's Single, Double, Single3 and Double3. Repeated
         * groups are possessive, which matches the same (giving back never helps these) without a stack frame for
         * each repetition, as a long string or number would need in java.util.regex.
         */
        private static final Pattern SINGLE = compile("[^'\\\\]*+(?:\\\\.[^'\\\\]*+)*+'"),
                DOUBLE = compile("[^\"\\\\]*+(?:\\\\.[^\"\\\\]*+)*+\""),
                SINGLE3 = compile("[^'\\\\]*+(?:(?:\\\\.|'(?!''))[^'\\\\]*+)*+'''"),
                DOUBLE3 = compile("[^\"\\\\]*+(?:(?:\\\\.|\"(?!\"\"))[^\"\\\\]*+)*+\"\"\"");

        private static final Pattern PREFIXED_QUOTE = compile(PREFIX + "['\"]"),
                PREFIXED_TRIPLE = compile(PREFIX + "(?:'''|\"\"\")");
        /** tokenize's PseudoToken: whitespace, then the token as group 1. */
        private static final Pattern PSEUDO;

        static {
            String digits = "[0-9](?:_?[0-9])*+";
            String hex = "0[xX](?:_?[0-9a-fA-F])++", bin = "0[bB](?:_?[01])++", oct = "0[oO](?:_?[0-7])++";
            String dec = "(?:0(?:_?0)*+|[1-9](?:_?[0-9])*+)";
            String exponent = "[eE][-+]?" + digits;
            String pointFloat = "(?:" + digits + "\\.(?:" + digits + ")?|\\." + digits + ")(?:" + exponent + ")?";
            String floatNumber = "(?:" + pointFloat + "|" + digits + exponent + ")";
            String imag = "(?:" + digits + "[jJ]|" + floatNumber + "[jJ])";
            String number = "(?:" + imag + "|" + floatNumber + "|" + hex + "|" + bin + "|" + oct + "|" + dec + ")";
            // EXACT_TOKEN_TYPES sorted in reverse, as tokenize orders them
            StringBuilder special = new StringBuilder();
            for (String op :
                    "~ } |= | { ^= ^ ] [ @= @ >>= >> >= > == = <= <<= << < ; := : /= //= // / ... . -> -= - , += + *= **= ** * ) ( &= & %= % !="
                            .split(" ")) {
                special.append(special.length() == 0 ? "" : "|").append(Pattern.quote(op));
            }
            String funny = "(?:\\r?\\n|" + special + ")";
            // ContStr; an escaped '\r' before '\n' is left to the continuation, where re would backtrack to it
            String escape = "\\\\(?:\\r(?!\\n)|[^\\n\\r])";
            String contStr = "(?:" + PREFIX + "'[^\\n'\\\\]*+(?:" + escape + "[^\\n'\\\\]*+)*+(?:'|\\\\\\r?\\n)|"
                    + PREFIX + "\"[^\\n\"\\\\]*+(?:" + escape + "[^\\n\"\\\\]*+)*+(?:\"|\\\\\\r?\\n))";
            String extras = "(?:\\\\\\r?\\n|\\z|#[^\\r\\n]*|" + PREFIX + "'''|" + PREFIX + "\"\"\")";
            String name = "[\\p{L}\\p{N}_]+"; // re's \w: str.isalnum() or '_'
            PSEUDO = compile("[ \\f\\t]*(" + extras + "|" + number + "|" + funny + "|" + contStr + "|" + name + ")");
        }

        /** '.' stops at '\n' only, as in Python's re. */
        private static Pattern compile(String re) {
            return Pattern.compile(re, Pattern.UNIX_LINES);
        }

        private static final class Tok {
            final int type, srow, scol, erow, ecol;
            final String text;

            Tok(int type, String text, int srow, int scol, int erow, int ecol) {
                this.type = type;
                this.text = text;
                this.srow = srow;
                this.scol = scol;
                this.erow = erow;
                this.ecol = ecol;
            }
        }

        private Python2Filter() {}

        static String filter(String text) throws Malformed {
            List<Tok> kept = new ArrayList<>();
            boolean lastWasNumber = false;
            for (Tok t : tokenize(text)) {
                if (lastWasNumber && t.type == NAME && t.text.equals("L")) continue;
                kept.add(t);
                lastWasNumber = t.type == NUMBER;
            }
            return untokenize(kept);
        }

        private static Malformed tokenizeError(String what) {
            return new Malformed(what + " (Python's tokenize, in numpy's Python 2 filter)");
        }

        /** tokenize._tokenize with a readline over {@code text}. */
        private static List<Tok> tokenize(String text) throws Malformed {
            List<String> lines = new ArrayList<>();
            for (int at = 0; at < text.length(); ) {
                int nl = text.indexOf('\n', at);
                int end = nl < 0 ? text.length() : nl + 1;
                lines.add(text.substring(at, end));
                at = end;
            }
            List<Tok> out = new ArrayList<>();
            int lnum = 0, parenlev = 0, next = 0, strRow = 0, strCol = 0;
            boolean continued = false, needcont = false;
            String contstr = null;
            Pattern endprog = null;
            List<Integer> indents = new ArrayList<>(List.of(0));
            String line = "", lastLine;
            while (true) {
                lastLine = line;
                line = next < lines.size() ? lines.get(next++) : "";
                lnum++;
                int pos = 0, max = line.length();
                if (contstr != null) { // inside a string that began on an earlier line
                    if (line.isEmpty()) throw tokenizeError("EOF in multi-line string");
                    Matcher m = endprog.matcher(line);
                    if (m.lookingAt()) {
                        pos = m.end();
                        out.add(new Tok(STRING, contstr + line.substring(0, pos), strRow, strCol, lnum, pos));
                        contstr = null;
                        needcont = false;
                    } else if (needcont && !line.endsWith("\\\n") && !line.endsWith("\\\r\n")) {
                        out.add(new Tok(ERRORTOKEN, contstr + line, strRow, strCol, lnum, line.length()));
                        contstr = null;
                        continue;
                    } else {
                        contstr = contstr + line;
                        continue;
                    }
                } else if (parenlev == 0 && !continued) { // a new statement
                    if (line.isEmpty()) break;
                    int column = 0;
                    for (; pos < max; pos++) {
                        char c = line.charAt(pos);
                        if (c == ' ') column++;
                        else if (c == '\t') column = (column / TABSIZE + 1) * TABSIZE;
                        else if (c == '\f') column = 0;
                        else break;
                    }
                    if (pos == max) break; // a last line of only whitespace ends the input
                    char c = line.charAt(pos);
                    if (c == '#' || c == '\r' || c == '\n') { // a comment or blank line
                        if (c == '#') {
                            String comment = stripTrailing(line.substring(pos));
                            out.add(new Tok(COMMENT, comment, lnum, pos, lnum, pos + comment.length()));
                            pos += comment.length();
                        }
                        out.add(new Tok(NL, line.substring(pos), lnum, pos, lnum, line.length()));
                        continue;
                    }
                    if (column > indents.get(indents.size() - 1)) {
                        indents.add(column);
                        out.add(new Tok(INDENT, line.substring(0, pos), lnum, 0, lnum, pos));
                    }
                    while (column < indents.get(indents.size() - 1)) {
                        if (!indents.contains(column))
                            throw tokenizeError("unindent does not match any outer indentation level");
                        indents.remove(indents.size() - 1);
                        out.add(new Tok(DEDENT, "", lnum, pos, lnum, pos));
                    }
                } else { // a continued statement
                    if (line.isEmpty()) throw tokenizeError("EOF in multi-line statement");
                    continued = false;
                }
                while (pos < max) {
                    Matcher m = PSEUDO.matcher(line).region(pos, max);
                    if (!m.lookingAt()) {
                        int n = Character.charCount(line.codePointAt(pos));
                        out.add(new Tok(ERRORTOKEN, line.substring(pos, pos + n), lnum, pos, lnum, pos + n));
                        pos += n;
                        continue;
                    }
                    int start = m.start(1), end = m.end(1);
                    pos = end;
                    if (start == end) continue;
                    String token = line.substring(start, end);
                    char initial = line.charAt(start);
                    if ((initial >= '0' && initial <= '9')
                            || (initial == '.' && !token.equals(".") && !token.equals("..."))) {
                        out.add(new Tok(NUMBER, token, lnum, start, lnum, end));
                    } else if (initial == '\r' || initial == '\n') {
                        out.add(new Tok(parenlev > 0 ? NL : NEWLINE, token, lnum, start, lnum, end));
                    } else if (initial == '#') {
                        out.add(new Tok(COMMENT, token, lnum, start, lnum, end));
                    } else if (PREFIXED_TRIPLE.matcher(token).matches()) {
                        endprog = token.endsWith("'''") ? SINGLE3 : DOUBLE3;
                        Matcher e = endprog.matcher(line).region(pos, max);
                        if (e.lookingAt()) { // all on one line
                            pos = e.end();
                            out.add(new Tok(STRING, line.substring(start, pos), lnum, start, lnum, pos));
                        } else {
                            strRow = lnum;
                            strCol = start;
                            contstr = line.substring(start);
                            break;
                        }
                    } else if (startsString(token)) {
                        if (token.charAt(token.length() - 1) == '\n') { // continued on the next line
                            strRow = lnum;
                            strCol = start;
                            endprog = token.charAt(firstQuote(token)) == '\'' ? SINGLE : DOUBLE;
                            contstr = line.substring(start);
                            needcont = true;
                            break;
                        }
                        out.add(new Tok(STRING, token, lnum, start, lnum, end));
                    } else if (isIdentifierStart(line.codePointAt(start))) {
                        out.add(new Tok(NAME, token, lnum, start, lnum, end));
                    } else if (initial == '\\') {
                        continued = true;
                    } else {
                        if ("([{".indexOf(initial) >= 0) parenlev++;
                        else if (")]}".indexOf(initial) >= 0) parenlev--;
                        out.add(new Tok(OP, token, lnum, start, lnum, end));
                    }
                }
            }
            // an implicit NEWLINE if the input does not end in one
            if (!lastLine.isEmpty()
                    && "\r\n".indexOf(lastLine.charAt(lastLine.length() - 1)) < 0
                    && !pyStrip(lastLine).startsWith("#")) {
                out.add(new Tok(NEWLINE, "", lnum - 1, lastLine.length(), lnum - 1, lastLine.length() + 1));
            }
            for (int k = 1; k < indents.size(); k++) out.add(new Tok(DEDENT, "", lnum, 0, lnum, 0));
            out.add(new Tok(ENDMARKER, "", lnum, 0, lnum, 0));
            return out;
        }

        /** "initial in single_quoted or token[:2] in single_quoted or token[:3] in single_quoted". */
        private static boolean startsString(String token) {
            for (int n = 1; n <= 3 && n <= token.length(); n++) {
                if (PREFIXED_QUOTE.matcher(token.substring(0, n)).matches()) return true;
            }
            return false;
        }

        private static int firstQuote(String token) {
            for (int k = 0; ; k++) if (token.charAt(k) == '\'' || token.charAt(k) == '"') return k;
        }

        /** str.isidentifier() of one character. */
        private static boolean isIdentifierStart(int cp) {
            return cp == '_' || Character.isUnicodeIdentifierStart(cp);
        }

        /** rstrip('\r\n'). */
        private static String stripTrailing(String s) {
            int e = s.length();
            while (e > 0 && (s.charAt(e - 1) == '\r' || s.charAt(e - 1) == '\n')) e--;
            return s.substring(0, e);
        }

        /** str.strip(), with Python's whitespace, which is not Java's. */
        private static String pyStrip(String s) {
            int b = 0, e = s.length();
            while (b < e && isPySpace(s.charAt(b))) b++;
            while (e > b && isPySpace(s.charAt(e - 1))) e--;
            return s.substring(b, e);
        }

        private static boolean isPySpace(char c) {
            return (c >= '\t' && c <= '\r')
                    || (c >= 0x1c && c <= 0x20)
                    || c == 0x85
                    || c == 0xa0
                    || c == 0x1680
                    || (c >= 0x2000 && c <= 0x200a)
                    || c == 0x2028
                    || c == 0x2029
                    || c == 0x202f
                    || c == 0x205f
                    || c == 0x3000;
        }

        /** Untokenizer.untokenize over full tokens (with positions). */
        private static String untokenize(List<Tok> toks) throws Malformed {
            StringBuilder out = new StringBuilder();
            List<String> indents = new ArrayList<>();
            boolean startline = false;
            int prevRow = 1, prevCol = 0;
            for (Tok t : toks) {
                if (t.type == ENDMARKER) break;
                if (t.type == INDENT) {
                    indents.add(t.text);
                    continue;
                }
                if (t.type == DEDENT) {
                    indents.remove(indents.size() - 1);
                    prevRow = t.erow;
                    prevCol = t.ecol;
                    continue;
                }
                if (t.type == NEWLINE || t.type == NL) {
                    startline = true;
                } else if (startline && !indents.isEmpty()) {
                    String indent = indents.get(indents.size() - 1);
                    if (t.scol >= indent.length()) {
                        out.append(indent);
                        prevCol = indent.length();
                    }
                    startline = false;
                }
                if (t.srow < prevRow || (t.srow == prevRow && t.scol < prevCol)) { // add_whitespace
                    throw new Malformed("untokenize: start (" + t.srow + "," + t.scol + ") precedes previous end ("
                            + prevRow + "," + prevCol + ")");
                }
                if (t.srow > prevRow) {
                    out.append("\\\n".repeat(t.srow - prevRow));
                    prevCol = 0;
                }
                out.append(" ".repeat(t.scol - prevCol)).append(t.text);
                prevRow = t.erow;
                prevCol = t.ecol;
                if (t.type == NEWLINE || t.type == NL) {
                    prevRow++;
                    prevCol = 0;
                }
            }
            return out.toString();
        }
    }
}
