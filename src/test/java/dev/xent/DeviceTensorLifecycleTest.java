package dev.xent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.xent.cuda.CudaBackend;
import dev.xent.cuda.CudaProbe;
import dev.xent.cuda.DeviceTensor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** What happens when an owner forgets to close: the Cleaner reports it, and the backend's close fails loudly. */
@Tag("gpu")
class DeviceTensorLifecycleTest {
    @BeforeEach
    void needsGpu() {
        CudaProbe.Result r = CudaProbe.probe();
        assumeTrue(r.usable, () -> "no usable CUDA device: " + r.reason);
    }

    @Test
    void anUnclosedTensorIsReportedNotFreedAndCloseFailsLoudly() throws Exception {
        CudaBackend b = new CudaBackend();
        long unclosedBefore = DeviceTensor.unclosedCount();
        dropUnclosed(b);
        for (int i = 0; i < 200 && DeviceTensor.unclosedCount() == unclosedBefore; i++) {
            System.gc();
            Thread.sleep(25);
        }
        assertEquals(unclosedBefore + 1, DeviceTensor.unclosedCount(), "the Cleaner reported the lost tensor");
        assertTrue(b.liveBytes() >= 12, "reported, not freed: its memory is still held");
        IllegalStateException e = assertThrows(IllegalStateException.class, b::close);
        assertTrue(e.getMessage().contains("still live"), e.getMessage());
        assertEquals(0, b.liveBytes(), "close freed what was left after saying so");
    }

    private static void dropUnclosed(CudaBackend b) {
        b.upload(new float[] {1, 2, 3}, 3); // never closed, never referenced again
    }
}
