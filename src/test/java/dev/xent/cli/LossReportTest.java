package dev.xent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.xent.LossResult;
import dev.xent.Reduction;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The report xent eval and xent-spark share, to the byte: which lines and fields appear for which options and
 * reduction, in which order, and how NaN is written.
 */
class LossReportTest {
    private static CrossEntropyOptions options(String... args) {
        CrossEntropyOptions o = new CrossEntropyOptions();
        new CommandLine(o).parseArgs(args);
        o.check();
        return o;
    }

    /** A result with {@code hits} top-1 and {@code hits} + 2 top-3 hits among {@code valid} rows. */
    private static LossResult result(Reduction red, double value, long hits, long valid, double zLoss) {
        return new LossResult(
                red, value, null, 8.0, valid, "cpu", new LossResult.Extras(null, hits, hits + 2, 3, null, null), zLoss);
    }

    private static String lines(LossReport report, String unreduced) {
        StringWriter s = new StringWriter();
        try (PrintWriter o = new PrintWriter(s)) {
            report.printLines(o, unreduced);
        }
        return s.toString();
    }

    private static String json(LossReport report) {
        return report.putMetrics(report.json(1.5, "ce").put("out", null)).toString();
    }

    @Test
    void meanWithEveryMetric() {
        LossReport r = new LossReport(
                result(Reduction.MEAN, 2.0, 4, 8, 0.25), 8, 10, options("--topk", "3", "--z-loss", "0.5"));
        assertEquals(
                "loss (mean): 2.0\nperplexity: 7.38905609893065\nz-loss part (mean): 0.25\n"
                        + "accuracy: 0.5, top-3 accuracy: 0.75\n",
                lines(r, "unused"));
        assertEquals(
                "{\"loss\": 2.0, \"reduction\": \"mean\", \"device\": \"cpu\", \"rows\": 8, \"classes\": 10, "
                        + "\"seconds\": 1.5, \"weight_sum\": 8.0, \"loss_kind\": \"ce\", \"out\": null, "
                        + "\"perplexity\": 7.38905609893065, \"accuracy\": 0.5, \"topk\": 3, \"topk_accuracy\": 0.75, "
                        + "\"z_loss\": 0.25}",
                json(r));
    }

    @Test
    void sumShowsNoPerplexityAndAnEmptyAccuracyAsNaN() {
        LossReport r = new LossReport(result(Reduction.SUM, 16.0, 0, 0, Double.NaN), 8, 10, options("--accuracy"));
        assertEquals("loss (sum): 16.0\naccuracy: NaN\n", lines(r, "unused"));
        assertEquals(
                "{\"loss\": 16.0, \"reduction\": \"sum\", \"device\": \"cpu\", \"rows\": 8, \"classes\": 10, "
                        + "\"seconds\": 1.5, \"weight_sum\": 8.0, \"loss_kind\": \"ce\", \"out\": null, "
                        + "\"perplexity\": null, \"accuracy\": \"NaN\", \"topk\": null, \"topk_accuracy\": null, "
                        + "\"z_loss\": null}",
                json(r));
    }

    @Test
    void noneNamesItsValuesAndNoZLoss() {
        LossReport r =
                new LossReport(result(Reduction.NONE, Double.NaN, 4, 8, Double.NaN), 8, 10, options("--z-loss", "0.5"));
        assertEquals(
                "loss (none): 8 per-row values written to per.npy\n", lines(r, "per-row values written to per.npy"));
        assertEquals(
                "{\"loss\": null, \"reduction\": \"none\", \"device\": \"cpu\", \"rows\": 8, \"classes\": 10, "
                        + "\"seconds\": 1.5, \"weight_sum\": 8.0, \"loss_kind\": \"ce\", \"out\": null, "
                        + "\"perplexity\": null, \"accuracy\": null, \"topk\": null, \"topk_accuracy\": null, "
                        + "\"z_loss\": null}",
                json(r));
    }
}
