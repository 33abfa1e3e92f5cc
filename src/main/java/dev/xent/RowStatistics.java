package dev.xent;

/**
 * Per-row statistics of the logits that evaluation wants beside the loss: log-sum-exp (as Cut Cross-Entropy returns
 * it, lse = m + log Σ exp(x − m)) and the predictive entropy H = −Σ p log p = lse − Σ p x. float64 row by row over a
 * second pass of the logits (not fused into the loss's pass); a row of -inf or with NaN gives NaN, one with +inf NaN.
 */
public final class RowStatistics {
    /** Per-row lse and entropy of a block, the target's layout (rows of the block in order). */
    public final double[] lse, entropy;

    private RowStatistics(double[] lse, double[] entropy) {
        this.lse = lse;
        this.entropy = entropy;
    }

    /**
     * The statistics of the rows of {@code p} (a block or a whole request whose rows fit arrays).
     *
     * @param p the problem whose input logits are read
     * @return one lse and one entropy per row
     * @throws InvalidInputException if {@code p}'s rows do not fit one Java array
     */
    public static RowStatistics of(LossProblem p) {
        int n = Backend.checkRowsFit(p);
        RowLayout rl = p.layout();
        int c = rl.classes;
        double[] lse = new double[n], h = new double[n], xs = new double[c];
        for (int r = 0; r < n; r++) {
            p.input().readDoubles(rl.rowStart(r), rl.inner, xs, 0, c);
            double m = Double.NEGATIVE_INFINITY;
            for (double v : xs) m = Math.max(m, v);
            double s = 0, sx = 0;
            for (double v : xs) {
                double e = Math.exp(v - m);
                s += e;
                if (e != 0) sx += e * (v - m); // a class of probability 0 adds 0 to the entropy (0 log 0 = 0)
            }
            double logS = Math.log(s);
            lse[r] = m + logS;
            h[r] = logS - sx / s; // -Σ p (x − m − logS) = logS − Σ p (x − m)
        }
        return new RowStatistics(lse, h);
    }
}
