package dev.xent.spark;

import dev.xent.DType;
import dev.xent.InvalidInputException;
import dev.xent.LossKind;
import dev.xent.LossSpec;
import dev.xent.Outputs;
import dev.xent.Reduction;
import dev.xent.Tensor;
import dev.xent.cli.CrossEntropyOptions;
import dev.xent.cli.Json;
import dev.xent.cli.JsonOption;
import dev.xent.cli.LossReport;
import dev.xent.io.ArraySource;
import dev.xent.io.NpyWriter;
import dev.xent.io.OutputSet;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code xent-spark}: {@code xent eval} as a Spark job, over file shards or a Parquet table, with {@code xent eval}'s
 * options and output (its JSON plus partitions, tasks and master). {@code --master} takes any Spark master URL; the
 * default, {@code local[2]}, runs the job in this process.
 */
@Command(
        name = "xent-spark",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Cross-entropy (or NLL) of a whole dataset on Apache Spark, the same bits as xent eval on the same rows.",
            "Inputs: --logits and --targets shards (.npy, .npz[:NAME], .safetensors[:NAME], quoted globs), or --parquet TABLE "
                    + "with an array<float> logits column and an integer (or array) target column."
        })
public final class SparkMain implements Callable<Integer> {
    static final String PARQUET_BATCH_ROWS = "spark.sql.parquet.columnarReaderBatchSize";

    @Option(
            names = "--master",
            description = "Spark master URL (default: spark-submit's, else local[2]: in this process, 2 threads).")
    String master;

    @Option(
            names = "--logits",
            arity = "1..*",
            paramLabel = "L",
            description = "Logit shards, as xent eval takes them.")
    List<String> logits;

    @Option(
            names = "--targets",
            arity = "1..*",
            paramLabel = "T",
            description = "Target shards, matched to the logits' rows.")
    List<String> targets;

    @Option(
            names = "--parquet",
            paramLabel = "PATH",
            description = "A Parquet table (or any path spark.read().parquet takes) instead of shards.")
    String parquet;

    @Option(
            names = "--logits-column",
            defaultValue = "logits",
            description = "With --parquet: the logits column (default: ${DEFAULT-VALUE}).")
    String logitsColumn;

    @Option(
            names = "--target-column",
            defaultValue = "target",
            description = "With --parquet: the target column (default: ${DEFAULT-VALUE}).")
    String targetColumn;

    @Option(
            names = "--partitions",
            paramLabel = "P",
            description = "Partitions (default: Spark's default parallelism; for --parquet, the table's own).")
    Integer partitions;

    @Option(names = "--weights", paramLabel = "W", description = "Class weights, shape (C).")
    String weights;

    @Option(
            names = "--reduction",
            defaultValue = "mean",
            description = "none, sum or mean (default: ${DEFAULT-VALUE}).")
    String reduction;

    @Option(
            names = "--loss",
            defaultValue = "ce",
            description = "ce (logits in) or nll (log-probabilities in); default: ${DEFAULT-VALUE}.")
    String loss;

    @CommandLine.Mixin
    CrossEntropyOptions ceOptions;

    @Option(
            names = "--out",
            paramLabel = "FILE.npy",
            description = "With shards: write the per-row losses (they pass through the driver).")
    Path out;

    @CommandLine.Mixin
    JsonOption jsonOption;

    private PrintWriter o;

