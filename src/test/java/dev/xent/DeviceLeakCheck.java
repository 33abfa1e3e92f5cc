package dev.xent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.xent.cuda.DeviceTensor;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test that leaves a DeviceTensor open, or lets one be collected unclosed. (A backend's own scratch buffers grow
 * and are reused across calls; they are checked when the backend closes: its allocator throws if anything is left.)
 */
public final class DeviceLeakCheck implements BeforeEachCallback, AfterEachCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(DeviceLeakCheck.class);

    @Override
    public void beforeEach(ExtensionContext c) {
        c.getStore(NS).put("bytes", DeviceTensor.openBytes());
        c.getStore(NS).put("unclosed", DeviceTensor.unclosedCount());
    }

    @Override
    public void afterEach(ExtensionContext c) {
        long before = c.getStore(NS).get("bytes", Long.class);
        assertEquals(before, DeviceTensor.openBytes(), "DeviceTensor bytes still open after the test");
        long unclosed = c.getStore(NS).get("unclosed", Long.class);
        assertEquals(unclosed, DeviceTensor.unclosedCount(), "DeviceTensors were collected without being closed");
    }
}
