package dev.xent.spark;

import java.io.Serializable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * A DataFrame's two columns as typed rows whose arrays decode straight into primitive arrays (Spark's bean encoders),
 * rather than rows of boxed numbers: the difference is most of a Parquet job's time.
 */
final class Samples {
    private Samples() {}

    /** One row: logits and a class or probabilities. */
    interface Sample {
        Object logits();

        Object target();
    }

    /** The rows of {@code data} as samples of the kind {@code cols} found. */
    static Dataset<? extends Sample> of(Dataset<Row> data, String logits, String target, XentSpark.Columns cols) {
        String elem = cols.f64 ? "double" : "float";
        Dataset<Row> two = data.select(functions.col(logits).as("logits"),
                functions.col(target).cast(cols.probabilities ? "array<" + elem + ">" : "long").as("target"));
        if (cols.probabilities) return cols.f64 ? two.as(Encoders.bean(F64Prob.class)) : two.as(Encoders.bean(F32Prob.class));
        return cols.f64 ? two.as(Encoders.bean(F64Class.class)) : two.as(Encoders.bean(F32Class.class));
    }

    /** float32 logits, a class. */
    public static final class F32Class implements Sample, Serializable {
        private static final long serialVersionUID = 1L;
        private float[] logits;
        private Long target;

        public float[] getLogits() { return logits; }

        public void setLogits(float[] v) { logits = v; }

        public Long getTarget() { return target; }

        public void setTarget(Long v) { target = v; }

        @Override public Object logits() { return logits; }

        @Override public Object target() { return target; }
    }

    /** float64 logits, a class. */
    public static final class F64Class implements Sample, Serializable {
        private static final long serialVersionUID = 1L;
        private double[] logits;
        private Long target;

        public double[] getLogits() { return logits; }

        public void setLogits(double[] v) { logits = v; }

        public Long getTarget() { return target; }

        public void setTarget(Long v) { target = v; }

        @Override public Object logits() { return logits; }

        @Override public Object target() { return target; }
    }

    /** float32 logits and probabilities. */
    public static final class F32Prob implements Sample, Serializable {
        private static final long serialVersionUID = 1L;
        private float[] logits, target;

        public float[] getLogits() { return logits; }

        public void setLogits(float[] v) { logits = v; }

        public float[] getTarget() { return target; }

        public void setTarget(float[] v) { target = v; }

        @Override public Object logits() { return logits; }

        @Override public Object target() { return target; }
    }

    /** float64 logits and probabilities. */
    public static final class F64Prob implements Sample, Serializable {
        private static final long serialVersionUID = 1L;
        private double[] logits, target;

        public double[] getLogits() { return logits; }

        public void setLogits(double[] v) { logits = v; }

        public double[] getTarget() { return target; }

        public void setTarget(double[] v) { target = v; }

        @Override public Object logits() { return logits; }

        @Override public Object target() { return target; }
    }
}
