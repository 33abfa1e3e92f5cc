package dev.xent.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.InvalidInputException;
import dev.xent.LossKind;
import dev.xent.LossResult;
import dev.xent.LossSpec;
import dev.xent.Outputs;
import dev.xent.Reduction;
import dev.xent.Tensor;
import dev.xent.Xent;
import dev.xent.cpu.CpuBackend;
import dev.xent.io.Npy;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Random;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark job in local mode (2 threads, up to 3 attempts a task) against the core library on the same rows, bit for
 * bit: Parquet written by Spark itself, .npy shards, 1, 3 and 7 partitions, a failed first attempt of every task, bad
 * targets and missing shards.
 */
class XentSparkTest {
    static SparkSession spark;

    @TempDir
    static Path dir;

    static final int N = 3001, C = 37;
    static float[] logits;
    static long[] targets;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder()
                .master("local[2,3]")
                .appName("xent-test")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .getOrCreate();
        Random r = new Random(13);
        logits = new float[N * C];
        for (int i = 0; i < logits.length; i++)
            logits[i] = (float) (r.nextGaussian() * 3 + (r.nextInt(C) == 0 ? 9 : 0));
        targets = new long[N];
        for (int i = 0; i < N; i++) targets[i] = r.nextInt(9) == 0 ? -100 : r.nextInt(C);
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static Dataset<Row> frame(long[] y) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            Float[] x = new Float[C];
            for (int k = 0; k < C; k++) x[k] = logits[i * C + k];
            rows.add(RowFactory.create(x, y[i]));
        }
        StructType schema = new StructType()
                .add("logits", DataTypes.createArrayType(DataTypes.FloatType, false), false)
                .add("target", DataTypes.LongType, false);
        return spark.createDataFrame(rows, schema);
    }

    /** The same rows through the core, in one process. */
    private static LossResult core(LossSpec spec, Outputs outs) {
        try (Xent x = Xent.on(new CpuBackend(2, true))) {
            return x.loss(LossKind.CROSS_ENTROPY, Tensor.of(logits, N, C), Tensor.of(targets, N), spec, outs, null);
        }
    }

    private static void sameBits(String what, LossResult want, LossResult got) {
        assertEquals(
                Double.doubleToLongBits(want.value()),
                Double.doubleToLongBits(got.value()),
                what + " loss: " + want.value() + " vs " + got.value());
        assertEquals(Double.doubleToLongBits(want.weightSum()), Double.doubleToLongBits(got.weightSum()), what + " W");
        assertEquals(
                Double.doubleToLongBits(want.accuracy()), Double.doubleToLongBits(got.accuracy()), what + " accuracy");
        assertEquals(
                Double.doubleToLongBits(want.topkAccuracy()),
                Double.doubleToLongBits(got.topkAccuracy()),
                what + " top-k");
        assertEquals(Double.doubleToLongBits(want.zLoss()), Double.doubleToLongBits(got.zLoss()), what + " z-loss");
    }

    static List<LossSpec> specs() {
        float[] w = new float[C];
        for (int k = 0; k < C; k++) w[k] = 0.25f + (k % 7) * 0.5f;
        return List.of(
                LossSpec.DEFAULT,
                LossSpec.builder().reduction(Reduction.SUM).build(),
                LossSpec.builder().weights(w).labelSmoothing(0.1).build(),
                LossSpec.builder().zLossScale(1e-3).build());
    }

    @Test
    void parquetWrittenBySparkGivesTheCoreBitsForAnyPartitioning() {
        String path = dir.resolve("rows.parquet").toString();
        frame(targets).write().mode("overwrite").parquet(path);
        Dataset<Row> table = spark.read().parquet(path);
        Outputs outs = Outputs.builder().topK(3).build();
        for (LossSpec spec : specs()) {
            LossResult want = core(spec, outs);
            for (int parts : new int[] {1, 3, 7}) {
                SparkLossResult got = XentSpark.crossEntropy(table.repartition(parts), "logits", "target", spec, outs);
                sameBits(spec + ", " + parts + " partitions", want, got.result());
                assertEquals(parts, got.partitions());
            }
        }
    }

    /** A Parquet table of {@code rows} under {@code schema}, written by Spark and read back (every column nullable then). */
    private static Dataset<Row> parquet(String name, List<Row> rows, StructType schema) {
        String path = dir.resolve(name).toString();
        spark.createDataFrame(rows, schema).write().mode("overwrite").parquet(path);
        return spark.read().parquet(path);
    }

    @Test
    void float64LogitsAndProbabilityTargetsGiveTheCoreBits() {
        double[] x64 = new double[N * C];
        float[] probs = new float[N * C];
        Random r = new Random(7);
        List<Row> f64 = new ArrayList<>(), prob = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            Double[] d = new Double[C];
            Float[] x = new Float[C], p = new Float[C];
            for (int k = 0; k < C; k++) {
                d[k] = x64[i * C + k] = logits[i * C + k] * (1 + 1e-9 * k);
                x[k] = logits[i * C + k];
                p[k] = probs[i * C + k] = r.nextFloat() / C;
            }
            f64.add(RowFactory.create(d, targets[i]));
            prob.add(RowFactory.create(x, p));
        }
        Dataset<Row> t64 = parquet(
                "f64.parquet",
                f64,
                new StructType()
                        .add("logits", DataTypes.createArrayType(DataTypes.DoubleType))
                        .add("target", DataTypes.LongType));
        Dataset<Row> tp = parquet(
                "prob.parquet",
                prob,
                new StructType()
                        .add("logits", DataTypes.createArrayType(DataTypes.FloatType))
                        .add("target", DataTypes.createArrayType(DataTypes.FloatType)));
        for (LossSpec spec : specs()) {
            LossResult want64, wantP;
            try (Xent x = Xent.on(new CpuBackend(2, true))) {
                want64 = x.loss(
                        LossKind.CROSS_ENTROPY,
                        Tensor.of(x64, N, C),
                        Tensor.of(targets, N),
                        spec,
                        Outputs.LOSS_ONLY,
                        null);
                wantP = x.loss(
                        LossKind.CROSS_ENTROPY,
                        Tensor.of(logits, N, C),
                        Tensor.of(probs, N, C),
                        spec,
                        Outputs.LOSS_ONLY,
                        null);
            }
            for (int parts : new int[] {1, 3}) {
                sameBits(
                        spec + ", float64, " + parts,
                        want64,
                        XentSpark.crossEntropy(t64.repartition(parts), "logits", "target", spec, Outputs.LOSS_ONLY)
                                .result());
                sameBits(
                        spec + ", probabilities, " + parts,
                        wantP,
                        XentSpark.crossEntropy(tp.repartition(parts), "logits", "target", spec, Outputs.LOSS_ONLY)
                                .result());
            }
        }
    }

    @Test
    void aNullAnywhereFailsTheJobNamingItsRow() {
        StructType schema = new StructType()
                .add("logits", DataTypes.createArrayType(DataTypes.FloatType))
                .add("target", DataTypes.LongType);
        String[] want = {
            "column logits: row %d is null",
            "column logits: row %d holds a null at element 5",
            "column target: row %d is null"
        };
        for (int kind = 0; kind < want.length; kind++) {
            List<Row> rows = new ArrayList<>();
            for (int i = 0; i < N; i++) {
                Float[] x = new Float[C];
                for (int k = 0; k < C; k++) x[k] = logits[i * C + k];
                if (i == 1234 && kind == 1) x[5] = null;
                rows.add(RowFactory.create(
                        i == 1234 && kind == 0 ? null : x, i == 1234 && kind == 2 ? null : targets[i]));
            }
            // numbered as the Dataset orders its rows (no shuffle, see the bad target's test): find the row that way
            Dataset<Row> df =
                    parquet("nulls-" + kind + ".parquet", rows, schema).coalesce(3);
            List<Row> order = df.select("logits", "target").collectAsList();
            int at = -1;
            for (int i = 0; i < order.size() && at < 0; i++) {
                Row o = order.get(i);
                if (o.isNullAt(0) || o.isNullAt(1) || o.getList(0).contains(null)) at = i;
            }
            assertTrue(at >= 0);
            InvalidInputException e = assertThrows(
                    InvalidInputException.class,
                    () -> XentSpark.crossEntropy(df, "logits", "target", LossSpec.DEFAULT, Outputs.LOSS_ONLY));
            assertEquals(String.format(want[kind], at), e.getMessage());
        }
    }

    @Test
    void npyShardsGiveTheBitsOfXentEvalOnTheConcatenation() throws Exception {
        int[] cuts = {0, 1000, 1001, 2500, N};
        for (int k = 0; k + 1 < cuts.length; k++) {
            Npy.write(dir.resolve("x-" + k + ".npy"), Tensor.of(logits, N, C).slice(cuts[k], cuts[k + 1]));
            Npy.write(dir.resolve("t-" + k + ".npy"), Tensor.of(targets, N).slice(cuts[k], cuts[k + 1]));
        }
        List<String> xs = List.of(dir.resolve("x-*.npy").toString()),
                ts = List.of(dir.resolve("t-*.npy").toString());
        for (LossSpec spec : specs()) {
            LossResult want = core(spec, Outputs.builder().topK(2).build());
            for (int parts : new int[] {1, 3, 7}) {
                SparkLossResult got = XentSpark.lossOfFiles(
                        spark,
                        LossKind.CROSS_ENTROPY,
                        xs,
                        ts,
                        parts,
                        spec,
                        Outputs.builder().topK(2).build(),
                        false);
                sameBits(spec + ", shards, " + parts + " partitions", want, got.result());
            }
        }
        // and the command on one machine, over the same shards, prints the same loss
        StringWriter o = new StringWriter(), e = new StringWriter();
        int code = dev.xent.cli.Main.run(
                new String[] {"eval", "--logits", xs.get(0), "--targets", ts.get(0), "--device", "cpu", "--json"},
                new PrintWriter(o),
                new PrintWriter(e));
        assertEquals(0, code, e.toString());
        SparkLossResult job = XentSpark.lossOfFiles(
                spark, LossKind.CROSS_ENTROPY, xs, ts, 5, LossSpec.DEFAULT, Outputs.LOSS_ONLY, false);
        assertTrue(
                o.toString().contains("\"loss\": " + job.result().value() + ","),
                o + " vs " + job.result().value());
    }

    @Test
    void aFailedFirstAttemptOfEveryTaskChangesNothing() {
        LossResult want =
                core(LossSpec.DEFAULT, Outputs.builder().accuracy(true).build());
        Dataset<Row> df = frame(targets).repartition(4);
        spark.sparkContext().setLocalProperty(XentSpark.FAIL_FIRST_ATTEMPT, "true");
        try {
            SparkLossResult got = XentSpark.crossEntropy(
                    df,
                    "logits",
                    "target",
                    LossSpec.DEFAULT,
                    Outputs.builder().accuracy(true).build());
            sameBits("after retries", want, got.result());
            assertEquals(4, got.tasks(), "one result per partition, whatever the attempts");
        } finally {
            spark.sparkContext().setLocalProperty(XentSpark.FAIL_FIRST_ATTEMPT, null);
        }
    }

    @Test
    void aBadTargetAnywhereFailsTheJobWithTheSingleMachineMessage() throws Exception {
        long[] y = targets.clone();
        y[2345] = 99;
        // rows are numbered as the Dataset orders them, partition by partition (a shuffle's order is not stable, so a
        // Dataset without one): find that position the same way
        Dataset<Row> df = frame(y).coalesce(3);
        List<Row> order = df.select("target").collectAsList();
        int at = -1;
        for (int i = 0; i < order.size() && at < 0; i++) if (order.get(i).getLong(0) == 99) at = i;
        assertTrue(at >= 0);
        InvalidInputException e = assertThrows(
                InvalidInputException.class,
                () -> XentSpark.crossEntropy(df, "logits", "target", LossSpec.DEFAULT, Outputs.LOSS_ONLY));
        assertEquals(
                "target[" + at + "] = 99 is not a valid class: expected 0 <= target < 37 or ignore_index -100",
                e.getMessage());
        Npy.write(dir.resolve("bx.npy"), Tensor.of(logits, N, C));
        Npy.write(dir.resolve("bt.npy"), Tensor.of(y, N));
        InvalidInputException f = assertThrows(
                InvalidInputException.class,
                () -> XentSpark.lossOfFiles(
                        spark,
                        LossKind.CROSS_ENTROPY,
                        List.of(dir.resolve("bx.npy").toString()),
                        List.of(dir.resolve("bt.npy").toString()),
                        7,
                        LossSpec.DEFAULT,
                        Outputs.LOSS_ONLY,
                        false));
        assertEquals(
                "target[2345] = 99 is not a valid class: expected 0 <= target < 37 or ignore_index -100",
                f.getMessage(),
                "file shards are numbered in the concatenation");
    }

    @Test
    void aMissingShardIsNamed() {
        InvalidInputException e = assertThrows(
                InvalidInputException.class,
                () -> XentSpark.lossOfFiles(
                        spark,
                        LossKind.CROSS_ENTROPY,
                        List.of(dir.resolve("nowhere.npy").toString()),
                        List.of(dir.resolve("nowhere-t.npy").toString()),
                        2,
                        LossSpec.DEFAULT,
                        Outputs.LOSS_ONLY,
                        false));
        assertTrue(e.getMessage().contains("nowhere.npy: no such file"), e.getMessage());
    }

    @Test
    void perRowLossesOfANoneReductionAreAColumn() {
        LossSpec none = LossSpec.builder().reduction(Reduction.NONE).build();
        LossResult want = core(none, Outputs.LOSS_ONLY);
        SparkLossResult got =
                XentSpark.crossEntropy(frame(targets).coalesce(2), "logits", "target", none, Outputs.LOSS_ONLY);
        List<Row> rows = got.perRow().select("loss").collectAsList();
        double[] w = want.perElement().toDoubleArray();
        assertEquals(N, rows.size());
        for (int i = 0; i < N; i++) assertEquals((float) w[i], rows.get(i).getFloat(0), "row " + i);
    }

    @Test
    void theGpuATaskRunsOnComesFromItsResources() {
        assertEquals(
                OptionalInt.of(1), GpuAssignment.ordinal(Map.of("gpu", new ResourceInformation("gpu", new String[] {
                    "1", "2"
                }))));
        assertEquals(OptionalInt.empty(), GpuAssignment.ordinal(Map.of()));
        assertEquals(
                OptionalInt.empty(),
                GpuAssignment.ordinal(Map.of("fpga", new ResourceInformation("fpga", new String[] {"0"}))));
        InvalidInputException e = assertThrows(
                InvalidInputException.class,
                () -> GpuAssignment.ordinal(Map.of("gpu", new ResourceInformation("gpu", new String[] {"GPU-3f2a"}))));
        assertTrue(e.getMessage().contains("not a CUDA device ordinal"), e.getMessage());
    }
}
