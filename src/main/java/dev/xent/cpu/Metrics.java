package dev.xent.cpu;

import dev.xent.LossProblem;
import dev.xent.Outputs;

/**
 * Per-row top-1 and top-k hits and predicted classes, as the reference path defines them (ties to the lower index,
 * NaN as the maximum), found from the row's max: the first index holding it, and a count of the classes ranked
 * above the target. Rows with NaN (or +inf, or only -inf) take the reference's scalar argmax.
 */
final class Metrics {
    final byte[] hit1, hitK;
    final long[] pred;
    final int k;

    Metrics(LossProblem p, int rows) {
        Outputs o = p.outputs();
        this.k = o.topK();
        this.hit1 = o.accuracy() || k > 0 ? new byte[rows] : null;
        this.hitK = k > 0 ? new byte[rows] : null;
        this.pred = o.predictions() ? new long[rows] : null;
    }

    /** Row r of c values at a[off], with max m and log-sum logS (NaN for odd rows); y is -1 for no target. */
    void row(RowMath math, int r, float[] a, int off, int c, float m, float logS, int y) {
        boolean odd = Float.isNaN(m) || Float.isNaN(logS);
        int best = -1;
        if (pred != null || odd) best = odd ? argmax(a, off, c) : math.firstIndexOf(a, off, c, m);
        if (pred != null) pred[r] = best;
        if (y < 0 || hit1 == null) return;
        float xy = a[off + y];
        boolean top1 = best >= 0 ? best == y : xy == m && math.firstIndexOf(a, off, y, m) < 0;
        hit1[r] = (byte) (top1 ? 1 : 0);
        if (hitK != null) hitK[r] = (byte) (top1 || math.countAbove(a, off, c, xy, y) < k ? 1 : 0);
    }

    /** Row r of a float64 input, its logits x; y is -1 for no target. */
    void row(int r, double[] x, int y) {
        int best = 0;
        for (int j = 1; j < x.length; j++) {
            if (Double.isNaN(x[best])) break;
            if (x[j] > x[best] || Double.isNaN(x[j])) best = j;
        }
        if (pred != null) pred[r] = best;
        if (y < 0 || hit1 == null) return;
        hit1[r] = (byte) (best == y ? 1 : 0);
        if (hitK == null) return;
        int above = 0; // larger logits, and equal ones at lower indices
        for (int j = 0; j < x.length; j++) if (x[j] > x[y] || (x[j] == x[y] && j < y)) above++;
        hitK[r] = (byte) (above < k ? 1 : 0);
    }

    /** {@return hits counted over rows [0, n): top-1 (index 0) and top-k (index 1), -1 where not computed} */
    long[] counts() {
        long h1 = 0, hk = 0; // ignored rows hold 0
        if (hit1 != null) for (byte b : hit1) h1 += b;
        if (hitK != null) for (byte b : hitK) hk += b;
        return new long[] {hit1 != null ? h1 : -1, hitK != null ? hk : -1};
    }

    /** Index of the first maximum; NaN counts as the maximum (as torch.argmax and the reference). */
    static int argmax(float[] a, int off, int c) {
        int best = 0;
        for (int j = 1; j < c; j++) {
            if (Float.isNaN(a[off + best])) break;
            if (a[off + j] > a[off + best] || Float.isNaN(a[off + j])) best = j;
        }
        return best;
    }
}
