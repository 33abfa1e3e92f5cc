package dev.xent.spark;

import dev.xent.stream.LossAccumulator;
import java.io.Serializable;

/**
 * What one task sends the driver: its partition's exact, unreduced sums (a {@link LossAccumulator}), its row count
 * (so the driver can number rows in the whole dataset), and the first problem it met, if any, numbered in its
 * partition. Sent once per partition: Spark keeps the successful attempt of a retried task, so no row counts twice.
 */
final class PartResult implements Serializable {
    private static final long serialVersionUID = 1L;

    final int partition;
    final long rows;
    final long firstRow; // of the partition in the whole dataset, when known (file shards), else -1
    final LossAccumulator sums;
    final int classes; // the logits' row length seen (DataFrames), or -1 for none
    final long badRow, badValue; // the first bad target, numbered in the partition; -1 for none
    final long wrongLengthRow; // a row whose logits are not `classes` long (DataFrames); -1 for none
    final int wrongLength;
    final String device;
    final float[] perRow; // per-row losses, when the driver asked for them, else null
    long nullRow = -1; // a row holding a null (DataFrames), numbered in the partition; -1 for none
    boolean nullInTarget; // in the target column, else the logits column
    int nullElement; // the array element that is null, or -1 for the whole value
    String error; // a bad input met by the task (deterministic: returned, not retried), or null

    /** A task that met bad input: its message goes to the driver, which fails the job with it. */
    static PartResult failed(int partition, String message) {
        PartResult r = new PartResult(partition, 0, -1, new LossAccumulator(), -1, -1, 0, -1, 0, "cpu", null);
        r.error = message;
        return r;
    }

    PartResult(
            int partition,
            long rows,
            long firstRow,
            LossAccumulator sums,
            int classes,
            long badRow,
            long badValue,
            long wrongLengthRow,
            int wrongLength,
            String device,
            float[] perRow) {
        this.partition = partition;
        this.rows = rows;
        this.firstRow = firstRow;
        this.sums = sums;
        this.classes = classes;
        this.badRow = badRow;
        this.badValue = badValue;
        this.wrongLengthRow = wrongLengthRow;
        this.wrongLength = wrongLength;
        this.device = device;
        this.perRow = perRow;
    }
}
