package dev.xent.cli;

import dev.xent.LossResult;
import dev.xent.Reduction;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * The report of a cross-entropy or NLL result that {@code xent eval} and {@code xent-spark} print alike (hence
 * public): the loss, perplexity, z-loss and accuracy lines, and the JSON fields they share. Each command adds its own
 * lines and fields around them (eval its output files, xent-spark its partitions), so that the numbers of the two
 * commands read, and parse, the same way.
 */
public final class LossReport {
    private final LossResult result;
    private final long rows, classes;
    private final CrossEntropyOptions options;

    /**
     * A report of one result.
     *
     * @param result the loss and its metrics
     * @param rows the rows the loss was computed over
     * @param classes the classes of each row
     * @param options the options the result was computed with (they decide which metrics are shown)
     */
    public LossReport(LossResult result, long rows, long classes, CrossEntropyOptions options) {
        this.result = result;
        this.rows = rows;
        this.classes = classes;
        this.options = options;
    }

    /** {@return the perplexity: exp of a 'mean' loss, NaN for any other reduction} */
    public double perplexity() {
        return result.reduction() == Reduction.MEAN ? Math.exp(result.value()) : Double.NaN;
    }

    /**
     * Prints the loss line, then the perplexity (for 'mean'), the z-loss part (when asked for and reduced) and the
     * accuracy (when asked for, with top-k when asked for), one line each.
     *
     * @param o where the lines go
     * @param unreduced for 'none', what follows the row count on the loss line, as "per-row values written to
     *     per.npy"
     */
    public void printLines(PrintWriter o, String unreduced) {
        Reduction red = result.reduction();
        if (result.isScalar()) o.printf(Locale.ROOT, "loss (%s): %s%n", red.label(), fmt(result.value()));
        else o.printf(Locale.ROOT, "loss (none): %d %s%n", rows, unreduced);
        if (red == Reduction.MEAN) o.printf(Locale.ROOT, "perplexity: %s%n", fmt(perplexity()));
        if (zLossShown()) o.printf(Locale.ROOT, "z-loss part (%s): %s%n", red.label(), fmt(result.zLoss()));
        if (accuracyShown()) {
            Integer k = options.topK();
            String topK =
                    k == null ? "" : String.format(Locale.ROOT, ", top-%d accuracy: %s", k, fmt(result.topkAccuracy()));
            o.printf(Locale.ROOT, "accuracy: %s%s%n", fmt(result.accuracy()), topK);
        }
    }

    /**
     * {@return a JSON object that starts the report's line: loss (null for 'none'), reduction, device, rows, classes,
     * seconds, weight_sum and loss_kind; the command adds its own fields, and {@link #putMetrics(Json)}}
     *
     * @param seconds the run's wall-clock time
     * @param lossKind ce or nll
     */
    public Json json(double seconds, String lossKind) {
        return new Json()
                .put("loss", result.isScalar() ? (Object) result.value() : null)
                .put("reduction", result.reduction().label())
                .put("device", result.device())
                .put("rows", rows)
                .put("classes", classes)
                .put("seconds", seconds)
                .put("weight_sum", result.weightSum())
                .put("loss_kind", lossKind);
    }

    /**
     * Adds the metrics to a report's JSON: perplexity, accuracy, topk, topk_accuracy and z_loss, each null where it
     * does not apply or was not asked for.
     *
     * @param j the report's JSON object
     * @return {@code j}
     */
    public Json putMetrics(Json j) {
        Integer k = options.topK();
        return j.put("perplexity", result.reduction() == Reduction.MEAN ? (Object) perplexity() : null)
                .put("accuracy", accuracyShown() ? (Object) result.accuracy() : null)
                .put("topk", k)
                .put("topk_accuracy", k != null ? (Object) result.topkAccuracy() : null)
                .put("z_loss", zLossShown() ? (Object) result.zLoss() : null);
    }

    private boolean zLossShown() {
        return options.zLoss() > 0 && result.isScalar();
    }

    /** As the loss computed it: top-1 accuracy whenever top-k is asked for too. */
    private boolean accuracyShown() {
        return options.outputs().build().accuracy();
    }

    /** A number as the reports print it (Double.toString, NaN as "NaN"). */
    static String fmt(double v) {
        return Double.isNaN(v) ? "NaN" : Double.toString(v);
    }
}
