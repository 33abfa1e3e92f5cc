package dev.xent.spark;

import dev.xent.LossResult;
import dev.xent.Tensor;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * A Spark job's result: the single-machine {@link LossResult} (loss, weight sum, accuracy and top-k where asked,
 * perplexity from its mean), how the job ran, and the per-row losses where asked.
 */
public final class SparkLossResult {
    private final LossResult result;
    private final int partitions;
    private final long tasks;
    private final long rows, classes;
    Dataset<Row> perRow;
    Tensor perRowLosses;

    SparkLossResult(LossResult result, int partitions, long tasks, long rows, long classes) {
        this.result = result;
        this.partitions = partitions;
        this.tasks = tasks;
        this.rows = rows;
        this.classes = classes;
    }

    /** {@return the rows (predictions) of the dataset} */
    public long rows() {
        return rows;
    }

    /** {@return the classes per row} */
    public long classes() {
        return classes;
    }

    /** {@return the reduced loss and its bookkeeping, exactly as {@code Xent} gives them for the same rows} */
    public LossResult result() {
        return result;
    }

    /** {@return the perplexity: exp of a 'mean' loss (NaN for any other reduction)} */
    public double perplexity() {
        return result.reduction() == dev.xent.Reduction.MEAN ? Math.exp(result.value()) : Double.NaN;
    }

    /** {@return the partitions the rows were cut into} */
    public int partitions() {
        return partitions;
    }

    /** {@return the tasks whose results were merged (one per partition; a retried task counts once)} */
    public long tasks() {
        return tasks;
    }

    /** {@return for reduction 'none' over a DataFrame, its rows with a float column "loss" (computed when read); else null} */
    public Dataset<Row> perRow() {
        return perRow;
    }

    /** {@return for file shards with per-row losses asked, the losses (float32, the target's shape); else null} */
    public Tensor perRowLosses() {
        return perRowLosses;
    }
}
