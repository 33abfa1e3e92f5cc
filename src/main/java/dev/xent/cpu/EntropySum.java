package dev.xent.cpu;

import dev.xent.stream.ExactSum;

/**
 * The entropies of the rows whose target is not ignored, summed exactly, and how many: one range's, or, merged, a
 * whole call's (order does not matter to an exact sum).
 */
final class EntropySum {
    final ExactSum sum = new ExactSum();
    long rows;

    /** Adds one counted row's entropy. */
    void add(double h) {
        sum.add(h);
        rows++;
    }

    /** Adds another range's sum; ranges on different threads merge into one call's. */
    synchronized void merge(EntropySum part) {
        sum.add(part.sum);
        rows += part.rows;
    }
}
