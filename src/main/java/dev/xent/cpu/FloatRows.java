package dev.xent.cpu;

import dev.xent.DType;
import dev.xent.Half;
import dev.xent.LossKind;
import dev.xent.LossProblem;

// Over 400 lines: One row kernel: every option shares the row's stats and its pass over the row, so they stay in one
// loop.
/**
 * Per-row float32 loss for one range of rows, with whatever else the request asks (gradient, accuracy, top-k,
 * predictions, z-loss, softcap); owns its scratch buffers. The reference path defines every value; this is the CPU's
 * own float32 arithmetic for them, held to it by the contract tests.
 */
final class FloatRows {
    private final LossProblem p;
    private final RowMath math;
    private final int c;
    private final float[] inPlace; // the logits array when rows can be read where they lie (or a group copy)
    private final float[] row; // scratch for rows that must be gathered or converted
    private final short[] halfBits; // float16 / bfloat16 logits whose rows lie contiguous: converted by math
    private long base; // row r's class 0 is at inPlace / halfBits [rowStart(r) + base]
    private final int groupRows; // > 0: contiguous rows outside the heap are copied this many at a time
    private final boolean direct; // float32 rows of a mapped file, plain loss: read in place by vector loads
    private final boolean bf16;
    private final boolean statsFromBits; // halfBits rows go straight to rowStatsHalf, never converted whole
    private final float[] widened; // short half rows of a cross-entropy: a chunk converted to float32 first
    private final float[] weights; // float32 class weights or null
    private final float[] mix; // probability targets: t' * w per class
    private final float weightTotal; // sum of weights (C without weights), for label smoothing
    private final float[] stats = new float[2];
    private float[] shortMax, shortLogS; // short rows: one group's maxima and log-sums
    private final float rs; // gradient scale: 1/W for 'mean', else 1
    private final float[] grad32; // gradient out (float32 input) or null
    private final short[] grad16; // gradient out (float16 / bfloat16 input) or null
    private final float[] g; // one row of gradient
    private final Metrics metrics; // accuracy, top-k, predictions, or null
    private final double cap; // softcap: the loss sees cap * tanh(x / cap); 0 for none
    private final float[] raw, capped; // with a softcap: the row as read, and capped
    private final double zs; // z-loss scale, 0 for none
    private double zScale = 1; // z-loss gradient scale: 1 / (non-ignored rows) for 'mean', else 1
    private double[] zRow, ceRow; // with z-loss: each row's z term, and its loss without it
    private float[] lseOut, entropyOut; // with row statistics: each row's log-sum-exp and entropy
    private final EntropySum entropySum = new EntropySum(); // the entropies of this range's counted rows
    // rows with a gradient: the stats pass leaves each exp in the row's gradient (grad32 in place, else g), so the
    // gradient needs no second exp per value; the blocks' references, and whether the current row's exps were kept
    private final float[] keepRefs;
    private boolean kept;

    FloatRows(LossProblem p, RowMath math) {
        this(p, math, 1, null, null, null);
    }

    FloatRows(LossProblem p, RowMath math, float rs, float[] grad32, short[] grad16) {
        this(p, math, rs, grad32, grad16, null);
    }

