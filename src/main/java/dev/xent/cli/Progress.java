package dev.xent.cli;

import java.io.PrintStream;
import java.text.DecimalFormat;
import java.time.Duration;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar on stderr for long evaluations (input MB read, MB/s, time left, rows done): it appears once the work
 * has run {@link #DELAY} and only when stderr is a terminal (the launcher says so in {@code XENT_STDERR_TTY}, since
 * Java cannot ask), and it is cleared when the work ends, so stdout and {@code --json} are never touched.
 */
final class Progress implements AutoCloseable {
    static final Duration DELAY = Duration.ofSeconds(2);

    private final boolean enabled;
    private final PrintStream err;
    private final Duration delay;
    private final long totalBytes;
    private final long totalRows;
    private final double bytesPerElement;
    private final long start = System.nanoTime();
    private Bar bar; // the progressbar library is loaded only when a bar is shown (library users may not have it)

    Progress(
            boolean enabled, PrintStream err, Duration delay, long totalBytes, long totalRows, double bytesPerElement) {
        this.enabled = enabled;
        this.err = err;
        this.delay = delay;
        this.totalBytes = totalBytes;
        this.totalRows = totalRows;
        this.bytesPerElement = bytesPerElement;
    }

    /** A reporter for work over {@code inputBytes} of input holding {@code rows} rows; quiet unless stderr is a terminal. */
    static Progress of(boolean quiet, long inputBytes, long inputElements, long rows) {
        boolean tty = "1".equals(System.getenv("XENT_STDERR_TTY")) && !"dumb".equals(System.getenv("TERM"));
        return new Progress(
                !quiet && tty,
                System.err,
                DELAY,
                inputBytes,
                rows,
                inputElements == 0 ? 0 : (double) inputBytes / inputElements);
    }

    /** Input elements done, out of all of them (from the block stream's sink thread). */
    synchronized void update(long doneElements, long totalElements) {
        if (!enabled) return;
        long bytes = (long) (doneElements * bytesPerElement);
        long elapsed = System.nanoTime() - start;
        if (bar == null) {
            if (elapsed < delay.toNanos() || doneElements >= totalElements) return;
            int width = 100;
            try {
                width = Math.max(
                        40, Math.min(200, Integer.parseInt(System.getenv().getOrDefault("COLUMNS", "100"))));
            } catch (NumberFormatException ignored) {
                // keep the default width
            }
            bar = new Bar(err, width, totalBytes, bytes, elapsed);
        }
        long rows = totalElements == 0 ? 0 : (long) ((double) doneElements / totalElements * totalRows);
        bar.step(bytes, " " + rows + "/" + totalRows + " rows");
    }

    /** The progressbar library's bar: MB read, MB/s, time left. */
    private static final class Bar {
        private final ProgressBar bar;

        Bar(PrintStream err, int width, long totalBytes, long bytes, long elapsedNanos) {
            bar = new ProgressBarBuilder()
                    .setTaskName("xent")
                    .setInitialMax(totalBytes / 1_000_000)
                    .setUnit(" MB", 1)
                    .showSpeed(new DecimalFormat("0"))
                    .setStyle(ProgressBarStyle.ASCII)
                    .setUpdateIntervalMillis(250)
                    .setConsumer(new ConsoleProgressBarConsumer(err, width))
                    .clearDisplayOnFinish()
                    .startsFrom(bytes / 1_000_000, Duration.ofNanos(elapsedNanos))
                    .build();
        }

        void step(long bytes, String message) {
            bar.stepTo(bytes / 1_000_000);
            bar.setExtraMessage(message);
        }

        void close() {
            bar.close();
        }
    }

    /** Takes the bar off the terminal now (before the results print); closing afterwards does nothing more. */
    public synchronized void finish() {
        if (bar != null) bar.close();
        bar = null;
    }

    @Override
    public void close() {
        finish();
    }
}
