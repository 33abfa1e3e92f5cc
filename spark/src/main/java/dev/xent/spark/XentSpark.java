package dev.xent.spark;

import dev.xent.Backend;
import dev.xent.DType;
import dev.xent.InvalidInputException;
import dev.xent.LossKind;
import dev.xent.LossProblem;
import dev.xent.LossResult;
import dev.xent.LossSpec;
import dev.xent.Outputs;
import dev.xent.ResultSink;
import dev.xent.Settings;
import dev.xent.Tensor;
import dev.xent.io.ArraySource;
import dev.xent.stream.BlockStream;
import dev.xent.stream.LossAccumulator;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

// Over 400 lines: The Spark entry points with their partition tasks: each task is small but needs the shared row and
// shard plumbing.
/**
 * xent's losses over whole datasets on Apache Spark, with the single-machine results to the bit. Each task turns its
 * partition into row blocks and computes them with the core library (on the GPU Spark assigned it, or on its cores);
 * it sends the driver its partition's exact, unreduced sums ({@link LossAccumulator}), which the driver merges and
 * reduces once. So the loss does not depend on the partitioning, the task order or retries, and equals {@code xent
 * eval} on the same rows (same device kind) bit for bit. 'mean' divides the whole dataset's sums, as PyTorch would.
 *
 * <p>Two inputs: a DataFrame with an {@code array<float>} (or {@code array<double>}) logits column and an integer class
 * column (or an array column of probabilities), such as a Parquet table; or shards of .npy, .npz and safetensors
 * files (the command line's syntax, globs included), read by the executors, the driver reading headers only.
 */
public final class XentSpark {
    /** Rows per block of a DataFrame partition (fewer when the rows are long: at most the block stream's elements). */
    static final int BLOCK_ROWS = 4096;
    /** The local property a test sets to make each partition's first attempt fail once (retries must change nothing). */
    static final String FAIL_FIRST_ATTEMPT = "xent.test.failFirstAttempt";

    private XentSpark() {}

    /**
     * {@code F.cross_entropy} over the rows of {@code data}: {@link #loss} with {@link LossKind#CROSS_ENTROPY}.
     *
     * @param data the rows, one sample each
     * @param logitsColumn an {@code array<float>} or {@code array<double>} column of each row's logits, all of one length
     * @param targetColumn an integer column of class indices, or an array column of probabilities of the logits' length
     * @param spec the options; null for {@link LossSpec#DEFAULT}
     * @param outputs accuracy and top-k where asked (no gradient or predictions); null for the loss alone
     * @return the loss over every row, as the single-machine library gives it
     * @throws InvalidInputException for a column or row that does not fit, or a class index out of range
     */
    public static SparkLossResult crossEntropy(
            Dataset<Row> data, String logitsColumn, String targetColumn, LossSpec spec, Outputs outputs) {
        return loss(LossKind.CROSS_ENTROPY, data, logitsColumn, targetColumn, spec, outputs);
    }

    /**
     * {@code F.nll_loss} over the rows of {@code data} (the logits column holds log-probabilities).
     *
     * @param data the rows, one sample each
     * @param logitsColumn an {@code array<float>} or {@code array<double>} column of each row's log-probabilities, all of one length
     * @param targetColumn an integer column of class indices
     * @param spec the options; null for {@link LossSpec#DEFAULT}
     * @param outputs accuracy and top-k where asked (no gradient or predictions); null for the loss alone
     * @return the loss over every row
     * @throws InvalidInputException for a column or row that does not fit, or a class index out of range
     */
    public static SparkLossResult nllLoss(
            Dataset<Row> data, String logitsColumn, String targetColumn, LossSpec spec, Outputs outputs) {
        return loss(LossKind.NLL, data, logitsColumn, targetColumn, spec, outputs);
    }

