package dev.xent.spark;

import dev.xent.Tensor;
import dev.xent.io.ArraySource;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Writes (N, C) float32 logits and (N) class targets, given as xent eval takes them (shards, globs), as a Parquet
 * table of rows {@code {logits: array<float>, target: long}}, the executors reading the shards:
 * {@code ParquetFromShards MASTER LOGITS TARGETS OUT_DIR [PARTITIONS]} (each spec one file or quoted glob).
 */
public final class ParquetFromShards {
    private ParquetFromShards() {}

    /**
     * Writes the table.
     *
     * @param args MASTER LOGITS TARGETS OUT_DIR [PARTITIONS]: the Spark master URL, the two specs, the output
     *     directory (Spark's default parallelism when PARTITIONS is not given)
     * @throws IllegalArgumentException for fewer than four arguments
     */
    public static void main(String[] args) {
        if (args.length < 4)
            throw new IllegalArgumentException("ParquetFromShards MASTER LOGITS TARGETS OUT_DIR [PARTITIONS]");
        SparkSession spark = SparkSession.builder()
                .master(args[0])
                .appName("xent-parquet")
                .config("spark.ui.enabled", "false")
                .getOrCreate();
        try {
            XentSpark.Shards xs = XentSpark.Shards.of("logits", ArraySource.resolve(args[1])),
                    ts = XentSpark.Shards.of("targets", ArraySource.resolve(args[2]));
            int p = args.length > 4
                    ? Integer.parseInt(args[4])
                    : spark.sparkContext().defaultParallelism();
            List<Integer> ids = new ArrayList<>();
            for (int i = 0; i < p; i++) ids.add(i);
            long n = xs.rows;
            JavaRDD<Row> rows = JavaSparkContext.fromSparkContext(spark.sparkContext())
                    .parallelize(ids, p)
                    .flatMap(i -> {
                        long lo = n * i / p, hi = n * (i + 1) / p;
                        Tensor x = xs.rows(lo, hi), t = ts.rows(lo, hi);
                        int c = (int) x.dim(1);
                        return new Iterator<Row>() {
                            long r = 0;

                            @Override
                            public boolean hasNext() {
                                return r < hi - lo;
                            }

                            @Override
                            public Row next() {
                                float[] v = new float[c];
                                x.readFloats(r * c, 1, v, 0, c);
                                Float[] boxed = new Float[c];
                                for (int k = 0; k < c; k++) boxed[k] = v[k];
                                return RowFactory.create(boxed, t.getLong(r++));
                            }
                        };
                    });
            StructType schema = new StructType()
                    .add("logits", DataTypes.createArrayType(DataTypes.FloatType, false), false)
                    .add("target", DataTypes.LongType, false);
            spark.createDataFrame(rows, schema).write().mode("overwrite").parquet(args[3]);
        } finally {
            spark.stop();
        }
    }
}
