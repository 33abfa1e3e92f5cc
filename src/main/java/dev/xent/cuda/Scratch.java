package dev.xent.cuda;

import jcuda.driver.CUdeviceptr;

/** Per-backend work buffers, grown as needed and reused, so a call allocates nothing in the steady state. */
final class Scratch {
    private final DeviceAllocator allocator;
    CUdeviceptr partial, loss, weight, err, sums, blockSums;
    long partialBytes, rowBytes;

    Scratch(DeviceAllocator allocator) {
        this.allocator = allocator;
    }

    void ensure(int rows, int splits) {
        long pb = Math.max(16, 16L * rows * splits), rb = Math.max(4, 4L * rows);
        if (err == null) {
            err = allocator.allocate(8, "scratch: the error word");
            sums = allocator.allocate(16, "scratch: the sums");
            blockSums = allocator.allocate(16L * Kernels.MAX_REDUCE_BLOCKS, "scratch: the block sums");
        }
        if (pb > partialBytes) {
            if (partial != null) allocator.free(partial, partialBytes);
            partial = allocator.allocate(pb, "scratch: partial row statistics of " + rows + " rows x " + splits);
            partialBytes = pb;
        }
        if (rb > rowBytes) {
            if (loss != null) {
                allocator.free(loss, rowBytes);
                allocator.free(weight, rowBytes);
            }
            loss = allocator.allocate(rb, "scratch: losses of " + rows + " rows");
            weight = allocator.allocate(rb, "scratch: row weights of " + rows + " rows");
            rowBytes = rb;
        }
    }

    void free() {
        if (err != null) {
            allocator.free(err, 8);
            allocator.free(sums, 16);
            allocator.free(blockSums, 16L * Kernels.MAX_REDUCE_BLOCKS);
            err = null;
        }
        if (partial != null) {
            allocator.free(partial, partialBytes);
            partial = null;
            partialBytes = 0;
        }
        if (loss != null) {
            allocator.free(loss, rowBytes);
            allocator.free(weight, rowBytes);
            loss = null;
            rowBytes = 0;
        }
    }
}
