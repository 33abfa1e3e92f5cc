package dev.xent.io;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict JSON reader (RFC 8259, as serde_json reads a safetensors header): objects become {@link Map} (insertion
 * order; a repeated key is an error, since a header with two entries of one name is ambiguous), arrays {@link List},
 * strings {@link String}, integers {@link BigInteger}, other numbers {@link Double}, true/false {@link Boolean}, null
 * {@link #NULL}. Nesting is limited, so hostile input cannot exhaust the stack.
 */
public final class JsonValue {
    /** The value of a JSON {@code null} (a map cannot hold Java's null as a present value). */
    public static final Object NULL = new Object();

    private static final int MAX_DEPTH = 128;

    private final String s;
    private int i;

    private JsonValue(String s) {
        this.s = s;
    }

    /**
     * Parses a whole document; only whitespace may follow the value.
     *
     * @param text the JSON text
     * @return the value, typed as the class comment says
     * @throws PyLiteral.Malformed where the text is not one JSON value
     */
    public static Object parse(String text) throws PyLiteral.Malformed {
        JsonValue p = new JsonValue(text);
        p.space();
        Object v = p.value(0);
        p.space();
        if (p.i != text.length()) throw p.error("trailing characters");
        return v;
    }

    private PyLiteral.Malformed error(String what) {
        return new PyLiteral.Malformed(what + " at character " + i);
    }

    private void space() {
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
            i++;
        }
    }

    private Object value(int depth) throws PyLiteral.Malformed {
        if (depth > MAX_DEPTH) throw error("nesting too deep");
        if (i >= s.length()) throw error("unexpected end");
        char c = s.charAt(i);
        switch (c) {
            case '{':
                return object(depth);
            case '[':
                return array(depth);
            case '"':
                return string();
            case 't':
                return word("true", Boolean.TRUE);
            case 'f':
                return word("false", Boolean.FALSE);
            case 'n':
                return word("null", NULL);
            default:
                if (c == '-' || (c >= '0' && c <= '9')) return number();
                throw error("unexpected character '" + c + "'");
        }
    }

    private Object word(String w, Object v) throws PyLiteral.Malformed {
        if (!s.startsWith(w, i)) throw error("invalid literal");
        i += w.length();
        return v;
    }

    private Map<String, Object> object(int depth) throws PyLiteral.Malformed {
        i++;
        Map<String, Object> m = new LinkedHashMap<>();
        space();
        if (i < s.length() && s.charAt(i) == '}') {
            i++;
            return m;
        }
        while (true) {
            space();
            if (i >= s.length() || s.charAt(i) != '"') throw error("expected a string key");
            String k = string();
            space();
            if (i >= s.length() || s.charAt(i) != ':') throw error("expected ':'");
            i++;
            space();
            Object v = value(depth + 1);
            if (m.put(k, v) != null) throw error("duplicate key \"" + k + "\"");
            space();
            if (i < s.length() && s.charAt(i) == ',') {
                i++;
                continue;
            }
            if (i < s.length() && s.charAt(i) == '}') {
                i++;
                return m;
            }
            throw error("expected ',' or '}'");
        }
    }

    private List<Object> array(int depth) throws PyLiteral.Malformed {
        i++;
        List<Object> a = new ArrayList<>();
        space();
        if (i < s.length() && s.charAt(i) == ']') {
            i++;
            return a;
        }
        while (true) {
            space();
            a.add(value(depth + 1));
            space();
            if (i < s.length() && s.charAt(i) == ',') {
                i++;
                continue;
            }
            if (i < s.length() && s.charAt(i) == ']') {
                i++;
                return a;
            }
            throw error("expected ',' or ']'");
        }
    }

    private String string() throws PyLiteral.Malformed {
        i++;
        StringBuilder b = new StringBuilder();
        while (true) {
            if (i >= s.length()) throw error("unterminated string");
            char c = s.charAt(i++);
            if (c == '"') return b.toString();
            if (c < 0x20) throw error("control character in string");
            if (c != '\\') {
                b.append(c);
                continue;
            }
            if (i >= s.length()) throw error("unterminated string");
            char e = s.charAt(i++);
            switch (e) {
                case '"':
                    b.append('"');
                    break;
                case '\\':
                    b.append('\\');
                    break;
                case '/':
                    b.append('/');
                    break;
                case 'b':
                    b.append('\b');
                    break;
                case 'f':
                    b.append('\f');
                    break;
                case 'n':
                    b.append('\n');
                    break;
                case 'r':
                    b.append('\r');
                    break;
                case 't':
                    b.append('\t');
                    break;
                case 'u': {
                    char c1 = hex4();
                    // UTF-16 escapes: a surrogate must come in a high-low pair (serde_json refuses a lone one)
                    if (Character.isLowSurrogate(c1)) throw error("lone surrogate in \\u escape");
                    if (Character.isHighSurrogate(c1)) {
                        if (!s.startsWith("\\u", i)) throw error("lone surrogate in \\u escape");
                        i += 2;
                        char c2 = hex4();
                        if (!Character.isLowSurrogate(c2)) throw error("lone surrogate in \\u escape");
                        b.append(c1);
                        c1 = c2;
                    }
                    b.append(c1);
                    break;
                }
                default:
                    throw error("bad escape \\" + e);
            }
        }
    }

    /** Four hex digits of a \\u escape: ASCII only (Character.digit would take other scripts' digits too). */
    private char hex4() throws PyLiteral.Malformed {
        if (i + 4 > s.length()) throw error("truncated \\u escape");
        int v = 0;
        for (int k = 0; k < 4; k++) {
            char c = s.charAt(i + k);
            int d = c >= '0' && c <= '9'
                    ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (d < 0) throw error("bad \\u escape");
            v = v * 16 + d;
        }
        i += 4;
        return (char) v;
    }

    private Object number() throws PyLiteral.Malformed {
        int start = i;
        if (s.charAt(i) == '-') i++;
        if (i >= s.length()) throw error("bad number");
        if (s.charAt(i) == '0') i++;
        else if (s.charAt(i) >= '1' && s.charAt(i) <= '9')
            while (i < s.length() && Character.isDigit(s.charAt(i)) && s.charAt(i) < 0x80) i++;
        else throw error("bad number");
        boolean integer = true;
        if (i < s.length() && s.charAt(i) == '.') {
            integer = false;
            i++;
            int d = i;
            while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') i++;
            if (i == d) throw error("bad number");
        }
        if (i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            integer = false;
            i++;
            if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) i++;
            int d = i;
            while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') i++;
            if (i == d) throw error("bad number");
        }
        String t = s.substring(start, i);
        return integer ? (Object) new BigInteger(t) : (Object) Double.parseDouble(t);
    }
}
