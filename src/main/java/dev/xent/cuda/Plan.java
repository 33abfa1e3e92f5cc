package dev.xent.cuda;

/**
 * The launch shape of the row kernels, by regime: few classes put a group of 1 to 32 threads on each row (several rows
 * per block, whole row in a few registers per thread); many classes put a block on each row; few very long rows are
 * split across blocks ({@code splits} slices per row, merged by xent_row_finish). Pure arithmetic, tested on the CPU.
 *
 * @param group threads per (row, slice): 1..32, or the whole block
 * @param block threads per block
 * @param splits slices per row
 * @param grid blocks
 */
record Plan(int group, int block, int splits, long grid) {
    /** Up to this many classes a row gets at most one warp. */
    static final int WARP_REGIME_MAX_CLASSES = dev.xent.Settings.Tuning.CUDA_WARP_ROW_MAX_CLASSES;
    /** A split slice holds at least this many classes, so its block has real work. */
    static final int MIN_SLICE = dev.xent.Settings.Tuning.CUDA_MIN_SLICE_CLASSES;

    static Plan forRows(long rows, int classes, int multiprocessors, boolean allowSplit) {
        if (classes <= WARP_REGIME_MAX_CLASSES) {
            // each thread takes 4 classes per step: the smallest power-of-two group that covers the row in one step, at
            // most a warp
            int stepsOfFour = (classes + 3) / 4;
            int g = stepsOfFour <= 1 ? 1 : Math.min(32, Integer.highestOneBit(stepsOfFour - 1) << 1);
            int perBlock = Kernels.BLOCK / g;
            return new Plan(g, Kernels.BLOCK, 1, (rows + perBlock - 1) / perBlock);
        }
        int block = classes >= 32768 ? 512 : Kernels.BLOCK;
        int splits = 1;
        long wanted = 4L * multiprocessors; // enough blocks to fill every SM a few times over
        if (allowSplit && rows < wanted) {
            long bySize = Math.max(1, classes / MIN_SLICE);
            splits = (int) Math.max(1, Math.min(bySize, (wanted + rows - 1) / Math.max(rows, 1)));
        }
        return new Plan(block, block, splits, rows * splits);
    }
}
