package dev.xent.stream;

import dev.xent.Backend;
import dev.xent.DType;
import dev.xent.InvalidInputException;
import dev.xent.ResultSink;
import dev.xent.RowLayout;
import dev.xent.Settings;
import dev.xent.Tensor;

/**
 * softmax, log_softmax and their backward over a tensor of any size, in blocks along axis 0 (or along the softmax
 * axis's outer indices), each block computed in memory and handed to a sink as it finishes; the same bits for any
 * blocking.
 */
public final class SoftmaxStream {
    private SoftmaxStream() {}

    /**
     * softmax or log_softmax of {@code x} along {@code dim}, in blocks along axis 0 (when {@code dim} is not axis 0);
     * the output to {@code sink}'s {@link ResultSink#values}, or returned in memory when the sink is null.
     *
     * @param backend computes each block in memory
     * @param x floating, any shape
     * @param dim the axis, negative counting from the last
     * @param log true for log_softmax
     * @param sink where the output goes, or null
     * @return the output (x's shape and dtype) when {@code sink} is null, else null
     * @throws InvalidInputException for an integer x or a dim out of range
     */
    public static Tensor softmax(Backend backend, Tensor x, int dim, boolean log, ResultSink sink) {
        return softmax(backend, x, dim, log, null, sink);
    }

    /**
     * {@link #softmax(Backend, Tensor, int, boolean, ResultSink)} with PyTorch's {@code dtype} argument: each block of
     * the input is cast to {@code dtype} first (so integer and bool inputs work), and the output has that dtype. A 0-d
     * input (dim 0 or -1) is one row of one value, as PyTorch computes it: 1 (or 0 for log_softmax), NaN for NaN or ±inf.
     *
     * @param backend computes each block in memory
     * @param x any dtype, any shape
     * @param dim the axis, negative counting from the last
     * @param log true for log_softmax
     * @param dtype a floating type to cast to, or null for x's own (then x must be floating)
     * @param sink where the output goes, or null
     * @return the output (x's shape, in {@code dtype}) when {@code sink} is null, else null
     * @throws InvalidInputException for a non-floating dtype, an integer x without one, or a dim out of range
     */
    public static Tensor softmax(Backend backend, Tensor x, int dim, boolean log, DType dtype, ResultSink sink) {
        if (x.rank() == 0) {
            if (dim != 0 && dim != -1)
                throw new InvalidInputException("dim " + dim + " is out of range for a 0-d input (0 or -1)");
            Tensor y = softmax(
                    backend,
                    x.reshape(1),
                    0,
                    log,
                    dtype,
                    sink == null
                            ? null
                            : new ResultSink() {
                                @Override
                                public void values(long firstElement, Tensor values) {
                                    sink.values(firstElement, values.reshape());
                                }

                                @Override
                                public void progress(long done, long total) {
                                    sink.progress(done, total);
                                }
                            });
            return y == null ? null : y.reshape();
        }
        if (dtype != null && !dtype.isFloating())
            throw new InvalidInputException("softmax's dtype must be floating, got " + dtype.label());
        if (dtype == null && !x.dtype().isFloating()) {
            throw new InvalidInputException("softmax of " + x.dtype().label()
                    + " input needs a floating dtype to cast it to (PyTorch's dtype=...)");
        }
        RowLayout.along(x.shape(), dim); // checks dim
        int d = dim < 0 ? dim + x.rank() : dim;
        long outer = x.rank() == 0 ? 1 : x.dim(0);
        long slab = outer == 0 ? 0 : x.numel() / outer;
        boolean oneBlock = d == 0 || (sink == null && x.isArrayBacked());
        long perBlock = oneBlock ? Math.max(1, outer) : Math.max(1, Settings.blockElements() / Math.max(1, slab));
        BlockStream.Gather out = sink == null ? new BlockStream.Gather("the output", x.numel(), x.shape()) : null;
        try (BlockStream.Delivery delivery = new BlockStream.Delivery(sink, outer > perBlock)) {
            for (long o = 0; o < Math.max(1, outer); o += perBlock) {
                long to = Math.min(outer, o + perBlock);
                Tensor block = o == 0 && to >= outer ? x : x.slice(o, to);
                if (dtype != null)
                    block = block.to(dtype); // a block at a time: the cast copy is bounded like the output
                Tensor y = backend.softmax(block, dim, log);
                long first = o * slab, done = to * slab;
                if (out != null) out.put(first, y);
                else
                    delivery.submit(() -> {
                        sink.values(first, y);
                        sink.progress(done, x.numel());
                    });
            }
        }
        return out == null ? null : out.tensor();
    }

    /**
     * The backward of softmax or log_softmax of {@code x} along {@code dim} given {@code go}, in blocks along axis 0
     * (when {@code dim} is not axis 0); the gradient to {@code sink}'s {@link ResultSink#gradient}, or returned in
     * memory when the sink is null.
     *
     * @param x the forward's input, floating
     * @param go the upstream gradient, floating, x's shape
     * @param dim the forward's axis, negative counting from the last
     * @param log true for log_softmax's backward
     * @param sink where the gradient goes, or null
     * @return the gradient (x's shape and dtype) when {@code sink} is null, else null
     * @throws InvalidInputException for a dtype, shape or dim that does not fit
     */
    public static Tensor softmaxBackward(Tensor x, Tensor go, int dim, boolean log, ResultSink sink) {
        if (!x.sameShape(go)) return SoftmaxBackward.compute(x, go, dim, log); // its message
        if (x.rank() == 0) {
            Tensor g = SoftmaxBackward.compute(x, go, dim, log);
            if (sink == null) return g;
            sink.gradient(0, g);
            sink.progress(1, 1);
            return null;
        }
        RowLayout.along(x.shape(), dim); // checks dim
        int d = dim < 0 ? dim + x.rank() : dim;
        long outer = x.dim(0);
        long slab = outer == 0 ? 0 : x.numel() / outer;
        boolean oneBlock = d == 0 || (sink == null && x.isArrayBacked() && go.isArrayBacked());
        long perBlock = oneBlock ? Math.max(1, outer) : Math.max(1, Settings.blockElements() / 2 / Math.max(1, slab));
        BlockStream.Gather out = sink == null ? new BlockStream.Gather("the gradient", x.numel(), x.shape()) : null;
        try (BlockStream.Delivery delivery = new BlockStream.Delivery(sink, outer > perBlock)) {
            for (long o = 0; o < Math.max(1, outer); o += perBlock) {
                long to = Math.min(outer, o + perBlock);
                boolean whole = o == 0 && to >= outer;
                Tensor g = SoftmaxBackward.compute(whole ? x : x.slice(o, to), whole ? go : go.slice(o, to), dim, log);
                long first = o * slab, done = to * slab;
                if (out != null) out.put(first, g);
                else
                    delivery.submit(() -> {
                        sink.gradient(first, g);
                        sink.progress(done, x.numel());
                    });
            }
        }
        return out == null ? null : out.tensor();
    }
}