    /**
     * A loss over a DataFrame's rows: one row a sample, its logits an array column, its target an integer column (a
     * class) or an array column of the logits' length (probabilities). Rows are numbered as the Dataset orders them
     * (partition by partition) in messages. Accuracy and top-k as {@code outputs} asks; gradients and predictions are
     * not computed here. For reduction 'none', {@link SparkLossResult#perRow()} adds the per-row losses as a column.
     *
     * @param kind cross-entropy (logits) or NLL (log-probabilities)
     * @param data the rows, one sample each
     * @param logitsColumn an {@code array<float>} or {@code array<double>} column of each row's logits, all of one length
     * @param targetColumn an integer column of class indices, or an array column of probabilities of the logits' length
     * @param spec the options; null for {@link LossSpec#DEFAULT}
     * @param outputs accuracy and top-k where asked (no gradient or predictions); null for the loss alone
     * @return the loss over every row
     * @throws InvalidInputException for a column or row that does not fit, or a class index out of range (the
     *     message numbers the row in dataset order)
     */
    public static SparkLossResult loss(
            LossKind kind,
            Dataset<Row> data,
            String logitsColumn,
            String targetColumn,
            LossSpec spec,
            Outputs outputs) {
        LossOptions opt = new LossOptions(kind, spec, outputs);
        Columns cols = Columns.of(data.schema(), logitsColumn, targetColumn);
        List<PartResult> parts = Samples.of(data, logitsColumn, targetColumn, cols)
                .mapPartitionsWithIndex(new RowTask(opt, cols, false), false)
                .collect();
        for (PartResult r : parts) if (r.error != null) throw new InvalidInputException(r.error);
        int classes = -1;
        for (PartResult r : parts) {
            if (r.classes < 0) continue;
            if (classes >= 0 && r.classes != classes) {
                throw new InvalidInputException("column " + logitsColumn + ": partition " + r.partition
                        + " has rows of " + r.classes + " logits, an earlier one of " + classes);
            }
            classes = r.classes;
        }
        long total = 0;
        for (PartResult r : parts) total += r.rows;
        long[] inShape = {total, Math.max(classes, 0)};
        failOnBadRows(
                parts,
                kind,
                inShape,
                cols.f64 ? DType.F64 : DType.F32,
                cols.probabilities ? inShape : new long[] {total},
                cols.probabilities ? DType.F32 : DType.I64,
                opt,
                logitsColumn,
                targetColumn);
        SparkLossResult result =
                new SparkLossResult(merge(parts, opt), parts.size(), parts.size(), total, Math.max(classes, 0));
        if (opt.reduction == dev.xent.Reduction.NONE)
            result.perRow = perRowColumn(data, logitsColumn, targetColumn, opt, cols);
        return result;
    }

