package dev.xent.internal;

import dev.xent.Backend;
import dev.xent.Device;
import dev.xent.InvalidInputException;
import dev.xent.Settings;
import dev.xent.cpu.CpuBackend;
import dev.xent.cuda.CudaBackend;
import dev.xent.cuda.CudaProbe;
import dev.xent.reference.ReferenceBackend;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Picks a backend: an explicit choice first, then {@code -Dxent.device}, then the {@code XENT_DEVICE} environment
 * variable, then the probe (CUDA if a device is usable, else the CPU, saying why once). In {@code dev.xent.internal}:
 * {@link dev.xent.Xent#open} is the API for it.
 */
public final class BackendSelector {
    private static final Logger LOG = LoggerFactory.getLogger(BackendSelector.class);
    private static final AtomicBoolean TOLD_WHY_CPU = new AtomicBoolean();

    private BackendSelector() {}

    /**
     * The device an AUTO request resolves to through the property and the environment (AUTO if neither says).
     *
     * @param requested the caller's choice; anything but AUTO is returned as it is
     * @return {@code requested}, or for AUTO the device {@code -Dxent.device} or {@code XENT_DEVICE} names, else AUTO
     * @throws InvalidInputException if the property or the variable names no device
     */
    public static Device configured(Device requested) {
        if (requested != Device.AUTO) return requested;
        String o = Settings.deviceOverride();
        return o == null ? Device.AUTO : Device.parse(o);
    }

    /**
     * Opens the backend for {@code requested}; CUDA asked for by name but unusable is an {@link InvalidInputException}.
     *
     * @param requested the device to open; AUTO goes through {@link #configured} and then the CUDA probe
     * @return a new backend, which the caller closes
     * @throws InvalidInputException if CUDA is asked for (by argument, property or environment) and not usable
     */
    public static Backend open(Device requested) {
        Device d = configured(requested);
        switch (d) {
            case REFERENCE:
                return new ReferenceBackend();
            case CPU:
                return new CpuBackend();
            case CUDA: {
                CudaProbe.Result r = CudaProbe.probe();
                if (!r.usable) throw new InvalidInputException("device cuda is not usable: " + r.reason);
                return new CudaBackend();
            }
            default: {
                CudaProbe.Result r = CudaProbe.probe();
                if (r.usable) return new CudaBackend();
                if (TOLD_WHY_CPU.compareAndSet(false, true)) LOG.info("using the CPU: CUDA is {}", r.describe());
                return new CpuBackend();
            }
        }
    }
}
