package dev.xent.stream;

import dev.xent.LossProblem;
import dev.xent.LossResult;
import dev.xent.Reduction;
import dev.xent.Tensor;

/**
 * The reduction of a request from its parts: per-row losses and z-loss terms summed exactly ({@link ExactSum}), hit
 * counts added, the parts' 'mean' divisors summed exactly too, then the reduced value formed once. Parts may arrive in
 * any order and from any split of the rows (row blocks, shards, Spark partitions): the result has the same bits.
 * Serializable, so a partition's accumulator can travel to the driver. Not thread-safe; merge per-thread accumulators
 * with {@link #add(LossAccumulator)}.
 */
public final class LossAccumulator implements java.io.Serializable {
    private static final long serialVersionUID = 2L; // 2: the entropy sums

    /** The loss without its z terms, and the z terms. */
    private final ExactSum ce = new ExactSum(), z = new ExactSum();
    /** The parts' W, when they have class weights. */
    private final ExactSum weight = new ExactSum();
    /** Top-1 and top-k hits of the parts that counted them. */
    private long hits1, hitsK;
    /** Whether any part counted hits, had z terms, had class weights. */
    private boolean anyHits1, anyHitsK, anyZ, weighted, anyEntropy;
    /** With row statistics: the entropies of the counted rows, exactly, and how many. */
    private final ExactSum entropy = new ExactSum();
    /** With row statistics: the rows {@link #entropy} holds. */
    private long entropyRows;
    /** Rows added, and non-ignored rows of the totals added. */
    private long rows, validRows;

    /**
     * Adds one part: its per-row losses (each including its z term), or the extras' finer sum terms (without z), and
     * the extras' counts and z terms.
     *
     * @param perRow the part's per-row losses
     * @param extras what the part computed besides them (its exact loss sum, when it formed one, saves a pass)
     */
    public void add(Tensor perRow, LossResult.Extras extras) {
        if (extras.sumTerms() != null) {
            addAll(ce, extras.sumTerms());
        } else {
            if (extras.lossSum() != null) ce.add(extras.lossSum());
            else addAll(ce, perRow);
            if (extras.zPerRow() != null) { // per-row values hold z: take it off exactly
                ExactSum part = new ExactSum();
                addAll(part, extras.zPerRow());
                ce.subtract(part);
            }
        }
        rows += perRow.numel();
        if (extras.hits1() >= 0) {
            hits1 += extras.hits1();
            anyHits1 = true;
        }
        if (extras.hitsK() >= 0) {
            hitsK += extras.hitsK();
            anyHitsK = true;
        }
        if (extras.zPerRow() != null) {
            addAll(z, extras.zPerRow());
            anyZ = true;
        }
        if (extras.entropySum() != null) {
            entropy.add(extras.entropySum());
            entropyRows += extras.entropyRows();
            anyEntropy = true;
        }
    }

    /**
     * Adds a part's target totals (its W and non-ignored rows), for {@link #result(Reduction, int, Tensor, Tensor, Tensor, String)}.
     *
     * @param t the part's totals
     */
    public void addTotals(LossProblem.Totals t) {
        if (t.weightSum() != null) {
            weight.add(t.weightSum());
            weighted = true;
        }
        validRows += t.validRows();
    }

    /**
     * Adds another accumulator's parts.
     *
     * @param o the other accumulator (which stays as it was)
     */
    public void add(LossAccumulator o) {
        ce.add(o.ce);
        z.add(o.z);
        weight.add(o.weight);
        weighted |= o.weighted;
        validRows += o.validRows;
        hits1 += o.hits1;
        hitsK += o.hitsK;
        anyHits1 |= o.anyHits1;
        anyHitsK |= o.anyHitsK;
        anyZ |= o.anyZ;
        entropy.add(o.entropy);
        entropyRows += o.entropyRows;
        anyEntropy |= o.anyEntropy;
        rows += o.rows;
    }

    /** {@return the rows added so far} */
    public long rows() {
        return rows;
    }

    /** {@return the non-ignored rows of the totals added so far} */
    public long validRows() {
        return validRows;
    }

