package dev.xent.stream;

import dev.xent.Backend;
import dev.xent.BinaryCrossEntropy;
import dev.xent.DType;
import dev.xent.InvalidInputException;
import dev.xent.LossProblem;
import dev.xent.LossResult;
import dev.xent.ResultSink;
import dev.xent.RowLayout;
import dev.xent.Settings;
import dev.xent.Tensor;
import dev.xent.internal.Futures;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

// Over 400 lines: The block loop of every loss kind with the delivery and gathering of its outputs, which they share.
/**
 * The one data path from inputs to results: a request is cut into row blocks along axis 0 (views of the inputs, which
 * may be memory-mapped files or shards of any size), each block is computed by the backend in memory, its per-row
 * results are summed exactly ({@link LossAccumulator}) and its outputs handed to a {@link ResultSink}, or gathered
 * into tensors when no sink is given. Memory is bounded by the block size ({@link Settings#blockElements()}), not by
 * the request; the result does not depend on the block size. With a sink, block k's outputs are delivered on another
 * thread while block k+1 is computed; at most those two blocks' outputs are alive.
 */
public final class BlockStream {
    private BlockStream() {}

    // ------------------------------------------------------------------------------------------------ losses

    /**
     * Cross-entropy or NLL of {@code p} on {@code backend}; per-element outputs to {@code sink}, or in memory when null.
     *
     * @param backend computes each block in memory
     * @param p the checked request
     * @param sink where per-element losses, the gradient and predictions go block by block, or null to gather them
     * @return the loss, reduced from exact sums over every block
     * @throws InvalidInputException for a class index out of range (before any logit is read), an upstream gradient
     *     of the wrong shape, or outputs gathered in memory that do not fit Java arrays
     */
    public static LossResult loss(Backend backend, LossProblem p, ResultSink sink) {
        Object[] parts = new Object[6];
        LossAccumulator acc = run(backend, p, sink, parts);
        LossResult r = acc.result(p, (Tensor) parts[0], (Tensor) parts[1], (Tensor) parts[2], (String) parts[3]);
        LossResult.Extras e = r.extras();
        return e.entropySum() == null
                ? r
                : r.withExtras(
                        e.withRowStatistics((Tensor) parts[4], (Tensor) parts[5], e.entropySum(), e.entropyRows()));
    }

    /**
     * The parts of {@code p}'s result, unreduced: its rows' exact sums, counts and target totals, to be merged with
     * other parts (a Spark task's rows) and reduced once. Per-element outputs go to {@code sink} (which may drop them).
     *
     * @param backend computes each block in memory
     * @param p the checked request (or the part of one a task holds)
     * @param sink where per-element outputs go; null drops them
     * @return the accumulated sums and counts, with {@code p}'s target totals added
     * @throws InvalidInputException for a class index out of range
     */
    public static LossAccumulator accumulate(Backend backend, LossProblem p, ResultSink sink) {
        LossAccumulator acc = run(backend, p, sink == null ? new ResultSink() {} : sink, new Object[6]);
        acc.addTotals(p.totals());
        return acc;
    }