    FloatRows(LossProblem p, RowMath math, float rs, float[] grad32, short[] grad16, Metrics metrics) {
        this.p = p;
        this.metrics = metrics;
        this.rs = rs;
        this.grad32 = grad32;
        this.grad16 = grad16;
        this.g = grad32 != null || grad16 != null ? new float[p.classes()] : null;
        this.math = math;
        this.c = p.classes();
        this.bf16 = p.input().dtype() == DType.BF16;
        this.cap = p.spec().softcap();
        this.zs = p.spec().zLossScale();
        this.raw = cap > 0 ? new float[c] : null;
        this.capped = cap > 0 ? new float[c] : null;
        boolean half = p.input().dtype() == DType.F16 || bf16;
        boolean plain = p.kind() == LossKind.CROSS_ENTROPY
                && !p.probabilityTarget()
                && p.spec().labelSmoothing() == 0
                && grad32 == null
                && grad16 == null
                && metrics == null
                && cap == 0
                && zs == 0
                && !p.outputs().rowStatistics();
        this.direct = plain
                && p.inner() == 1
                && !p.input().isArrayBacked()
                && p.input().dtype() == DType.F32
                && c > VectorRowMath.MANY_ROWS_MAX_CLASSES;
        if (direct) {
            this.groupRows = 0;
            this.inPlace = null;
            this.halfBits = null;
        } else if (p.inner() == 1
                && !p.input().isArrayBacked()
                && (half || p.input().dtype() == DType.F32)) {
            // rows in a mapped file or in shards: copied a group at a time (in cache) and read in place there, so
            // the same loops, and the same bits, as for rows in a Java array
            this.groupRows = Math.max(1, CpuBackend.GROUP_ELEMENTS / Math.max(1, c));
            this.inPlace = half ? null : new float[groupRows * c];
            this.halfBits = half ? new short[groupRows * c] : null;
        } else {
            this.groupRows = 0;
            this.inPlace = p.inner() == 1 ? p.input().floatArrayOrNull() : null;
            this.halfBits = p.inner() == 1 ? p.input().halfBitsArrayOrNull() : null;
            this.base = p.input().arrayOffset();
        }
        // a plain class-index loss needs only the row's stats and its target's logit: read those from the bits.
        // bfloat16 only: with float16's longer conversion in the loop, C2 boxed its vectors (125 ms against 50 for
        // converting each row first, 8192 x 32000)
        boolean shortRows = c <= VectorRowMath.MANY_ROWS_MAX_CLASSES && p.kind() == LossKind.CROSS_ENTROPY;
        this.statsFromBits = halfBits != null && bf16 && plain && !shortRows;
        // half rows widened to float32 take float32's many-row stats, so they give the bits of their float32 twin
        this.widened = halfBits != null && shortRows
                ? new float[Math.max(1, CpuBackend.GROUP_ELEMENTS / Math.max(1, c)) * c]
                : null;
        this.row = inPlace == null ? new float[c] : null;
        double[] w = p.weights();
        if (w != null) {
            weights = new float[c];
            double t = 0;
            for (int k = 0; k < c; k++) {
                weights[k] = (float) w[k];
                t += weights[k];
            }
            weightTotal = (float) t;
        } else {
            weights = null;
            weightTotal = c;
        }
        this.mix = p.probabilityTarget() ? new float[c] : null;
        this.keepRefs = g != null && cap == 0 && !statsFromBits
                ? new float[(c + VectorRowMath.BLOCK - 1) / VectorRowMath.BLOCK]
                : null;
    }

    void run(int lo, int hi, float[] out, BadTarget bad) {
        if (direct) {
            runInPlace(lo, hi, out, bad);
            return;
        }
        if (groupRows == 0 && widened == null) {
            runRows(lo, hi, out, bad, inPlace, base);
            return;
        }
        int chunk = groupRows > 0 ? groupRows : widened.length / c;
        for (int g = lo; g < hi; g += chunk) {
            int gh = Math.min(hi, g + chunk);
            long first = p.rowStart(g);
            int n = (gh - g) * c;
            if (groupRows > 0) {
                if (halfBits != null) p.input().readHalfBits(first, halfBits, 0, n);
                else p.input().readFloats(first, 1, inPlace, 0, n);
                base = -first;
            }
            if (widened != null) {
                math.halfToFloat(halfBits, (int) (first + base), widened, 0, n, bf16);
                runRows(g, gh, out, bad, widened, -first);
            } else {
                runRows(g, gh, out, bad, inPlace, base);
            }
        }
    }

    /**
     * The plain loss over float32 rows of a mapped file, each read where it lies (a row that straddles two
     * mappings is copied first): the arithmetic of {@link #runRows}, so the same bits, without a copy of the rows.
     */
    private void runInPlace(int lo, int hi, float[] out, BadTarget bad) {
        for (int r = lo; r < hi; r++) {
            long y = p.targetOf(r);
            if (p.isIgnored(y)) {
                out[r] = 0;
                continue;
            }
            if (y < 0 || y >= c) {
                bad.report(r, y);
                out[r] = 0;
                continue;
            }
            long start = p.rowStart(r);
            java.nio.ByteBuffer b = p.input().region(start, c);
            float xy;
            if (b != null) {
                math.rowMaxAndSumExp(b, c, stats);
                RowStats.logOfSum(stats);
                xy = b.getFloat(4 * (int) y);
            } else {
                p.input().readFloats(start, 1, row, 0, c);
                RowStats.rowStats(math, row, 0, c, stats);
                xy = row[(int) y];
            }
            float wy = weights == null ? 1f : weights[(int) y];
            out[r] = (float) (wy * ((double) (stats[0] - xy) + stats[1]));
        }
    }

