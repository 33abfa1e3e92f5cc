package dev.xent.cpu;

import dev.xent.Backend;
import dev.xent.DType;
import dev.xent.Half;
import dev.xent.InvalidInputException;
import dev.xent.LossKind;
import dev.xent.LossProblem;
import dev.xent.LossResult;
import dev.xent.Outputs;
import dev.xent.RowLayout;
import dev.xent.Tensor;
import dev.xent.internal.Futures;
import dev.xent.stream.ExactSum;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

// Over 400 lines: Every Backend entry point of the CPU path, each a short dispatch to its row kernel, plus the one
// thread pool they share.
/**
 * The fast CPU path: float32 arithmetic (float64 for float64 inputs), rows spread over a fixed pool of threads, and
 * per-row max and sum of exponentials taken block by block, each block in one loop against the running max (see
 * {@code RowStats}), so each logit is read from memory once. Vectorised with jdk.incubator.vector when present.
 */
public final class CpuBackend implements Backend {
    private static final Logger LOG = LoggerFactory.getLogger(CpuBackend.class);
    private static final java.util.concurrent.atomic.AtomicBoolean TOLD_NO_VECTOR =
            new java.util.concurrent.atomic.AtomicBoolean();
    /** See {@link dev.xent.Settings.Tuning#CPU_PARALLEL_ELEMENTS}. */
    private static final long PARALLEL_THRESHOLD = dev.xent.Settings.Tuning.CPU_PARALLEL_ELEMENTS;
    /** See {@link dev.xent.Settings.Tuning#CPU_GROUP_ELEMENTS}. */
    static final int GROUP_ELEMENTS = dev.xent.Settings.Tuning.CPU_GROUP_ELEMENTS;

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

