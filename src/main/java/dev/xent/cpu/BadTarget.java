package dev.xent.cpu;

/** The lowest-numbered bad target any thread saw, so the error does not depend on scheduling. */
final class BadTarget {
    long row = -1, value;

    synchronized void report(long r, long v) {
        if (row < 0 || r < row) {
            row = r;
            value = v;
        }
    }
}
