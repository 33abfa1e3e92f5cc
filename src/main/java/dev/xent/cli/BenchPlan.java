package dev.xent.cli;

import dev.xent.DType;
import dev.xent.Device;
import dev.xent.Tensor;
import java.util.List;

/**
 * What one {@code xent bench} run times, checked and made: the shape, the counts and the inputs.
 *
 * @param op what is timed
 * @param device the device asked for, as configured (AUTO not yet resolved)
 * @param dtype the logits' dtype
 * @param rows rows N
 * @param classes classes C
 * @param runs timed calls
 * @param warmup untimed calls first
 * @param threads CPU threads for xent and the peer
 * @param topk top-K accuracy on the CPU, 0 for none
 * @param inputs the logits, {@code copies} of them rotated so timed runs read memory, not cache (the CPU's timing
 *     empties the list when done, so the peer runs without them held)
 * @param copies how many input copies the runs rotate among
 * @param teachers kd and jsd: the teachers' logits, one per input; else empty
 * @param target the class targets
 * @param logitBytes bytes one call reads (kd and jsd: both inputs)
 */
record BenchPlan(
        BenchOp op,
        Device device,
        DType dtype,
        long rows,
        int classes,
        int runs,
        int warmup,
        int threads,
        int topk,
        List<Tensor> inputs,
        int copies,
        List<Tensor> teachers,
        Tensor target,
        long logitBytes) {
    long elements() {
        return rows * classes;
    }
}