    /** Rows [lo, hi); flat (or null) holds them as float32 where row r's class 0 is at flat[rowStart(r) + flatBase]. */
    private void runRows(int lo, int hi, float[] out, BadTarget bad, float[] flat, long flatBase) {
        double eps = p.spec().labelSmoothing();
        // short contiguous rows: the stats of a group of rows in one call, many rows per vector, then the group's
        // losses while its rows are still in cache
        float[] manyMax = null, manyLogS = null;
        if (flat != null
                && cap == 0
                && c <= VectorRowMath.MANY_ROWS_MAX_CLASSES
                && p.kind() == LossKind.CROSS_ENTROPY
                && hi > lo) {
            int group = Math.max(1, CpuBackend.GROUP_ELEMENTS / c);
            if (hi - lo > group) {
                for (int g0 = lo; g0 < hi; g0 += group) runRows(g0, Math.min(hi, g0 + group), out, bad, flat, flatBase);
                return;
            }
            if (shortMax == null) {
                shortMax = new float[group];
                shortLogS = new float[group];
            }
            manyMax = shortMax;
            manyLogS = shortLogS;
            math.manyRowStats(flat, (int) (p.rowStart(lo) + flatBase), hi - lo, c, manyMax, manyLogS);
            if (!p.probabilityTarget() && metrics == null && g == null && eps == 0 && zs == 0 && lseOut == null) {
                plainShortRows(lo, hi, out, bad, flat, (int) (p.rowStart(lo) + flatBase), manyMax, manyLogS);
                return;
            }
        }
        for (int r = lo; r < hi; r++) {
            long start = p.rowStart(r);
            float[] a;
            int off;
            if (flat != null) {
                a = flat;
                off = (int) (start + flatBase);
            } else if (statsFromBits) {
                a = null;
                off = (int) (start + base);
            } else {
                if (halfBits != null) math.halfToFloat(halfBits, (int) (start + base), row, 0, c, bf16);
                else p.input().readFloats(start, p.inner(), row, 0, c);
                a = row;
                off = 0;
            }
            float[] seen = a; // the logits as read: metrics rank these, the softcap's slope is taken at these
            int seenOff = off;
            if (cap > 0) {
                for (int k = 0; k < c; k++) {
                    float v = a[off + k];
                    raw[k] = v;
                    capped[k] = (float) (cap * Math.tanh(v / cap));
                }
                seen = raw;
                seenOff = 0;
                a = capped;
                off = 0;
            }

            if (p.probabilityTarget()) {
                rowStatsFor(r - lo, start, a, off, manyMax, manyLogS);
                float m = stats[0], logS = stats[1];
                if (metrics != null) metrics.row(math, r, seen, seenOff, c, cap > 0 ? Float.NaN : m, logS, -1);
                if (lseOut != null) statistics(r, a, off, m, logS, true);
                p.target().readFloats(start, p.inner(), mix, 0, c);
                double mixTotal = 0;
                for (int k = 0; k < c; k++) {
                    float t = eps > 0 ? (float) (mix[k] * (1 - eps) + eps / c) : mix[k];
                    mix[k] = weights == null ? t : t * weights[k];
                    mixTotal += mix[k];
                }
                // -sum t'w (x - m - logS) = sum t'w (m - x) + logS * sum t'w: two non-negative terms, no
                // cancellation
                double l = math.sumWeightedGap(a, off, c, m, mix) + logS * mixTotal;
                if (Double.isInfinite(mixTotal)) l = infiniteTargets(a, off, m, logS); // inf · 0 would be NaN
                out[r] = withZ(r, l, m, logS);
                if (g != null) gradient(r, a, off, m, logS, (float) (rs * mixTotal + zSlope(m, logS)), rs, mix, -1, 0);
                continue;
            }
            long y = p.targetOf(r);
            boolean valid = !p.isIgnored(y) && y >= 0 && y < c;
            // once per row: the loss (cross-entropy) and the metrics (every row, ignored ones too) both use them
            if (metrics != null || lseOut != null || (valid && p.kind() == LossKind.CROSS_ENTROPY))
                rowStatsFor(r - lo, start, a, off, manyMax, manyLogS);
            if (lseOut != null) statistics(r, a, off, stats[0], stats[1], valid);
            if (metrics != null)
                metrics.row(math, r, seen, seenOff, c, cap > 0 ? Float.NaN : stats[0], stats[1], valid ? (int) y : -1);
            if (p.isIgnored(y)) {
                out[r] = 0;
                if (g != null) zeroGradient(r);
                continue;
            }
            if (y < 0 || y >= c) {
                bad.report(r, y);
                out[r] = 0;
                continue;
            }
            float wy = weights == null ? 1f : weights[(int) y];
            if (p.kind() == LossKind.NLL) {
                out[r] = -wy * a[off + (int) y];
                if (g != null) {
                    zeroGradient(r);
                    store(r, (int) y, -rs * wy);
                }
                continue;
            }
            float m = stats[0], logS = stats[1];
            float xy = statsFromBits
                    ? (bf16 ? Half.bf16ToFloat(halfBits[off + (int) y]) : Half.toFloat(halfBits[off + (int) y]))
                    : a[off + (int) y];
            // -(x_y - m - logS) formed as (m - x_y) + logS: exact for huge logits, where lse - x_y would round
            double l = wy * ((double) (m - xy) + logS);
            if (eps > 0) {
                double smooth = math.sumWeightedGap(a, off, c, m, weights) + (double) logS * weightTotal;
                l = (1 - eps) * l + eps / c * smooth;
            }
            out[r] = withZ(r, l, m, logS);
            if (g != null) { // A p_j - B u_j - [j = y] Cy, as in cuda/xent_grad.ptx
                float a1 = (float) (rs * ((1 - eps) * wy + (eps > 0 ? eps / c * weightTotal : 0)) + zSlope(m, logS));
                gradient(r, a, off, m, logS, a1, (float) (rs * eps / c), weights, (int) y, (float)
                        (rs * (1 - eps) * wy));
            }
        }
    }

