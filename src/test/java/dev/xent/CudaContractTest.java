package dev.xent;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.xent.cuda.CudaBackend;
import dev.xent.cuda.CudaProbe;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/** The backend contract on the GPU; skipped, with the probe's reason, where no CUDA device is usable. */
@Tag("gpu")
@ExtendWith(DeviceLeakCheck.class)
class CudaContractTest extends BackendContractTest {
    @Override
    protected Backend create() {
        CudaProbe.Result r = CudaProbe.probe();
        assumeTrue(r.usable, () -> "no usable CUDA device: " + r.reason);
        System.setProperty("xent.poison", "true");
        return new CudaBackend();
    }
}