    @Override
    public Integer call() {
        Reduction red = Reduction.parse(reduction);
        String kindName = loss.toLowerCase(Locale.ROOT);
        if (!kindName.equals("ce") && !kindName.equals("nll"))
            throw new InvalidInputException("--loss must be ce or nll, not '" + loss + "'");
        LossKind kind = kindName.equals("nll") ? LossKind.NLL : LossKind.CROSS_ENTROPY;
        ceOptions.check();
        if (partitions != null && partitions < 1)
            throw new InvalidInputException("--partitions must be at least 1, got " + partitions);
        boolean files = logits != null || targets != null;
        if (files == (parquet != null)) throw new InvalidInputException("give --logits and --targets, or --parquet");
        if (files && (logits == null || targets == null))
            throw new InvalidInputException("--logits and --targets go together");
        if (out != null && !files)
            throw new InvalidInputException(
                    "--out writes the per-row losses of shards; with --parquet use the API's perRow()");
        LossSpec.Builder b = ceOptions.spec(red);
        if (weights != null) b.weights(ArraySource.openAll(ArraySource.resolve(weights)));
        LossSpec spec = b.build();
        Outputs outs = ceOptions.outputs().build();
        if (out != null) {
            List<OutputSet.Named> ins = new ArrayList<>();
            for (ArraySource s : ArraySource.resolveAll(logits)) ins.add(new OutputSet.Named("--logits", s.file));
            for (ArraySource s : ArraySource.resolveAll(targets)) ins.add(new OutputSet.Named("--targets", s.file));
            OutputSet.checkDistinct(ins, List.of(new OutputSet.Named("--out", out)));
        }
        String submitted = System.getProperty("spark.master"); // set by spark-submit
        if (master == null) master = submitted != null ? submitted : "local[2]";
        long t0 = System.nanoTime();
        // the session takes seconds to start, on one core: meanwhile the other compiles the row loops the tasks will
        // run
        Thread warm = new Thread(() -> dev.xent.cpu.CpuBackend.warmUp(5_000_000_000L), "xent-warm-up");
        warm.setDaemon(true);
        if (master.startsWith("local")) warm.start();
        SparkSession.Builder builder = SparkSession.builder().appName("xent").config("spark.ui.enabled", "false");
        if (!master.equals(submitted)) builder.master(master);
        // Spark's vectorized Parquet reader decodes a fixed number of rows a batch (4096 by default) whatever their
        // width: for rows of tens of thousands of logits that is hundreds of MiB per task, decoded and copied out of
        // memory rather than cache. A loss's rows are long, so read fewer at a time, unless --conf or
        // -Dspark.sql.parquet.columnarReaderBatchSize says otherwise.
        if (!new SparkConf().contains(PARQUET_BATCH_ROWS)) builder.config(PARQUET_BATCH_ROWS, "256");
        SparkSession spark = builder.getOrCreate();
        SparkLossResult r;
        long job0 = System.nanoTime();
        double jobSeconds;
        try {
            if (files) {
                int p = partitions != null ? partitions : spark.sparkContext().defaultParallelism();
                r = XentSpark.lossOfFiles(spark, kind, logits, targets, p, spec, outs, out != null);
            } else {
                Dataset<Row> table = spark.read().parquet(parquet);
                if (partitions != null) table = table.repartition(partitions);
                r = XentSpark.loss(kind, table, logitsColumn, targetColumn, spec, outs);
            }
            jobSeconds = (System.nanoTime() - job0) / 1e9;
            if (out != null) {
                try (OutputSet outputs = new OutputSet()) {
                    Tensor per = r.perRowLosses();
                    NpyWriter w = outputs.npy(out, DType.F32, per.shape());
                    w.write(0, per);
                    outputs.commit();
                }
            }
        } finally {
            spark.stop();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        LossReport report = new LossReport(r.result(), r.rows(), r.classes(), ceOptions);
        report.printLines(o, "per-row values" + (out == null ? "" : " written to " + out));
        o.printf(
                Locale.ROOT,
                "device: %s, rows: %d, classes: %d, partitions: %d, tasks: %d, master: %s, seconds: %.6f (the job %.6f)%n",
                r.result().device(),
                r.rows(),
                r.classes(),
                r.partitions(),
                r.tasks(),
                master,
                seconds,
                jobSeconds);
        if (jsonOption.json()) {
            Json j = report.json(seconds, kindName).put("out", out == null ? null : out.toString());
            o.println(report.putMetrics(j)
                    .put("partitions", r.partitions())
                    .put("tasks", r.tasks())
                    .put("master", master)
                    .put("job_seconds", jobSeconds));
        }
        return 0;
    }

    /**
     * The {@code xent-spark} command: runs {@link #run(String[], PrintWriter, PrintWriter)} on the standard streams and
     * exits with its status.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /**
     * Runs the command and returns its exit status: 0, 2 for bad input (one line), 1 for an internal failure.
     *
     * @param args the command line, without the program name
     * @param out where the report (one JSON line) and help go
     * @param err where errors go
     * @return 0, 1 or 2
     */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        SparkMain m = new SparkMain();
        m.o = out;
        CommandLine cl = new CommandLine(m);
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("xent-spark: " + ex.getMessage() + " (see: xent-spark --help)");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, c, parse) -> {
            for (Throwable e = ex; e != null; e = e.getCause() == e ? null : e.getCause()) {
                if (e instanceof InvalidInputException) {
                    err.println("xent-spark: error: " + e.getMessage().replace('\n', ' '));
                    return 2;
                }
            }
            err.println("xent-spark: internal error: " + ex);
            ex.printStackTrace(err);
            return 1;
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }
}
