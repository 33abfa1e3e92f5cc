package dev.xent.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal JSON object writer for the command line's one-line reports (and the Spark command's, which must match them);
 * non-finite numbers become "NaN", "Infinity", "-Infinity".
 */
public final class Json {
    private final Map<String, Object> fields = new LinkedHashMap<>();

    /**
     * Adds a field; a key put again keeps its first place and takes the new value.
     *
     * @param key the field's name
     * @param value null, a Boolean, a Number (Double and Float non-finite as strings), a Json, a Map, a List, or
     *     anything else, written as the string of its toString()
     * @return this object
     */
    public Json put(String key, Object value) {
        fields.put(key, value);
        return this;
    }

    @Override
    public String toString() {
        return write(fields);
    }

    static String write(Object v) {
        if (v == null) return "null";
        if (v instanceof Json) return v.toString();
        if (v instanceof Boolean) return v.toString();
        if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (Double.isNaN(d)) return "\"NaN\"";
            if (Double.isInfinite(d)) return d > 0 ? "\"Infinity\"" : "\"-Infinity\"";
            return Double.toString(d);
        }
        if (v instanceof Number) return v.toString();
        if (v instanceof Map) {
            StringBuilder b = new StringBuilder("{");
            boolean first = true;
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                if (!first) b.append(", ");
                first = false;
                b.append(quote(e.getKey().toString())).append(": ").append(write(e.getValue()));
            }
            return b.append('}').toString();
        }
        if (v instanceof List) {
            StringBuilder b = new StringBuilder("[");
            List<?> l = (List<?>) v;
            for (int i = 0; i < l.size(); i++) b.append(i == 0 ? "" : ", ").append(write(l.get(i)));
            return b.append(']').toString();
        }
        return quote(v.toString());
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"':
                    b.append("\\\"");
                    break;
                case '\\':
                    b.append("\\\\");
                    break;
                case '\n':
                    b.append("\\n");
                    break;
                case '\r':
                    b.append("\\r");
                    break;
                case '\t':
                    b.append("\\t");
                    break;
                default:
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
