package dev.xent.spark;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.functions;

/**
 * A DataFrame's two columns as Spark's internal rows, read straight into primitive arrays.
 *
 * <p>Why not a public row type: Spark 4's encoders (bean, {@code Row}, Scala product alike) turn an array column into
 * Java objects element by element through a boxed {@code Float} (its deserializer maps each element, then unboxes the
 * result), which costs several times the Parquet decoding itself. The internal row's array copies out in one move
 * ({@link ArrayData#toFloatArray()}). {@code Dataset.queryExecution().toRdd()} is a developer API ({@code @DeveloperApi
 * @Unstable}) that Spark's own data sources and connectors use for this; its rows may be reused by the next
 * {@code next()}, so a task copies what it needs out of each row before reading the next one.
 */
final class Samples {
    private Samples() {}

    /** The rows of {@code data} as (logits, target): the target cast to long, or to an array of the logits' element type. */
    static JavaRDD<InternalRow> of(Dataset<Row> data, String logits, String target, XentSpark.Columns cols) {
        String elem = cols.f64 ? "double" : "float";
        Dataset<Row> two = data.select(
                functions.col(logits).as("logits"),
                functions
                        .col(target)
                        .cast(cols.probabilities ? "array<" + elem + ">" : "long")
                        .as("target"));
        return two.queryExecution().toRdd().toJavaRDD();
    }

    /**
     * The index of the first null element of {@code a}, copied out as {@code v}, or -1. Spark stores a null element of a
     * primitive array as zero (its array writer zeroes the slot; a generic array unboxes null to zero), so only the
     * zeros need asking: the scan costs a float compare per element rather than a null-bit lookup.
     */
    static int firstNull(ArrayData a, float[] v) {
        for (int k = 0; k < v.length; k++) if (v[k] == 0 && a.isNullAt(k)) return k;
        return -1;
    }

    /** {@link #firstNull(ArrayData, float[])} of a double array. */
    static int firstNull(ArrayData a, double[] v) {
        for (int k = 0; k < v.length; k++) if (v[k] == 0 && a.isNullAt(k)) return k;
        return -1;
    }

    /** {@code a}'s elements as a float[] or double[]. */
    static Object values(ArrayData a, boolean f64) {
        return f64 ? a.toDoubleArray() : a.toFloatArray();
    }

    /** The first null element of {@code a}, copied out as {@code v} (a float[] or double[]), or -1. */
    static int firstNull(ArrayData a, Object v) {
        return v instanceof float[] ? firstNull(a, (float[]) v) : firstNull(a, (double[]) v);
    }
}