    /**
     * The block loop; {@code gathered} receives the in-memory losses, gradient, predictions, the device name, and the
     * per-row log-sum-exp and entropy.
     */
    private static LossAccumulator run(Backend backend, LossProblem p, ResultSink sink, Object[] gathered) {
        p.totals(); // every target checked before any logit is read; W for gradients and 'mean'
        Tensor go = p.outputs().gradOutput();
        Upstream.check(go, p.spec().reduction(), p.outputShape());
        RowLayout rl = p.layout();
        long outer = p.outerSize();
        long slabElements = (long) rl.classes * rl.inner; // one index of axis 0
        long slabRows = rl.inner;
        boolean oneBlock = p.input().rank() == 1
                || (sink == null && p.input().isArrayBacked() && p.target().isArrayBacked());
        long perBlock =
                oneBlock ? Math.max(1, outer) : Math.max(1, Settings.blockElements() / Math.max(1, slabElements));
        if (!oneBlock
                && (slabRows > Tensor.MAX_ARRAY_ELEMENTS
                        || (p.outputs().gradient() && slabElements > Tensor.MAX_ARRAY_ELEMENTS))) {
            throw new InvalidInputException("one index of axis 0 of " + p.input() + " holds " + slabElements
                    + " elements: too many for one row block (blocks are cut along axis 0)");
        }
        checkMemory(p, Math.min(perBlock, Math.max(1, outer)) * slabElements);
        long rows = p.rows();
        Gather losses = null, gradient = null, predictions = null, lse = null, entropy = null;
        if (sink == null) {
            losses = new Gather("per-element losses", rows, p.outputShape());
            if (p.outputs().gradient())
                gradient =
                        new Gather("the gradient", p.input().numel(), p.input().shape());
            if (p.outputs().predictions()) predictions = new Gather("the predictions", rows, p.outputShape());
            if (p.outputs().rowStatistics()) {
                lse = new Gather("the log-sum-exp", rows, p.outputShape());
                entropy = new Gather("the entropy", rows, p.outputShape());
            }
        }
        LossAccumulator acc = new LossAccumulator();
        String device = backend.name();
        try (Delivery delivery = new Delivery(sink, outer > perBlock)) {
            for (long o = 0; o < Math.max(1, outer); o += perBlock) {
                long to = Math.min(outer, o + perBlock);
                LossProblem block = o == 0 && to >= outer ? p : p.block(o, to);
                LossResult r0 = backend.loss(block);
                long firstRow = o * slabRows, firstElement = o * slabElements, done = to * slabElements;
                LossResult r = go == null
                        ? r0
                        : r0.withExtras(r0.extras()
                                .withGradient(Upstream.apply(
                                        r0.gradient(), go, p.spec().reduction(), firstRow, rl.classes, rl.inner)));
                device = r.device();
                acc.add(r.perElement(), r.extras());
                if (sink == null) {
                    losses.put(firstRow, r.perElement());
                    if (gradient != null) gradient.put(firstElement, r.gradient());
                    if (predictions != null) predictions.put(firstRow, r.predictions());
                    if (lse != null) {
                        lse.put(firstRow, r.extras().lse());
                        entropy.put(firstRow, r.extras().entropy());
                    }
                } else {
                    delivery.submit(() -> {
                        sink.losses(firstRow, r.perElement());
                        if (r.gradient() != null) sink.gradient(firstElement, r.gradient());
                        if (r.predictions() != null) sink.predictions(firstRow, r.predictions());
                        if (r.extras().lse() != null)
                            sink.rowStatistics(
                                    firstRow, r.extras().lse(), r.extras().entropy());
                        sink.progress(done, p.input().numel());
                    });
                }
            }
        }
        gathered[0] = losses == null ? null : losses.tensor();
        gathered[1] = gradient == null ? null : gradient.tensor();
        gathered[2] = predictions == null ? null : predictions.tensor();
        gathered[3] = device;
        gathered[4] = lse == null ? null : lse.tensor();
        gathered[5] = entropy == null ? null : entropy.tensor();
        return acc;
    }

    /** Bytes of working memory per class of a row, per thread, at most (the float64 training rows: five arrays). */
    private static final long ROW_BYTES_PER_CLASS = 64;

