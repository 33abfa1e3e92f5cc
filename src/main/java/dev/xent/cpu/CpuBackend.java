package dev.xent.cpu;

import dev.xent.Backend;
import dev.xent.DType;
import dev.xent.Futures;
import dev.xent.Half;
import dev.xent.InvalidInputException;
import dev.xent.LossKind;
import dev.xent.LossProblem;
import dev.xent.LossResult;
import dev.xent.Outputs;
import dev.xent.RowLayout;
import dev.xent.Tensor;
import dev.xent.reference.TrainingRows;
import dev.xent.stream.ExactSum;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fast CPU path: float32 arithmetic (float64 for float64 inputs), rows spread over a fixed pool of threads, and
 * per-row max and sum of exponentials taken block by block, each block in one loop against the running max (see
 * {@link #rowStats}), so each logit is read from memory once. Vectorised with jdk.incubator.vector when present.
 */
public final class CpuBackend implements Backend {
    private static final Logger LOG = LoggerFactory.getLogger(CpuBackend.class);
    private static final java.util.concurrent.atomic.AtomicBoolean TOLD_NO_VECTOR =
            new java.util.concurrent.atomic.AtomicBoolean();
    /**
     * Below this many elements the work runs on the calling thread: handing it to the pool costs more. Measured here
     * (loss, 1000 classes, hot): 256 rows 53 us on one thread against 80 on two; 1024 rows 295 against 249.
     */
    private static final long PARALLEL_THRESHOLD = 1 << 20;
    /** Elements of one group of rows copied from outside the heap: a quarter of a core's L2 here, in float32. */
    static final int GROUP_ELEMENTS = 1 << 16;

    private final int threads;
    private final RowMath math;
    private final ExecutorService pool;
    private volatile boolean closed;

    /** All cores; the Vector API when present (unless -Dxent.cpu.vector=false). */
    public CpuBackend() {
        this(Runtime.getRuntime().availableProcessors(), dev.xent.Settings.cpuVector());
    }

    /**
     * A backend of its own pool of threads.
     *
     * @param threads threads the rows are spread over (1: the calling thread alone)
     * @param useVectorApi take the Vector API loops when the module is present (else the scalar ones)
     */
    public CpuBackend(int threads, boolean useVectorApi) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1");
        this.threads = threads;
        this.math = useVectorApi && vectorModulePresent() ? new VectorRowMath() : new ScalarRowMath();
        if (useVectorApi && !vectorModulePresent() && TOLD_NO_VECTOR.compareAndSet(false, true)) {
            // once per JVM, and a warning: the JVM flag is the user's to add, and without it every CPU call is slower
            LOG.warn("jdk.incubator.vector is not in this JVM: the CPU path runs its scalar loops; start java with"
                    + " --add-modules jdk.incubator.vector for the vectorised ones");
        }
        this.pool = threads == 1 ? null : Futures.daemonPool(threads, "xent-cpu");
    }

    /**
     * Runs the float32 row loops (rows in a Java array and in a mapped-like read-only buffer, long and short rows) on
     * small synthetic logits until {@code nanos} have passed, so that the JIT has compiled them before real work
     * arrives. Worth it only where something else would keep the cores idle meanwhile (a Spark session starting up):
     * the first rows of a run otherwise go through the interpreter, where the Vector API is far slower.
     *
     * @param nanos how long to keep running them
     */
    public static void warmUp(long nanos) {
        long end = System.nanoTime() + nanos;
        // many rows of 200 (the compile thresholds count calls) and a few of two blocks (every branch of the loop)
        Tensor[][] problems = {
            rows(256, 200, true),
            rows(4, VectorRowMath.BLOCK + 45, true),
            rows(256, 200, false),
            rows(4, VectorRowMath.BLOCK + 45, false),
            rows(2048, 40, false)
        };
        try (CpuBackend cpu = new CpuBackend(1, dev.xent.Settings.cpuVector())) {
            while (System.nanoTime() < end) {
                for (Tensor[] p : problems)
                    cpu.loss(LossProblem.of(LossKind.CROSS_ENTROPY, p[0], p[1], dev.xent.LossSpec.DEFAULT));
            }
        }
    }

    /** Random logits (in a Java array, or in a read-only direct buffer as a mapped file's are) and targets. */
    private static Tensor[] rows(int n, int c, boolean buffer) {
        java.util.Random r = new java.util.Random(7);
        float[] v = new float[n * c];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        long[] y = new long[n];
        for (int i = 0; i < n; i++) y[i] = r.nextInt(c);
        Tensor x = Tensor.of(v, n, c);
        if (buffer) {
            java.nio.ByteBuffer b =
                    java.nio.ByteBuffer.allocateDirect(4 * v.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(v);
            x = Tensor.ofSegments(DType.F32, 4, false, new java.nio.ByteBuffer[] {b.asReadOnlyBuffer()}, n, c);
        }
        return new Tensor[] {x, Tensor.of(y, n)};
    }

    /** {@return true when the incubating Vector API module was added to this JVM} */
    public static boolean vectorModulePresent() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /** {@return "vector(512-bit)" or "scalar": what the float32 loops run on} */
    public String mathName() {
        return math.name();
    }

    /** {@return the threads the rows are spread over} */
    public int threads() {
        return threads;
    }

    @Override
    public String name() {
        return "cpu";
    }

    // ------------------------------------------------------------------------------------------------ losses

    /**
     * The rows of {@code p} in memory: its per-row losses (and gradient, predictions) must fit Java arrays, which the
     * row blocks of {@link dev.xent.Xent} guarantee whatever the request's size.
     */
    @Override
    public LossResult loss(LossProblem p) {
        int rows = Backend.checkRowsFit(p);
        p.totals(); // every target checked, and W known, before any logit is read
        if (p.gradientOnly() && p.input().dtype() != DType.F64) return lossAndGradient(p);
        if (metricsOnly(p)) return lossWithMetrics(p);
        if (p.needsTrainingPath()) {
            // the gradient with metrics, z-loss, softcap: the reference's double-precision row math, spread over the
            // threads
            TrainingRows t = new TrainingRows(p, p.input().dtype());
            forEachRowRange(rows, (long) rows * p.classes() * 4, t::run);
            return t.result(name(), p.input().dtype() == DType.F64);
        }
        boolean f64 = p.input().dtype() == DType.F64;
        double[] out64 = f64 ? new double[rows] : null;
        float[] out32 = f64 ? null : new float[rows];
        BadTarget bad = new BadTarget();
        ExactSum total = new ExactSum();
        forEachRowRange(rows, (long) rows * p.classes(), (lo, hi) -> {
            ExactSum part = new ExactSum();
            if (f64) {
                new DoubleRows(p).run(lo, hi, out64, bad);
                part.addAll(out64, lo, hi - lo);
            } else {
                new FloatRows(p, math).run(lo, hi, out32, bad);
                part.addAll(out32, lo, hi - lo);
            }
            merge(total, part);
        });
        if (bad.row >= 0) throw p.badTarget(bad.row, bad.value);
        Tensor perRow = f64 ? Tensor.of(out64, rows) : Tensor.of(out32, rows);
        return p.finish(perRow, name(), LossResult.Extras.NONE.withLossSum(total));
    }

    /**
     * Each range's losses are summed exactly by the thread that wrote them, while they are in its cache, and merged
     * here: the reduction then needs no serial pass over the rows (order does not matter to an exact sum).
     */
    private static void merge(ExactSum total, ExactSum part) {
        synchronized (total) {
            total.add(part);
        }
    }

    private static void sumRange(ExactSum total, float[] out, int lo, int hi) {
        ExactSum part = new ExactSum();
        part.addAll(out, lo, hi - lo);
        merge(total, part);
    }

    /** Loss and gradient in float32: the loss row loop, writing each row's gradient while the row is in cache. */
    private LossResult lossAndGradient(LossProblem p) {
        int rows = (int) p.rows();
        double rs =
                p.spec().reduction() == dev.xent.Reduction.MEAN ? 1 / p.totals().divisor() : 1;
        DType dt = p.input().dtype();
        int n = Backend.checkElementsFit(p.input());
        float[] g32 = dt == DType.F32 ? new float[n] : null;
        short[] g16 = dt == DType.F32 ? null : new short[n];
        float[] out = new float[rows];
        BadTarget bad = new BadTarget();
        ExactSum total = new ExactSum();
        forEachRowRange(rows, (long) rows * p.classes(), (lo, hi) -> {
            new FloatRows(p, math, (float) rs, g32, g16).run(lo, hi, out, bad);
            sumRange(total, out, lo, hi);
        });
        if (bad.row >= 0) throw p.badTarget(bad.row, bad.value);
        Tensor grad = g32 != null
                ? Tensor.of(g32, p.input().shape())
                : Tensor.ofHalfBits(dt, g16, p.input().shape());
        return p.finish(
                Tensor.of(out, rows), name(), new LossResult.Extras(grad, -1, -1, 0, null, null).withLossSum(total));
    }

    /** Accuracy, top-k or predictions beside a plain class-index loss: the float32 row loop computes them too. */
    private static boolean metricsOnly(LossProblem p) {
        Outputs o = p.outputs();
        return !o.gradient()
                && (o.accuracy() || o.topK() > 0 || o.predictions())
                && p.spec().zLossScale() == 0
                && p.spec().softcap() == 0
                && !p.probabilityTarget()
                && p.input().dtype() != DType.F64;
    }

    private LossResult lossWithMetrics(LossProblem p) {
        int rows = (int) p.rows();
        Metrics mt = new Metrics(p, rows);
        float[] out = new float[rows];
        BadTarget bad = new BadTarget();
        ExactSum total = new ExactSum();
        forEachRowRange(rows, (long) rows * p.classes(), (lo, hi) -> {
            new FloatRows(p, math, 1, null, null, mt).run(lo, hi, out, bad);
            sumRange(total, out, lo, hi);
        });
        if (bad.row >= 0) throw p.badTarget(bad.row, bad.value);
        long h1 = 0, hk = 0; // ignored rows hold 0
        for (int r = 0; r < rows; r++) {
            if (mt.hit1 != null) h1 += mt.hit1[r];
            if (mt.hitK != null) hk += mt.hitK[r];
        }
        LossResult.Extras extras = new LossResult.Extras(
                        null,
                        mt.hit1 != null ? h1 : -1,
                        mt.hitK != null ? hk : -1,
                        p.outputs().topK(),
                        mt.pred != null ? Tensor.of(mt.pred, p.outputShape()) : null,
                        null)
                .withLossSum(total);
        return p.finish(Tensor.of(out, rows), name(), extras);
    }

    /**
     * Per-row top-1 and top-k hits and predicted classes, as {@link TrainingRows} defines them (ties to the lower index,
     * NaN as the maximum), found from the row's max: the first index holding it, and a count of the classes ranked
     * above the target. Rows with NaN (or +inf, or only -inf) take the reference's scalar argmax.
     */
    static final class Metrics {
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

        /** Index of the first maximum; NaN counts as the maximum (as torch.argmax and TrainingRows). */
        static int argmax(float[] a, int off, int c) {
            int best = 0;
            for (int j = 1; j < c; j++) {
                if (Float.isNaN(a[off + best])) break;
                if (a[off + j] > a[off + best] || Float.isNaN(a[off + j])) best = j;
            }
            return best;
        }
    }

    /** The lowest-numbered bad target any thread saw, so the error does not depend on scheduling. */
    static final class BadTarget {
        long row = -1, value;

        synchronized void report(long r, long v) {
            if (row < 0 || r < row) {
                row = r;
                value = v;
            }
        }
    }

    /** Per-row float32 loss for one range of rows; owns its scratch buffers. */
    static final class FloatRows {
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
            boolean half = p.input().dtype() == DType.F16 || bf16;
            boolean plain = p.kind() == LossKind.CROSS_ENTROPY
                    && !p.probabilityTarget()
                    && p.spec().labelSmoothing() == 0
                    && grad32 == null
                    && grad16 == null
                    && metrics == null;
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
                this.groupRows = Math.max(1, GROUP_ELEMENTS / Math.max(1, c));
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
            this.statsFromBits = halfBits != null
                    && bf16
                    && p.kind() == LossKind.CROSS_ENTROPY
                    && !p.probabilityTarget()
                    && p.spec().labelSmoothing() == 0
                    && grad32 == null
                    && grad16 == null
                    && metrics == null
                    && !shortRows;
            // half rows widened to float32 take float32's many-row stats, so they give the bits of their float32 twin
            this.widened =
                    halfBits != null && shortRows ? new float[Math.max(1, GROUP_ELEMENTS / Math.max(1, c)) * c] : null;
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
                    logOfSum(stats);
                    xy = b.getFloat(4 * (int) y);
                } else {
                    p.input().readFloats(start, 1, row, 0, c);
                    rowStats(math, row, 0, c, stats);
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
                    && c <= VectorRowMath.MANY_ROWS_MAX_CLASSES
                    && p.kind() == LossKind.CROSS_ENTROPY
                    && hi > lo) {
                int group = Math.max(1, GROUP_ELEMENTS / c);
                if (hi - lo > group) {
                    for (int g0 = lo; g0 < hi; g0 += group)
                        runRows(g0, Math.min(hi, g0 + group), out, bad, flat, flatBase);
                    return;
                }
                if (shortMax == null) {
                    shortMax = new float[group];
                    shortLogS = new float[group];
                }
                manyMax = shortMax;
                manyLogS = shortLogS;
                math.manyRowStats(flat, (int) (p.rowStart(lo) + flatBase), hi - lo, c, manyMax, manyLogS);
                if (!p.probabilityTarget() && metrics == null && g == null && eps == 0) {
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

                if (p.probabilityTarget()) {
                    rowStatsFor(r - lo, a, off, manyMax, manyLogS);
                    float m = stats[0], logS = stats[1];
                    p.target().readFloats(start, p.inner(), mix, 0, c);
                    double mixTotal = 0;
                    for (int k = 0; k < c; k++) {
                        float t = eps > 0 ? (float) (mix[k] * (1 - eps) + eps / c) : mix[k];
                        mix[k] = weights == null ? t : t * weights[k];
                        mixTotal += mix[k];
                    }
                    // -sum t'w (x - m - logS) = sum t'w (m - x) + logS * sum t'w: two non-negative terms, no
                    // cancellation
                    out[r] = (float) (math.sumWeightedGap(a, off, c, m, mix) + logS * mixTotal);
                    if (Double.isInfinite(mixTotal))
                        out[r] = (float) infiniteTargets(a, off, m, logS); // inf · 0 would be NaN
                    if (g != null) gradient(r, a, off, m, logS, (float) (rs * mixTotal), rs, mix, -1, 0);
                    continue;
                }
                long y = p.targetOf(r);
                boolean valid = !p.isIgnored(y) && y >= 0 && y < c;
                // once per row: the loss (cross-entropy) and the metrics (every row, ignored ones too) both use them
                if (metrics != null || (valid && p.kind() == LossKind.CROSS_ENTROPY))
                    rowStatsFor(r - lo, a, off, manyMax, manyLogS);
                if (metrics != null) metrics.row(math, r, a, off, c, stats[0], stats[1], valid ? (int) y : -1);
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
                out[r] = (float) l;
                if (g != null) { // A p_j - B u_j - [j = y] Cy, as in cuda/xent_grad.ptx
                    float a1 = (float) (rs * ((1 - eps) * wy + (eps > 0 ? eps / c * weightTotal : 0)));
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

        /** stats = the row's max and log-sum: from the range's short-row stats (index i) if any, else from the row. */
        private void rowStatsFor(int i, float[] a, int off, float[] manyMax, float[] manyLogS) {
            if (manyMax != null) {
                stats[0] = manyMax[i];
                stats[1] = manyLogS[i];
            } else if (statsFromBits) {
                rowStatsHalf(math, halfBits, bf16, off, c, stats);
            } else {
                rowStats(math, a, off, c, stats);
            }
        }

        /** One row of gradient: A p_j - B u_j (u = weights, or 1 where u is null), minus cy at class y. */
        private void gradient(
                int r, float[] a, int off, float m, float logS, float coefA, float coefB, float[] u, int y, float cy) {
            float invS = (float) Math.exp(-logS);
            long start = p.rowStart(r);
            if (grad32 != null && p.inner() == 1) { // written where it belongs, in one pass over the row
                math.gradientRow(a, off, c, m, invS, coefA, coefB, u, grad32, (int) start);
                if (y >= 0) grad32[(int) start + y] -= cy;
                return;
            }
            math.gradientRow(a, off, c, m, invS, coefA, coefB, u, g, 0);
            if (y >= 0) g[y] -= cy;
            for (int k = 0; k < c; k++) put(start + k * p.inner(), g[k]);
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

    /**
     * Row max (out[0]) and log of the sum of exp(x - max) (out[1]), each logit read from memory once (see
     * {@link RowMath#rowMaxAndSumExp}). A row of -inf (or NaN anywhere) gives NaN, as in PyTorch.
     */
    static void rowStats(RowMath math, float[] a, int off, int len, float[] out) {
        math.rowMaxAndSumExp(a, off, len, out);
        logOfSum(out);
    }

    /** {@link #rowStats} of a row of float16 (or bfloat16) bits. */
    static void rowStatsHalf(RowMath math, short[] a, boolean bf16, int off, int len, float[] out) {
        math.rowMaxAndSumExpHalf(a, bf16, off, len, out);
        logOfSum(out);
    }

    private static void logOfSum(float[] out) {
        // the sum holds exp(max - max) = 1, so it is at least 1; re-anchoring in float can round it just below, which
        // would make a near-certain row's loss slightly negative (Math.max keeps NaN)
        out[1] = out[0] == Float.NEGATIVE_INFINITY ? Float.NaN : (float) Math.log(Math.max(out[1], 1f));
    }

    /** Per-row float64 loss: plain two-pass loops in double (float64 inputs only). */
    static final class DoubleRows {
        private final LossProblem p;
        private final int c;
        private final double[] x, t;

        DoubleRows(LossProblem p) {
            this.p = p;
            this.c = p.classes();
            this.x = new double[c];
            this.t = p.probabilityTarget() ? new double[c] : null;
        }

        void run(int lo, int hi, double[] out, BadTarget bad) {
            double eps = p.spec().labelSmoothing();
            for (int r = lo; r < hi; r++) {
                long start = p.rowStart(r);
                p.input().readDoubles(start, p.inner(), x, 0, c);
                long y = -1;
                if (!p.probabilityTarget()) {
                    y = p.targetOf(r);
                    if (p.isIgnored(y)) {
                        out[r] = 0;
                        continue;
                    }
                    if (y < 0 || y >= c) {
                        bad.report(r, y);
                        continue;
                    }
                    if (p.kind() == LossKind.NLL) {
                        out[r] = -p.weight(y) * x[(int) y];
                        continue;
                    }
                }
                double m = Double.NEGATIVE_INFINITY, s = 0;
                for (int k = 0; k < c; k++) m = Math.max(m, x[k]);
                for (int k = 0; k < c; k++) s += Math.exp(x[k] - m);
                double logS = Math.log(s);
                if (p.probabilityTarget()) {
                    p.target().readDoubles(start, p.inner(), t, 0, c);
                    double l = 0;
                    for (int k = 0; k < c; k++) {
                        double tk = eps > 0 ? t[k] * (1 - eps) + eps / c : t[k];
                        l += tk * p.weight(k) * ((m - x[k]) + logS);
                    }
                    out[r] = l;
                    continue;
                }
                double l = p.weight(y) * ((m - x[(int) y]) + logS);
                if (eps > 0) {
                    double smooth = 0;
                    for (int k = 0; k < c; k++) smooth += p.weight(k) * ((m - x[k]) + logS);
                    l = (1 - eps) * l + eps / c * smooth;
                }
                out[r] = l;
            }
        }
    }

    /** Binary cross-entropy with logits: the elementwise float64 formulas, chunks of elements spread over the threads. */
    @Override
    public LossResult bce(dev.xent.BinaryCrossEntropy p) {
        return p.compute(
                name(),
                (chunks, body) -> forEachRowRange(chunks, (long) chunks << 16, (lo, hi) -> {
                    for (int k = lo; k < hi; k++) body.accept(k);
                }));
    }

    // ------------------------------------------------------------------------------------------------ distillation

    /** kl_div: the elementwise float64 formulas, chunks of elements spread over the threads. */
    @Override
    public LossResult klDiv(dev.xent.KlDivergence p) {
        return p.compute(
                name(),
                (chunks, body) -> forEachRowRange(chunks, (long) chunks << 16, (lo, hi) -> {
                    for (int k = lo; k < hi; k++) body.accept(k);
                }));
    }

    /** kd and jsd rows spread over the threads: float32 rows on the vector loops, float64 rows when either input is float64. */
    @Override
    public dev.xent.Divergence.Part divergence(dev.xent.Divergence p) {
        int n = p.rowsInMemory(), c = p.classes();
        p.validRows();
        double[] div = new double[n], ce = new double[n];
        long work = (long) n * c * 3;
        if (p.student().dtype() == DType.F64 || p.teacher().dtype() == DType.F64) {
            double[] loss = new double[n], grad = p.wantsGradient() ? new double[n * c] : null;
            forEachRowRange(
                    n, work, (lo, hi) -> new dev.xent.reference.DivergenceRows(p).run(lo, hi, loss, div, ce, grad));
            return dev.xent.reference.DivergenceRows.finish(p, loss, div, ce, grad);
        }
        float[] loss = new float[n], grad = p.wantsGradient() ? new float[n * c] : null;
        forEachRowRange(n, work, (lo, hi) -> new DivergenceRowsF32(p, math).run(lo, hi, loss, div, ce, grad));
        dev.xent.stream.ExactSum d = new dev.xent.stream.ExactSum(), e = new dev.xent.stream.ExactSum();
        d.addAll(div, 0, n);
        e.addAll(ce, 0, n);
        return new dev.xent.Divergence.Part(Tensor.of(loss, n), grad == null ? null : Tensor.of(grad, n, c), d, e);
    }

    // ------------------------------------------------------------------------------------------------ softmax

    @Override
    public Tensor softmax(Tensor input, int dim, boolean logOutput) {
        if (!input.dtype().isFloating())
            throw new InvalidInputException(
                    "softmax needs a floating input, got " + input.dtype().label());
        RowLayout rl = RowLayout.along(input.shape(), dim);
        int n = Backend.checkElementsFit(input);
        DType dt = input.dtype();
        if (dt == DType.F64) {
            double[] out = new double[n];
            forEachRowRange(rl.rows(), n, (lo, hi) -> {
                double[] x = new double[rl.classes];
                for (long r = lo; r < hi; r++) {
                    long start = rl.rowStart(r);
                    input.readDoubles(start, rl.inner, x, 0, rl.classes);
                    double m = Double.NEGATIVE_INFINITY, s = 0;
                    for (double v : x) m = Math.max(m, v);
                    for (double v : x) s += Math.exp(v - m);
                    double logS = Math.log(s);
                    for (int k = 0; k < rl.classes; k++) {
                        double lp = (x[k] - m) - logS;
                        out[(int) (start + k * rl.inner)] = logOutput ? lp : Math.exp(x[k] - m) / s;
                    }
                }
            });
            return Tensor.of(out, input.shape());
        }
        float[] out32 = dt == DType.F32 ? new float[n] : null;
        short[] out16 = dt == DType.F32 ? null : new short[n];
        float[] in32 = rl.inner == 1 ? input.floatArrayOrNull() : null;
        int base = input.arrayOffset();
        forEachRowRange(rl.rows(), n, (lo, hi) -> {
            float[] x = new float[rl.classes], y = new float[rl.classes], st = new float[2];
            short[] halfBits = rl.inner == 1 ? input.halfBitsArrayOrNull() : null;
            for (long r = lo; r < hi; r++) {
                long start = rl.rowStart(r);
                if (in32 != null) { // contiguous float32 rows: read in place, written in place
                    rowStats(math, in32, (int) start + base, rl.classes, st);
                    math.normalize(
                            in32,
                            (int) start + base,
                            rl.classes,
                            st[0],
                            st[1],
                            (float) Math.exp(-st[1]),
                            logOutput,
                            out32,
                            (int) start);
                    continue;
                }
                if (halfBits != null)
                    math.halfToFloat(halfBits, (int) start + base, x, 0, rl.classes, dt == DType.BF16);
                else input.readFloats(start, rl.inner, x, 0, rl.classes);
                rowStats(math, x, 0, rl.classes, st);
                math.normalize(x, 0, rl.classes, st[0], st[1], (float) Math.exp(-st[1]), logOutput, y, 0);
                for (int k = 0; k < rl.classes; k++) {
                    int at = (int) (start + k * rl.inner);
                    if (out32 != null) out32[at] = y[k];
                    else out16[at] = dt == DType.F16 ? Half.fromFloat(y[k]) : Half.bf16FromFloat(y[k]);
                }
            }
        });
        return out32 != null ? Tensor.of(out32, input.shape()) : Tensor.ofHalfBits(dt, out16, input.shape());
    }

    // ------------------------------------------------------------------------------------------------ threading

    interface RangeBody {
        void run(int lo, int hi);
    }

    /** Runs body over [0, rows) in contiguous ranges on the pool (or inline for small work), and waits for all. */
    private void forEachRowRange(long rows, long elements, RangeBody body) {
        if (closed) throw new IllegalStateException("CpuBackend is closed");
        int n = (int) rows;
        if (pool == null || elements < PARALLEL_THRESHOLD || n < 2) {
            body.run(0, n);
            return;
        }
        int parts = Math.min(n, threads * 4); // a few ranges per thread evens out rows of unequal cost
        // the calling thread takes ranges too, beside threads - 1 pool workers: one wake-up fewer per call
        AtomicInteger next = new AtomicInteger();
        Runnable worker = () -> {
            for (int i; (i = next.getAndIncrement()) < parts; )
                body.run((int) ((long) n * i / parts), (int) ((long) n * (i + 1) / parts));
        };
        List<Future<?>> fs = new ArrayList<>(threads - 1);
        try {
            for (int t = 0; t < threads - 1; t++) fs.add(pool.submit(worker));
        } catch (RejectedExecutionException e) {
            // closed since the check above: the workers already queued still run, this thread takes the other ranges
        }
        try {
            worker.run();
        } finally { // a range that failed here still waits for the workers, which finish the rest
            Futures.awaitAll(fs);
        }
    }

    /**
     * Refuses calls from now on (IllegalStateException); calls already running finish. shutdown, not shutdownNow:
     * shutdownNow would drop queued workers whose futures a caller is waiting for, and strand that caller.
     */
    @Override
    public void close() {
        closed = true;
        if (pool != null) pool.shutdown();
    }
}