    /**
     * The loss of short contiguous rows [lo, hi) from their stats, the first at flat[first]: the arithmetic of the
     * general loop below (so the same bits), with the group's targets read at once and nothing else per row.
     */
    private void plainShortRows(
            int lo, int hi, float[] out, BadTarget bad, float[] flat, int first, float[] max, float[] logS) {
        long ignore = p.spec().ignoreIndex();
        long[] ys = new long[hi - lo];
        p.target().readLongs(lo, ys, 0, hi - lo);
        for (int i = 0; i < hi - lo; i++) {
            int r = lo + i;
            long y = ys[i];
            if (y == ignore) {
                out[r] = 0;
                continue;
            }
            if (y < 0 || y >= c) {
                bad.report(r, y);
                out[r] = 0;
                continue;
            }
            float wy = weights == null ? 1f : weights[(int) y];
            float xy = flat[first + i * c + (int) y];
            out[r] = (float) (wy * ((double) (max[i] - xy) + logS[i]));
        }
    }

    /**
     * -sum t'w (x - m - logS) as the formula reads, for a row whose targets hold an infinity: there the split form
     * multiplies inf by the max class's gap of 0 (NaN) where PyTorch's product with a log-probability gives inf.
     */
    private double infiniteTargets(float[] a, int off, float m, float logS) {
        double l = 0;
        for (int k = 0; k < c; k++) l -= mix[k] * (((double) a[off + k] - m) - logS);
        return l;
    }

    /**
     * With z-loss: sets where the row's z term and its loss without it go, and the z term's gradient scale (1 / the
     * non-ignored rows for 'mean', else 1).
     */
    FloatRows zTerms(double[] zRow, double[] ceRow, double zScale) {
        this.zRow = zRow;
        this.ceRow = ceRow;
        this.zScale = zScale;
        return this;
    }

    /** Sets where each row's log-sum-exp and entropy go ({@link dev.xent.Outputs#rowStatistics()}). */
    FloatRows rowStatistics(float[] lse, float[] entropy) {
        this.lseOut = lse;
        this.entropyOut = entropy;
        return this;
    }

    /** {@return the entropies of this instance's rows whose target is not ignored} */
    EntropySum entropySum() {
        return entropySum;
    }