    /**
     * Refuses, before any work, a request whose rows or row blocks cannot fit the heap: a row's scratch arrays on each
     * thread, and with a gradient, the block's gradient (a block is at least one index of axis 0), twice, as one block
     * is written while the next is computed. The message says what to change rather than ending in an OutOfMemoryError.
     */
    static void checkMemory(LossProblem p, long blockElements) {
        long heap = Runtime.getRuntime().maxMemory();
        long threads = Runtime.getRuntime().availableProcessors();
        long rowBytes = (long) p.classes() * ROW_BYTES_PER_CLASS * (threads + 1);
        if (rowBytes > heap / 2) {
            throw new InvalidInputException("rows of " + p.classes() + " classes need about " + (rowBytes >> 20)
                    + " MiB of working memory on " + threads + " threads, more than half the " + (heap >> 20)
                    + " MiB heap: give the JVM more (XENT_JVM_OPTS=-Xmx...)");
        }
        if (p.outputs().gradient()) {
            long gradBytes = blockElements
                    * (p.input().dtype() == dev.xent.DType.F64 ? 8 : 4)
                    * (blockElements < p.input().numel() ? 2 : 1);
            if (gradBytes > heap / 2) {
                throw new InvalidInputException(
                        "the gradient of one row block of " + blockElements + " elements (one index of axis 0 of "
                                + p.input() + " at least) needs about " + (gradBytes >> 20)
                                + " MiB, more than half the " + (heap >> 20)
                                + " MiB heap: give the JVM more (XENT_JVM_OPTS=-Xmx...)");
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ elementwise
    // losses

    /**
     * Binary cross-entropy with logits of {@code p}, in blocks of elements.
     *
     * @param backend computes each block in memory
     * @param p the checked request
     * @param sink where per-element losses and the gradient go block by block, or null to gather them
     * @return the loss, reduced from an exact sum
     * @throws InvalidInputException for an upstream gradient of the wrong shape
     */
    public static LossResult bce(Backend backend, BinaryCrossEntropy p, ResultSink sink) {
        return elementwise(
                p.size(),
                p.shape(),
                p.input().isArrayBacked(),
                p.outputs().gradient(),
                p.outputs().gradOutput(),
                p.spec().reduction(),
                backend.name(),
                (o, count) -> backend.bce(o == 0 && count == p.size() ? p : p.block(o, count)),
                p::result,
                sink);
    }

    /**
     * {@code F.kl_div} of {@code p}, in blocks of elements.
     *
     * @param backend computes each block in memory
     * @param p the checked request
     * @param sink where per-element values and the gradient go block by block, or null to gather them
     * @return the divergence, reduced from an exact sum
     * @throws InvalidInputException for an upstream gradient of the wrong shape
     */
    public static LossResult klDiv(Backend backend, dev.xent.KlDivergence p, ResultSink sink) {
        return elementwise(
                p.size(),
                p.shape(),
                p.input().isArrayBacked(),
                p.wantsGradient(),
                p.gradOutput(),
                p.reduction(),
                backend.name(),
                (o, count) -> backend.klDiv(o == 0 && count == p.size() ? p : p.block(o, count)),
                p::result,
                sink);
    }

    /** One element block of an elementwise loss, elements [from, from + count) of the flattened request. */
    private interface ElementBlock {
        LossResult compute(long from, long count);
    }

    /** The whole request's result from its blocks' accumulated losses and the gathered outputs (null with a sink). */
    private interface ElementResult {
        LossResult result(LossAccumulator acc, Tensor perElement, Tensor gradient, String device);
    }

    /**
     * The block loop of the elementwise losses (BCE, kl_div) over {@code n} elements of {@code shape}: each block's
     * gradient times the upstream gradient {@code go} (if any), its losses summed exactly, its outputs to the sink or
     * gathered in memory.
     */
    private static LossResult elementwise(
            long n,
            long[] shape,
            boolean arrayBacked,
            boolean wantsGradient,
            Tensor go,
            dev.xent.Reduction red,
            String backendName,
            ElementBlock compute,
            ElementResult finish,
            ResultSink sink) {
        Upstream.check(go, red, shape);
        boolean oneBlock = sink == null && arrayBacked;
        long perBlock =
                oneBlock ? Math.max(1, n) : Math.max(1, Settings.blockElements() / 2); // two float64 arrays a block
        Gather losses = null, gradient = null;
        if (sink == null) {
            losses = new Gather("per-element losses", n, shape);
            if (wantsGradient) gradient = new Gather("the gradient", n, shape);
        }
        LossAccumulator acc = new LossAccumulator();
        String device = backendName;
        try (Delivery delivery = new Delivery(sink, n > perBlock)) {
            for (long o = 0; o < Math.max(1, n); o += perBlock) {
                long count = Math.min(n, o + perBlock) - o;
                LossResult r0 = compute.compute(o, count);
                LossResult r = go == null
                        ? r0
                        : r0.withExtras(r0.extras().withGradient(Upstream.apply(r0.gradient(), go, red, o, 1, 1)));
                device = r.device();
                acc.add(r.perElement(), r.extras());
                long first = o, done = o + count;
                if (sink == null) {
                    losses.put(first, r.perElement());
                    if (gradient != null) gradient.put(first, r.gradient());
                } else {
                    delivery.submit(() -> {
                        sink.losses(first, r.perElement());
                        if (r.gradient() != null) sink.gradient(first, r.gradient());
                        sink.progress(done, n);
                    });
                }
            }
        }
        return finish.result(
                acc, losses == null ? null : losses.tensor(), gradient == null ? null : gradient.tensor(), device);
    }

    // ------------------------------------------------------------------------------------------------ distillation

    /**
     * A distillation loss of {@code p}, in row blocks; per-row values and the gradient to {@code sink}, or in memory when null.
     *
     * @param backend computes each block in memory
     * @param p the checked request
     * @param sink where per-row values (as losses) and the gradient go block by block, or null to gather them
     * @return the loss and its parts, from exact sums over every block
     * @throws InvalidInputException for a class index out of range, or an upstream gradient of the wrong shape
     */
    public static dev.xent.DivergenceResult divergence(Backend backend, dev.xent.Divergence p, ResultSink sink) {
        p.validRows(); // every target checked before any logit is read; the batchmean divisor
        long n = p.rows(), c = Math.max(1, p.classes());
        Tensor go = p.gradOutput();
        Upstream.check(go, p.spec().reduction(), new long[] {n});
        boolean oneBlock =
                sink == null && p.student().isArrayBacked() && p.teacher().isArrayBacked();
        long perBlock = oneBlock ? Math.max(1, n) : Math.max(1, Settings.blockElements() / c);
        Gather losses = null, gradient = null;
        if (sink == null) {
            losses = new Gather("per-row losses", n, new long[] {n});
            if (p.wantsGradient())
                gradient =
                        new Gather("the gradient", n * p.classes(), p.student().shape());
        }
        ExactSum div = new ExactSum(), ce = new ExactSum();
        String device = backend.name();
        try (Delivery delivery = new Delivery(sink, n > perBlock)) {
            for (long o = 0; o < n; o += perBlock) {
                long to = Math.min(n, o + perBlock);
                dev.xent.Divergence block = o == 0 && to == n ? p : p.block(o, to);
                dev.xent.Divergence.Part part0 = backend.divergence(block);
                dev.xent.Divergence.Part part = go == null
                        ? part0
                        : new dev.xent.Divergence.Part(
                                part0.perRow,
                                Upstream.apply(part0.gradient, go, p.spec().reduction(), o, p.classes(), 1),
                                part0.divergence,
                                part0.crossEntropy,
                                part0.device);
                if (part.device != null) device = part.device;
                div.add(part.divergence);
                ce.add(part.crossEntropy);
                long first = o, done = to;
                if (sink == null) {
                    losses.put(first, part.perRow);
                    if (gradient != null) gradient.put(first * p.classes(), part.gradient);
                } else {
                    delivery.submit(() -> {
                        sink.losses(first, part.perRow);
                        if (part.gradient != null) sink.gradient(first * p.classes(), part.gradient);
                        sink.progress(done * p.classes(), n * p.classes());
                    });
                }
            }
        }
        return p.result(
                div, ce, losses == null ? null : losses.tensor(), gradient == null ? null : gradient.tensor(), device);
    }

    // ------------------------------------------------------------------------------------------------ target gradients

    /**
     * d loss / d target of a cross-entropy with probability targets ({@code TargetGradient}) in blocks along
     * axis 0, to {@code sink}'s {@link ResultSink#gradient} (positions in the target), or in memory when the sink is null.
     *
     * @param p a cross-entropy request with probability targets
     * @param sink where the gradient goes, or null
     * @return the gradient (float64, the target's shape) when {@code sink} is null, else null
     * @throws InvalidInputException for class-index targets
     */
    public static Tensor targetGradient(LossProblem p, ResultSink sink) {
        p.totals();
        long outer = p.outerSize(),
                slab = p.input().rank() == 0 || outer == 0 ? 0 : p.input().numel() / Math.max(1, outer);
        boolean oneBlock = p.input().rank() == 1 || (sink == null && p.input().isArrayBacked());
        long perBlock = oneBlock ? Math.max(1, outer) : Math.max(1, Settings.blockElements() / 2 / Math.max(1, slab));
        Gather out = sink == null
                ? new Gather("the target gradient", p.input().numel(), p.input().shape())
                : null;
        try (Delivery delivery = new Delivery(sink, outer > perBlock)) {
            for (long o = 0; o < Math.max(1, outer); o += perBlock) {
                long to = Math.min(outer, o + perBlock);
                Tensor g = TargetGradient.crossEntropy(o == 0 && to >= outer ? p : p.block(o, to));
                long first = o * slab;
                if (out != null) out.put(first, g);
                else delivery.submit(() -> sink.gradient(first, g));
            }
        }
        return out == null ? null : out.tensor();
    }

    /**
     * d loss / d target of a binary cross-entropy in element blocks, to {@code sink}'s gradient or in memory.
     *
     * @param p the checked request
     * @param sink where the gradient goes, or null
     * @return the gradient (float64, the target's shape) when {@code sink} is null, else null
     */
    public static Tensor targetGradient(BinaryCrossEntropy p, ResultSink sink) {
        long n = p.size();
        boolean oneBlock = sink == null && p.input().isArrayBacked();
        long perBlock = oneBlock ? Math.max(1, n) : Math.max(1, Settings.blockElements() / 2);
        Gather out = sink == null ? new Gather("the target gradient", n, p.shape()) : null;
        try (Delivery delivery = new Delivery(sink, n > perBlock)) {
            for (long o = 0; o < Math.max(1, n); o += perBlock) {
                long count = Math.min(n, o + perBlock) - o;
                Tensor g = (o == 0 && count == n ? p : p.block(o, count)).targetGradient();
                long first = o;
                if (out != null) out.put(first, g);
                else delivery.submit(() -> sink.gradient(first, g));
            }
        }
        return out == null ? null : out.tensor();
    }

    // ------------------------------------------------------------------------------------------------ parts

    /** Hands block outputs to a sink on one other thread, at most one block behind the computation. */
    static final class Delivery implements AutoCloseable {
        private final ExecutorService thread;
        private Future<?> pending;

        Delivery(ResultSink sink, boolean manyBlocks) {
            this.thread = sink != null && manyBlocks ? Futures.daemonPool(1, "xent-sink") : null;
        }

        void submit(Runnable r) {
            if (thread == null) {
                r.run();
                return;
            }
            await();
            pending = thread.submit(r);
        }

        private void await() {
            if (pending != null) {
                Future<?> f = pending;
                pending = null;
                Futures.awaitAll(java.util.List.of(f));
            }
        }

        @Override
        public void close() {
            try {
                await();
            } finally {
                if (thread != null) thread.shutdownNow();
            }
        }
    }

    /** The blocks of one output gathered into one tensor (when there is no sink): it must fit a Java array. */
    static final class Gather {
        private final String what;
        private final long n;
        private final long[] shape;
        private Tensor single; // the only block, kept as it came
        private Object array;
        private DType dtype;
        private int blocks;

        Gather(String what, long n, long[] shape) {
            this.what = what;
            this.n = n;
            this.shape = shape;
        }

        void put(long first, Tensor block) {
            if (blocks++ == 0 && block.numel() == n) {
                single = block;
                return;
            }
            if (array == null) {
                if (n > Tensor.MAX_ARRAY_ELEMENTS) {
                    throw new InvalidInputException(
                            what + " of " + n + " elements do not fit one Java array: give a ResultSink"
                                    + " (the command line writes them to a file)");
                }
                dtype = block.dtype();
                array = allocate(dtype, (int) n);
                if (single != null) {
                    copy(0, single);
                    single = null;
                }
            }
            copy(first, block);
        }

        private static Object allocate(DType t, int n) {
            switch (t) {
                case F32:
                    return new float[n];
                case F64:
                    return new double[n];
                case F16:
                case BF16:
                    return new short[n];
                case I32:
                    return new int[n];
                default:
                    return new long[n];
            }
        }

        private void copy(long first, Tensor b) {
            int len = (int) b.numel(), at = (int) first;
            switch (dtype) {
                case F32:
                    b.readFloats(0, 1, (float[]) array, at, len);
                    break;
                case F64:
                    b.readDoubles(0, 1, (double[]) array, at, len);
                    break;
                case F16:
                case BF16:
                    b.readHalfBits(0, (short[]) array, at, len);
                    break;
                case I32: {
                    long[] tmp = b.toLongArray();
                    int[] a = (int[]) array;
                    for (int i = 0; i < len; i++) a[at + i] = (int) tmp[i];
                    break;
                }
                default:
                    b.readLongs(0, (long[]) array, at, len);
            }
        }

        Tensor tensor() {
            if (single != null) return single.reshape(shape);
            if (array == null) { // no block at all (an empty request)
                return Tensor.of(new float[0], shape);
            }
            switch (dtype) {
                case F32:
                    return Tensor.of((float[]) array, shape);
                case F64:
                    return Tensor.of((double[]) array, shape);
                case F16:
                case BF16:
                    return Tensor.ofHalfBits(dtype, (short[]) array, shape);
                case I32:
                    return Tensor.of((int[]) array, shape);
                default:
                    return Tensor.of((long[]) array, shape);
            }
        }
    }
}