    /**
     * A loss over shards of .npy, .npz and safetensors files ({@code logits} and {@code targets} in the command line's
     * syntax: files, FILE.npz:NAME, quoted globs), as their row-wise concatenation, cut into {@code partitions} ranges
     * of rows, one task each. Executors open the files, so the paths must be visible to them (a shared file system);
     * the driver reads their headers only. With {@code perRowLosses}, the per-row losses come back to the driver too.
     *
     * @param spark the session whose executors compute the tasks
     * @param kind cross-entropy (logits) or NLL (log-probabilities)
     * @param logits specs of the logits' shards, concatenated along axis 0 in order
     * @param targets specs of the targets' shards, as many rows in all as the logits
     * @param partitions the number of tasks, at least 1 (fewer when there are fewer rows)
     * @param spec the options; null for {@link LossSpec#DEFAULT}
     * @param outputs accuracy and top-k where asked; null for the loss alone
     * @param perRowLosses true to bring every row's loss back to the driver (they must fit one Java array)
     * @return the loss over every row
     * @throws InvalidInputException for a spec, shard, shape or option that does not fit, or a class index out of range
     */
    public static SparkLossResult lossOfFiles(
            SparkSession spark,
            LossKind kind,
            List<String> logits,
            List<String> targets,
            int partitions,
            LossSpec spec,
            Outputs outputs,
            boolean perRowLosses) {
        if (partitions < 1) throw new InvalidInputException("--partitions must be at least 1, got " + partitions);
        LossOptions opt = new LossOptions(kind, spec, outputs);
        Shards xs = Shards.of("--logits", ArraySource.resolveAll(logits)),
                ts = Shards.of("--targets", ArraySource.resolveAll(targets));
        if (xs.rows != ts.rows) {
            throw new InvalidInputException(
                    "the logits' shards hold " + xs.rows + " rows along axis 0, the targets' " + ts.rows);
        }
        LossProblem whole = LossProblem.describe(
                kind, xs.shape(), xs.dtype, ts.shape(), ts.dtype, opt.spec()); // every shape check, once
        int p = (int) Math.max(1, Math.min(partitions, Math.max(1, xs.rows)));
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < p; i++) ids.add(i);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<PartResult> parts = jsc.parallelize(ids, p)
                .mapPartitionsWithIndex(new RangeTask(opt, xs, ts, p, perRowLosses), false)
                .collect();
        failOnBadRows(parts, kind, xs.shape(), xs.dtype, ts.shape(), ts.dtype, opt, "--logits", "--targets");
        SparkLossResult result = new SparkLossResult(merge(parts, opt), p, parts.size(), whole.rows(), whole.classes());
        if (perRowLosses) {
            float[] all = new float[Math.toIntExact(whole.rows())];
            for (PartResult r : parts) System.arraycopy(r.perRow, 0, all, (int) r.firstRow, r.perRow.length);
            result.perRowLosses = Tensor.of(all, whole.outputShape());
        }
        return result;
    }

    /** The first problem in dataset order, if any task met one, as the single-machine message says it. */
    private static void failOnBadRows(
            List<PartResult> parts,
            LossKind kind,
            long[] inShape,
            DType inType,
            long[] tShape,
            DType tType,
            LossOptions opt,
            String logitsName,
            String targetName) {
        long offset = 0;
        List<PartResult> ordered = new ArrayList<>(parts);
        ordered.sort((a, b) -> Integer.compare(a.partition, b.partition));
        for (PartResult r : ordered) if (r.error != null) throw new InvalidInputException(r.error);
        for (PartResult r : ordered) {
            long first = r.firstRow >= 0 ? r.firstRow : offset;
            if (r.wrongLengthRow >= 0) {
                throw new InvalidInputException(logitsName + ": row " + (first + r.wrongLengthRow) + " has "
                        + r.wrongLength + " logits, the rows before it " + r.classes);
            }
            if (r.badRow >= 0) {
                // a task stops at its bad row, so the rows after it are not counted: size axis 0 to reach it
                long[] in = inShape.clone(), t = tShape.clone();
                in[0] = t[0] = Math.max(in[0], first + r.badRow + 1);
                throw LossProblem.describe(kind, in, inType, t, tType, opt.spec())
                        .badTarget(first + r.badRow, r.badValue);
            }
            if (r.nullRow >= 0) {
                throw new InvalidInputException(
                        "column " + (r.nullInTarget ? targetName : logitsName) + ": row " + (first + r.nullRow)
                                + (r.nullElement < 0 ? " is null" : " holds a null at element " + r.nullElement));
            }
            offset += r.rows;
        }
    }

    private static LossResult merge(List<PartResult> parts, LossOptions opt) {
        LossAccumulator all = new LossAccumulator();
        String device = "cpu";
        for (PartResult r : parts) {
            all.add(r.sums);
            if (r.rows > 0) device = r.device;
        }
        return all.result(opt.reduction, opt.topK, null, null, null, device);
    }

    /** A partition's test hook: the first attempt of every task fails once when the local property says so. */
    static void maybeFail(TaskContext tc) {
        if (tc != null && tc.attemptNumber() == 0 && "true".equals(tc.getLocalProperty(FAIL_FIRST_ATTEMPT))) {
            throw new IllegalStateException("injected: the first attempt of partition " + tc.partitionId() + " fails");
        }
    }

    // ------------------------------------------------------------------------------------------------ DataFrames

    /** The two columns' kinds, checked against the schema. */
    static final class Columns implements Serializable {
        private static final long serialVersionUID = 1L;
        final boolean f64, probabilities;
        /** Whether the schema lets the arrays hold null elements: only then must a task look for them. */
        final boolean logitsNullElements, targetNullElements;

        private Columns(boolean f64, boolean probabilities, boolean logitsNullElements, boolean targetNullElements) {
            this.f64 = f64;
            this.probabilities = probabilities;
            this.logitsNullElements = logitsNullElements;
            this.targetNullElements = targetNullElements;
        }

        static Columns of(StructType schema, String logits, String target) {
            DataType x = field(schema, logits).dataType(),
                    t = field(schema, target).dataType();
            if (!(x instanceof ArrayType) || !isFloating(((ArrayType) x).elementType())) {
                throw new InvalidInputException(
                        "column " + logits + " must be array<float> or array<double>, not " + x.simpleString());
            }
            boolean f64 = ((ArrayType) x).elementType().equals(DataTypes.DoubleType);
            boolean prob = t instanceof ArrayType;
            if (prob && !isFloating(((ArrayType) t).elementType())) {
                throw new InvalidInputException("column " + target
                        + " must be an integer class or array<float> or array<double> probabilities, not "
                        + t.simpleString());
            }
            if (!prob
                    && !(t.equals(DataTypes.LongType)
                            || t.equals(DataTypes.IntegerType)
                            || t.equals(DataTypes.ShortType)
                            || t.equals(DataTypes.ByteType))) {
                throw new InvalidInputException("column " + target
                        + " must be an integer class or an array of probabilities, not " + t.simpleString());
            }
            return new Columns(f64, prob, ((ArrayType) x).containsNull(), prob && ((ArrayType) t).containsNull());
        }

        private static StructField field(StructType schema, String name) {
            for (StructField f : schema.fields()) if (f.name().equals(name)) return f;
            throw new InvalidInputException(
                    "no column " + name + " (the columns are " + Arrays.toString(schema.fieldNames()) + ")");
        }

        private static boolean isFloating(DataType t) {
            return t.equals(DataTypes.FloatType) || t.equals(DataTypes.DoubleType);
        }
    }

    /** Rows into blocks, blocks through the core, the partition's sums out. */
    static final class RowTask implements Function2<Integer, Iterator<InternalRow>, Iterator<PartResult>> {
        private static final long serialVersionUID = 1L;
        private final LossOptions opt;
        private final Columns cols;
        private final boolean keepPerRow;

        RowTask(LossOptions opt, Columns cols, boolean keepPerRow) {
            this.opt = opt;
            this.cols = cols;
            this.keepPerRow = keepPerRow;
        }

        @Override
        public Iterator<PartResult> call(Integer partition, Iterator<InternalRow> rows) {
            TaskContext tc = TaskContext.get();
            maybeFail(tc);
            try {
                Blocks b = new Blocks(opt, cols, TaskBackends.forTask(tc), keepPerRow);
                while (rows.hasNext() && !b.stopped()) b.add(rows.next());
                b.flush();
                return List.of(b.result(partition, -1)).iterator();
            } catch (InvalidInputException e) {
                return List.of(PartResult.failed(partition, e.getMessage())).iterator();
            }
        }
    }

    /** A partition's rows gathered into blocks of at most {@link #BLOCK_ROWS}, each computed as soon as it is full. */
    static final class Blocks {
        private final LossOptions opt;
        private final Columns cols;
        private final Backend backend;
        private final LossSpec spec;
        private final Outputs outputs;
        private final LossAccumulator sums = new LossAccumulator();
        private final List<float[]> perRow;
        private int classes = -1, blockRows, n;
        private long done;
        private float[] x32, p32;
        private double[] x64, p64;
        private long[] y;
        private long badRow = -1, badValue, wrongRow = -1, nullRow = -1;
        private int wrongLength, nullElement;
        private boolean nullInTarget;

        Blocks(LossOptions opt, Columns cols, Backend backend, boolean keepPerRow) {
            this.opt = opt;
            this.cols = cols;
            this.backend = backend;
            this.spec = opt.spec();
            this.outputs = opt.outputs();
            this.perRow = keepPerRow ? new ArrayList<>() : null;
        }

        boolean stopped() {
            return badRow >= 0 || wrongRow >= 0 || nullRow >= 0;
        }

        /**
         * Adds a row of (logits, target) in Spark's internal format ({@link Samples}): both copied out into primitive
         * arrays here, since the row may be reused for the next one.
         */
        void add(InternalRow r) {
            if (r.isNullAt(0) || r.isNullAt(1)) {
                stopAtNull(r.isNullAt(1) && !r.isNullAt(0), -1);
                return;
            }
            ArrayData xs = r.getArray(0), ps = cols.probabilities ? r.getArray(1) : null;
            Object x = Samples.values(xs, cols.f64),
                    t = ps != null ? Samples.values(ps, cols.f64) : (Object) r.getLong(1);
            int k = cols.logitsNullElements ? Samples.firstNull(xs, x) : -1,
                    j = ps != null && cols.targetNullElements ? Samples.firstNull(ps, t) : -1;
            if (k >= 0 || j >= 0) stopAtNull(k < 0, k >= 0 ? k : j);
            else add(x, t);
        }

        /** Stops at the next row, which holds a null (element {@code element} of an array, or -1 for the whole value). */
        private void stopAtNull(boolean inTarget, int element) {
            flush(); // the rows before it are counted, so the driver can number it in the whole dataset
            if (stopped()) return;
            nullRow = done;
            nullInTarget = inTarget;
            nullElement = element;
        }

        /** Adds a row of a DataFrame: its logits from column {@code xi}, its target from column {@code ti} (boxed values). */
        void add(Row r, int xi, int ti) {
            if (r.isNullAt(xi) || r.isNullAt(ti)) {
                stopAtNull(r.isNullAt(ti) && !r.isNullAt(xi), -1);
                return;
            }
            List<Object> xs = r.getList(xi);
            Object t = cols.probabilities ? r.getList(ti) : r.get(ti);
            if (xs.contains(null) || (cols.probabilities && ((List<?>) t).contains(null))) {
                stopAtNull(!xs.contains(null), xs.contains(null) ? xs.indexOf(null) : ((List<?>) t).indexOf(null));
                return;
            }
            if (cols.f64) {
                double[] v = new double[xs.size()];
                for (int k = 0; k < v.length; k++) v[k] = ((Number) xs.get(k)).doubleValue();
                add(v, t);
            } else {
                float[] v = new float[xs.size()];
                for (int k = 0; k < v.length; k++) v[k] = ((Number) xs.get(k)).floatValue();
                add(v, t);
            }
        }

        /** Adds a row: logits float[] or double[]; target a Number (a class), or a list or array of probabilities. */
        void add(Object logits, Object target) {
            if (logits == null || target == null) {
                stopAtNull(logits != null, -1);
                return;
            }
            int len = logits instanceof float[] ? ((float[]) logits).length : ((double[]) logits).length;
            if (classes < 0) {
                classes = len;
                blockRows = (int) Math.max(1, Math.min(BLOCK_ROWS, Settings.blockElements() / Math.max(1, classes)));
                if (cols.f64) x64 = new double[blockRows * classes];
                else x32 = new float[blockRows * classes];
                if (cols.probabilities) {
                    if (cols.f64) p64 = new double[blockRows * classes];
                    else p32 = new float[blockRows * classes];
                } else {
                    y = new long[blockRows];
                }
            }
            if (len != classes) {
                flush();
                if (stopped()) return;
                wrongRow = done;
                wrongLength = len;
                return;
            }
            int at = n * classes;
            if (cols.f64) System.arraycopy(logits, 0, x64, at, classes);
            else System.arraycopy(logits, 0, x32, at, classes);
            if (cols.probabilities) {
                double[] ps = probabilities(target);
                if (ps.length != classes)
                    throw new InvalidInputException(
                            "row " + (done + n) + ": " + ps.length + " probabilities for " + classes + " logits");
                for (int k = 0; k < classes; k++) {
                    if (cols.f64) p64[at + k] = ps[k];
                    else p32[at + k] = (float) ps[k];
                }
            } else {
                y[n] = ((Number) target).longValue();
            }
            if (++n == blockRows) flush();
        }

        private static double[] probabilities(Object t) {
            if (t instanceof double[]) return (double[]) t;
            if (t instanceof float[]) {
                float[] f = (float[]) t;
                double[] d = new double[f.length];
                for (int k = 0; k < f.length; k++) d[k] = f[k];
                return d;
            }
            List<?> l = (List<?>) t;
            double[] d = new double[l.size()];
            for (int k = 0; k < d.length; k++) d[k] = ((Number) l.get(k)).doubleValue();
            return d;
        }

        void flush() {
            if (n == 0 || stopped()) return;
            // a full block goes as it is (the core does not keep it past the call, and the next rows overwrite it)
            Tensor x = cols.f64
                    ? Tensor.of(head(x64, n * classes), n, classes)
                    : Tensor.of(head(x32, n * classes), n, classes);
            Tensor t = !cols.probabilities
                    ? Tensor.of(head(y, n), n)
                    : cols.f64
                            ? Tensor.of(head(p64, n * classes), n, classes)
                            : Tensor.of(head(p32, n * classes), n, classes);
            LossProblem p = LossProblem.of(opt.kind, x, t, spec, outputs);
            Object scan = p.scan();
            if (scan instanceof LossProblem.BadTarget) {
                badRow = done + ((LossProblem.BadTarget) scan).row;
                badValue = ((LossProblem.BadTarget) scan).value;
                n = 0;
                return;
            }
            float[] losses = perRow == null ? null : new float[n];
            sums.add(BlockStream.accumulate(
                    backend,
                    p,
                    losses == null
                            ? null
                            : new ResultSink() {
                                @Override
                                public void losses(long firstRow, Tensor values) {
                                    values.readFloats(0, 1, losses, (int) firstRow, (int) values.numel());
                                }
                            }));
            if (perRow != null) perRow.add(losses);
            done += n;
            n = 0;
        }

        private static float[] head(float[] a, int len) {
            return len == a.length ? a : Arrays.copyOf(a, len);
        }

        private static double[] head(double[] a, int len) {
            return len == a.length ? a : Arrays.copyOf(a, len);
        }

        private static long[] head(long[] a, int len) {
            return len == a.length ? a : Arrays.copyOf(a, len);
        }

        float[] perRowLosses() {
            float[] all = new float[(int) done];
            int at = 0;
            for (float[] b : perRow) {
                System.arraycopy(b, 0, all, at, b.length);
                at += b.length;
            }
            return all;
        }

        PartResult result(int partition, long firstRow) {
            PartResult r = new PartResult(
                    partition,
                    done,
                    firstRow,
                    sums,
                    classes,
                    badRow,
                    badValue,
                    wrongRow,
                    wrongLength,
                    backend.name(),
                    perRow == null ? null : perRowLosses());
            r.nullRow = nullRow;
            r.nullInTarget = nullInTarget;
            r.nullElement = nullElement;
            return r;
        }
    }

    /** The rows of {@code data} with a float column "loss" (reduction 'none'), computed in blocks when the rows are read. */
    private static Dataset<Row> perRowColumn(
            Dataset<Row> data, String logitsColumn, String targetColumn, LossOptions opt, Columns cols) {
        StructType schema = data.schema().add("loss", DataTypes.FloatType);
        int xi = Arrays.asList(data.schema().fieldNames()).indexOf(logitsColumn),
                ti = Arrays.asList(data.schema().fieldNames()).indexOf(targetColumn);
        org.apache.spark.api.java.JavaRDD<Row> rows = data.toJavaRDD().mapPartitions(it -> {
            Blocks b = new Blocks(opt, cols, TaskBackends.forTask(TaskContext.get()), true);
            List<Row> kept = new ArrayList<>();
            while (it.hasNext()) {
                Row r = it.next();
                kept.add(r);
                b.add(r, xi, ti);
                if (b.stopped())
                    throw new InvalidInputException(
                            "a bad row in this partition (the loss itself reports it with its position)");
            }
            b.flush();
            float[] l = b.perRowLosses();
            List<Row> out = new ArrayList<>(kept.size());
            for (int i = 0; i < kept.size(); i++) {
                Object[] v = new Object[kept.get(i).length() + 1];
                for (int k = 0; k < v.length - 1; k++) v[k] = kept.get(i).get(k);
                v[v.length - 1] = l[i];
                out.add(RowFactory.create(v));
            }
            return out.iterator();
        });
        return data.sparkSession().createDataFrame(rows, schema);
    }

    // ------------------------------------------------------------------------------------------------ file shards

    /** Shards of one array: their specs and row counts (from headers), checked to concatenate. */
    static final class Shards implements Serializable {
        private static final long serialVersionUID = 1L;
        final String[] files, members;
        final long[] first; // of each shard along axis 0, plus the total at the end
        final long[] trailing;
        final DType dtype;
        final long rows;

        private Shards(String[] files, String[] members, long[] first, long[] trailing, DType dtype) {
            this.files = files;
            this.members = members;
            this.first = first;
            this.trailing = trailing;
            this.dtype = dtype;
            this.rows = first[first.length - 1];
        }

        static Shards of(String option, List<ArraySource> sources) {
            int k = sources.size();
            String[] files = new String[k], members = new String[k];
            long[] first = new long[k + 1];
            long[] trailing = null;
            DType dtype = null;
            for (int i = 0; i < k; i++) {
                ArraySource s = sources.get(i);
                long[] shape = s.shape();
                DType d = s.dtype();
                if (shape.length == 0) throw new InvalidInputException(s + ": a 0-d array has no rows to shard");
                long[] tail = Arrays.copyOfRange(shape, 1, shape.length);
                if (trailing == null) {
                    trailing = tail;
                    dtype = d;
                } else if (!Arrays.equals(trailing, tail) || d != dtype) {
                    throw new InvalidInputException(option + ": " + s + " is " + d.label() + " "
                            + Tensor.shapeString(shape) + ", the first shard " + dtype.label() + " with "
                            + Tensor.shapeString(trailing) + " after axis 0: shards must agree after axis 0");
                }
                files[i] = s.file.toString();
                members[i] = s.member;
                first[i + 1] = Math.addExact(first[i], shape[0]);
            }
            return new Shards(files, members, first, trailing, dtype);
        }

        long[] shape() {
            long[] s = new long[trailing.length + 1];
            s[0] = rows;
            System.arraycopy(trailing, 0, s, 1, trailing.length);
            return s;
        }

        /** Rows [lo, hi) of the concatenation: views of the shards that hold them, opened here (on an executor). */
        Tensor rows(long lo, long hi) {
            List<Tensor> parts = new ArrayList<>();
            for (int i = 0; i < files.length; i++) {
                long a = Math.max(lo, first[i]), b = Math.min(hi, first[i + 1]);
                if (a >= b) continue;
                parts.add(ArraySource.of(Path.of(files[i]), members[i]).open().slice(a - first[i], b - first[i]));
            }
            if (parts.isEmpty()) { // an empty range still needs the right shape and dtype
                int i = 0;
                return ArraySource.of(Path.of(files[i]), members[i]).open().slice(0, 0);
            }
            return Tensor.concat(parts);
        }
    }

    /** One range of rows of the shards through the core's block stream. */
    static final class RangeTask implements Function2<Integer, Iterator<Integer>, Iterator<PartResult>> {
        private static final long serialVersionUID = 1L;
        private final LossOptions opt;
        private final Shards xs, ts;
        private final int partitions;
        private final boolean keepPerRow;

        RangeTask(LossOptions opt, Shards xs, Shards ts, int partitions, boolean keepPerRow) {
            this.opt = opt;
            this.xs = xs;
            this.ts = ts;
            this.partitions = partitions;
            this.keepPerRow = keepPerRow;
        }

        @Override
        public Iterator<PartResult> call(Integer partition, Iterator<Integer> ignored) {
            TaskContext tc = TaskContext.get();
            maybeFail(tc);
            try {
                return compute(partition, tc);
            } catch (InvalidInputException e) {
                return List.of(PartResult.failed(partition, e.getMessage())).iterator();
            }
        }

        private Iterator<PartResult> compute(int partition, TaskContext tc) {
            long lo = xs.rows * partition / partitions, hi = xs.rows * (partition + 1) / partitions;
            Backend backend = TaskBackends.forTask(tc);
            LossProblem p = LossProblem.of(opt.kind, xs.rows(lo, hi), ts.rows(lo, hi), opt.spec(), opt.outputs());
            long inner = p.outerSize() == 0 ? 1 : p.rows() / Math.max(1, p.outerSize());
            long firstRow = lo * Math.max(1, inner);
            Object scan = p.scan();
            if (scan instanceof LossProblem.BadTarget) {
                LossProblem.BadTarget bad = (LossProblem.BadTarget) scan;
                return List.of(new PartResult(
                                partition,
                                p.rows(),
                                firstRow,
                                new LossAccumulator(),
                                -1,
                                bad.row,
                                bad.value,
                                -1,
                                0,
                                backend.name(),
                                null))
                        .iterator();
            }
            float[] losses = keepPerRow ? new float[Math.toIntExact(p.rows())] : null;
            LossAccumulator sums = BlockStream.accumulate(
                    backend,
                    p,
                    losses == null
                            ? null
                            : new ResultSink() {
                                @Override
                                public void losses(long first, Tensor values) {
                                    values.readFloats(0, 1, losses, (int) first, (int) values.numel());
                                }
                            });
            return List.of(new PartResult(
                            partition, p.rows(), firstRow, sums, -1, -1, 0, -1, 0, backend.name(), losses))
                    .iterator();
        }
    }
}