    /**
     * Row r's lse = m + logS and entropy H = logS − Σ e (x − m) / S, e = exp(x − m), S = exp(logS) (−Σ p log p with
     * log p = (x − m) − logS), from the row's stats while it is in cache; NaN wherever the stats are.
     */
    private void statistics(int r, float[] a, int off, float m, float logS, boolean counted) {
        lseOut[r] = m + logS;
        float h = Float.isNaN(logS) ? Float.NaN : (float) (logS - math.sumExpTimesGap(a, off, c, m) * Math.exp(-logS));
        entropyOut[r] = h;
        if (counted) entropySum.add(h);
    }

    /** Row r's loss l, plus its z term zs · lse² (lse = m + logS) where z-loss is on; both parts kept for the sum. */
    private float withZ(int r, double l, float m, float logS) {
        if (zs == 0) return (float) l;
        double lse = (double) m + logS, z = zs * lse * lse;
        zRow[r] = z;
        ceRow[r] = l;
        return (float) (l + z);
    }

    /** The z term's share of the gradient's p_j coefficient: zScale · 2 · zs · lse (0 without z-loss). */
    private double zSlope(float m, float logS) {
        return zs == 0 ? 0 : zScale * 2 * zs * ((double) m + logS);
    }

    /**
     * stats = the row's max and log-sum: from the range's short-row stats (index i) if any, else from the row, whose
     * class 0 is at {@code start} in the input (and so in its gradient).
     */
    private void rowStatsFor(int i, long start, float[] a, int off, float[] manyMax, float[] manyLogS) {
        kept = false;
        if (manyMax != null) {
            stats[0] = manyMax[i];
            stats[1] = manyLogS[i];
        } else if (statsFromBits) {
            RowStats.rowStatsHalf(math, halfBits, bf16, off, c, stats);
        } else if (keepRefs != null) {
            boolean inPlace = grad32 != null && p.inner() == 1; // else the row's gradient is formed in g first
            int at = inPlace ? (int) start : 0;
            kept = math.rowMaxAndSumExpKeeping(a, off, c, stats, inPlace ? grad32 : g, at, keepRefs);
            RowStats.logOfSum(stats);
        } else {
            RowStats.rowStats(math, a, off, c, stats);
        }
    }

    /** One row of gradient: A p_j - B u_j (u = weights, or 1 where u is null), minus cy at class y. */
    private void gradient(
            int r, float[] a, int off, float m, float logS, float coefA, float coefB, float[] u, int y, float cy) {
        float invS = (float) Math.exp(-logS);
        long start = p.rowStart(r);
        if (grad32 != null && p.inner() == 1) { // written where it belongs, in one pass over the row
            if (kept) math.gradientFromKept(grad32, (int) start, c, keepRefs, m, invS, coefA, coefB, u);
            else math.gradientRow(a, off, c, m, invS, coefA, coefB, u, grad32, (int) start);
            if (y >= 0) grad32[(int) start + y] -= cy;
            if (cap > 0) capSlope(grad32, (int) start);
            return;
        }
        if (kept) math.gradientFromKept(g, 0, c, keepRefs, m, invS, coefA, coefB, u);
        else math.gradientRow(a, off, c, m, invS, coefA, coefB, u, g, 0);
        if (y >= 0) g[y] -= cy;
        if (cap > 0) capSlope(g, 0);
        for (int k = 0; k < c; k++) put(start + k * p.inner(), g[k]);
    }

    /** A row of gradient with respect to the capped logits, at gr[at], times the cap's slope 1 − tanh²(x / cap). */
    private void capSlope(float[] gr, int at) {
        for (int k = 0; k < c; k++) {
            double th = Math.tanh(raw[k] / cap);
            gr[at + k] = (float) (gr[at + k] * (1 - th * th));
        }
    }

    private void zeroGradient(int r) {
        long start = p.rowStart(r);
        if (grad32 != null && p.inner() == 1) {
            java.util.Arrays.fill(grad32, (int) start, (int) start + c, 0f);
            return;
        }
        for (int k = 0; k < c; k++) put(start + k * p.inner(), 0f);
    }

    private void store(int r, int k, float v) {
        put(p.rowStart(r) + (long) k * p.inner(), v);
    }

    private void put(long at, float v) {
        if (grad32 != null) grad32[(int) at] = v;
        else grad16[(int) at] = p.input().dtype() == DType.F16 ? Half.fromFloat(v) : Half.bf16FromFloat(v);
    }
}