    /** {@return W of the totals added so far: the exact sum of their weights rounded once, or the count of non-ignored rows} */
    public double divisor() {
        return weighted ? weight.value() : validRows;
    }

    /**
     * The result from the parts and the totals added here (no {@link LossProblem} of the whole needed: a Spark job's).
     *
     * @param red the reduction
     * @param topK k of the top-k hits, 0 for none
     * @param perElement the per-element losses to report, or null when they went to a sink
     * @param gradient the gradient to report, or null
     * @param predictions the predicted classes to report, or null
     * @param device the name of the device that computed it
     * @return the reduced result
     */
    public LossResult result(
            Reduction red, int topK, Tensor perElement, Tensor gradient, Tensor predictions, String device) {
        return result(red, divisor(), validRows, topK, perElement, gradient, predictions, device);
    }

    private static void addAll(ExactSum s, Tensor t) {
        long n = t.numel();
        float[] f = t.floatArrayOrNull();
        if (f != null) {
            s.addAll(f, t.arrayOffset(), (int) n);
            return;
        }
        double[] buf = new double[(int) Math.min(n, 1 << 14)];
        for (long i = 0; i < n; i += buf.length) {
            int k = (int) Math.min(buf.length, n - i);
            t.readDoubles(i, 1, buf, 0, k);
            s.addAll(buf, 0, k);
        }
    }

    /**
     * The result of {@code p} (the whole request) from the parts added: 'sum' is the exact sum rounded once; 'mean'
     * divides by the request's W (NaN when W is 0: all ignored, or empty); with z-loss, 'mean' divides the
     * cross-entropy part by W and the z part by the count of non-ignored rows, as Liger-Kernel does.
     *
     * @param p the whole request, whose totals give W
     * @param perElement the per-element losses to report, or null when they went to a sink
     * @param gradient the gradient to report, or null
     * @param predictions the predicted classes to report, or null
     * @param device the name of the device that computed it
     * @return the reduced result
     */
    public LossResult result(LossProblem p, Tensor perElement, Tensor gradient, Tensor predictions, String device) {
        LossProblem.Totals t = p.totals();
        return result(
                p.spec().reduction(),
                t.divisor(),
                t.validRows(),
                p.outputs().topK(),
                perElement,
                gradient,
                predictions,
                device);
    }

    /**
     * The result for reduction {@code red} with 'mean' divisor W and {@code validRows} non-ignored rows.
     *
     * @param red the reduction
     * @param divisor W, the 'mean' divisor
     * @param validRows the non-ignored rows (the z part's divisor)
     * @param topK k of the top-k hits, 0 for none
     * @param perElement the per-element losses to report, or null when they went to a sink
     * @param gradient the gradient to report, or null
     * @param predictions the predicted classes to report, or null
     * @param device the name of the device that computed it
     * @return the reduced result
     */
    public LossResult result(
            Reduction red,
            double divisor,
            long validRows,
            int topK,
            Tensor perElement,
            Tensor gradient,
            Tensor predictions,
            String device) {
        double value, zLoss = Double.NaN;
        double zs = anyZ ? z.value() : 0;
        switch (red) {
            case SUM: {
                ExactSum total = new ExactSum();
                total.add(ce);
                total.add(z);
                value = total.value();
                break;
            }
            // with z-loss the two parts are divided apart (an infinite z part leaves the cross-entropy part finite)
            case MEAN:
            case BATCHMEAN:
                value = anyZ ? ce.value() / divisor + zs / validRows : ce.value() / divisor;
                break;
            default:
                value = Double.NaN;
        }
        if (anyZ && red != Reduction.NONE) zLoss = red == Reduction.SUM ? zs : zs / validRows;
        LossResult.Extras extras =
                new LossResult.Extras(gradient, anyHits1 ? hits1 : -1, anyHitsK ? hitsK : -1, topK, predictions, null);
        if (anyEntropy) {
            ExactSum h = new ExactSum();
            h.add(entropy);
            extras = extras.withRowStatistics(null, null, h, entropyRows);
        }
        return new LossResult(red, value, perElement, divisor, validRows, device, extras, zLoss);
    }
}