    /**
     * Waits up to the given seconds until the vector short-row loops are compiled (until then the CPU path runs their
     * exact scalar twin, same bits, see VectorWarmup): benchmarks call this so that they time the compiled loops.
     *
     * @param seconds the longest wait
     * @return true if they are ready, or if this JVM has no Vector API
     * @throws InterruptedException if the wait is interrupted
     */
    public static boolean awaitCompiledLoops(long seconds) throws InterruptedException {
        return !vectorModulePresent() || VectorWarmup.awaitShortRows(seconds, java.util.concurrent.TimeUnit.SECONDS);
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
        if (p.input().dtype() == DType.F64) return lossF64(p, rows);
        if (p.needsTrainingPath()) return lossWithOutputs(p, rows);
        float[] out = new float[rows];
        BadTarget bad = new BadTarget();
        ExactSum total = new ExactSum();
        forEachRowRange(rows, (long) rows * p.classes(), (lo, hi) -> {
            new FloatRows(p, math).run(lo, hi, out, bad);
            sumRange(total, out, lo, hi);
        });
        if (bad.row >= 0) throw p.badTarget(bad.row, bad.value);
        return p.finish(Tensor.of(out, rows), name(), LossResult.Extras.NONE.withLossSum(total));
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

    private static void sumRange(ExactSum total, double[] out, int lo, int hi) {
        ExactSum part = new ExactSum();
        part.addAll(out, lo, hi - lo);
        merge(total, part);
    }

    /**
     * The loss of float32 (or float16, bfloat16) rows with what the request adds (gradient, accuracy, top-k,
     * predictions, z-loss, softcap), in float32 rows that write each row's gradient while the row is in cache.
     */
    private LossResult lossWithOutputs(LossProblem p, int rows) {
        Outputs o = p.outputs();
        boolean mean = p.spec().reduction() == dev.xent.Reduction.MEAN;
        float rs = o.gradient() && mean ? (float) (1 / p.totals().divisor()) : 1;
        DType dt = p.input().dtype();
        int n = o.gradient() ? Backend.checkElementsFit(p.input()) : 0;
        float[] g32 = o.gradient() && dt == DType.F32 ? new float[n] : null;
        short[] g16 = o.gradient() && dt != DType.F32 ? new short[n] : null;
        Metrics mt = o.accuracy() || o.predictions() ? new Metrics(p, rows) : null;
        boolean z = p.spec().zLossScale() != 0;
        double[] zRow = z ? new double[rows] : null, ceRow = z ? new double[rows] : null;
        double zScale = z && mean ? 1.0 / p.totals().validRows() : 1;
        float[] out = new float[rows];
        float[] lse = o.rowStatistics() ? new float[rows] : null, h = o.rowStatistics() ? new float[rows] : null;
        EntropySum hs = new EntropySum();
        BadTarget bad = new BadTarget();
        ExactSum total = new ExactSum();
        forEachRowRange(rows, (long) rows * p.classes() * (o.gradient() ? 2 : 1), (lo, hi) -> {
            FloatRows fr = new FloatRows(p, math, rs, g32, g16, mt)
                    .zTerms(zRow, ceRow, zScale)
                    .rowStatistics(lse, h);
            fr.run(lo, hi, out, bad);
            if (!z) sumRange(total, out, lo, hi);
            if (lse != null) hs.merge(fr.entropySum());
        });
        if (bad.row >= 0) throw p.badTarget(bad.row, bad.value);
        Tensor grad = g32 != null
                ? Tensor.of(g32, p.input().shape())
                : g16 != null ? Tensor.ofHalfBits(dt, g16, p.input().shape()) : null;
        LossResult.Extras e = extras(p, grad, mt, zRow, ceRow, z ? null : total);
        if (lse != null) e = e.withRowStatistics(Tensor.of(lse, rows), Tensor.of(h, rows), hs.sum, hs.rows);
        return p.finish(Tensor.of(out, rows), name(), e);
    }

    /** The loss of float64 rows, with whatever the request adds, in float64 rows. */
    private LossResult lossF64(LossProblem p, int rows) {
        Outputs o = p.outputs();
        double[] out = new double[rows];
        double[] grad = o.gradient() ? new double[Backend.checkElementsFit(p.input())] : null;
        Metrics mt = o.accuracy() || o.predictions() ? new Metrics(p, rows) : null;
        boolean z = p.spec().zLossScale() != 0;
        double[] zRow = z ? new double[rows] : null, ceRow = z ? new double[rows] : null;
        double[] lse = o.rowStatistics() ? new double[rows] : null, h = o.rowStatistics() ? new double[rows] : null;
        EntropySum hs = new EntropySum();
        BadTarget bad = new BadTarget();
        ExactSum total = new ExactSum();
        forEachRowRange(rows, (long) rows * p.classes() * (grad != null ? 2 : 1), (lo, hi) -> {
            DoubleRows dr = new DoubleRows(p, grad, mt, zRow, ceRow).rowStatistics(lse, h);
            dr.run(lo, hi, out, bad);
            if (!z) sumRange(total, out, lo, hi);
            if (lse != null) hs.merge(dr.entropySum());
        });
        if (bad.row >= 0) throw p.badTarget(bad.row, bad.value);
        Tensor g = grad != null ? Tensor.of(grad, p.input().shape()) : null;
        LossResult.Extras e = extras(p, g, mt, zRow, ceRow, z ? null : total);
        if (lse != null) e = e.withRowStatistics(Tensor.of(lse, rows), Tensor.of(h, rows), hs.sum, hs.rows);
        return p.finish(Tensor.of(out, rows), name(), e);
    }

    /**
     * The extras of a loss call: with z-loss the reduction sums the losses without z (ceRow) apart from the z terms,
     * exact even where l + z overflows; else it merges the threads' exact sum.
     */
    private static LossResult.Extras extras(
            LossProblem p, Tensor grad, Metrics mt, double[] zRow, double[] ceRow, ExactSum total) {
        long[] hits = mt != null ? mt.counts() : new long[] {-1, -1};
        int rows = (int) p.rows();
        LossResult.Extras e = new LossResult.Extras(
                grad,
                hits[0],
                hits[1],
                p.outputs().topK(),
                mt != null && mt.pred != null ? Tensor.of(mt.pred, p.outputShape()) : null,
                zRow != null ? Tensor.of(zRow, rows) : null,
                ceRow != null ? Tensor.of(ceRow, rows) : null);
        return total != null ? e.withLossSum(total) : e;
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
            forEachRowRange(n, work, (lo, hi) -> new DivergenceRowsF64(p).run(lo, hi, loss, div, ce, grad));
            return part(p, Tensor.of(loss, n), grad == null ? null : Tensor.of(grad, n, c), div, ce);
        }
        float[] loss = new float[n], grad = p.wantsGradient() ? new float[n * c] : null;
        forEachRowRange(n, work, (lo, hi) -> new DivergenceRowsF32(p, math).run(lo, hi, loss, div, ce, grad));
        return part(p, Tensor.of(loss, n), grad == null ? null : Tensor.of(grad, n, c), div, ce);
    }

    /** A block's result: its per-row losses and gradient, and the exact sums of its divergence and cross-entropy terms. */
    private static dev.xent.Divergence.Part part(
            dev.xent.Divergence p, Tensor loss, Tensor grad, double[] div, double[] ce) {
        ExactSum d = new ExactSum(), e = new ExactSum();
        d.addAll(div, 0, div.length);
        e.addAll(ce, 0, ce.length);
        return new dev.xent.Divergence.Part(loss, grad, d, e);
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
                    RowStats.rowStats(math, in32, (int) start + base, rl.classes, st);
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
                RowStats.rowStats(math, x, 0, rl.classes, st);
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
