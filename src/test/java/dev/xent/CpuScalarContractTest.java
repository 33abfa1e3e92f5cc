package dev.xent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.xent.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

class CpuScalarContractTest extends BackendContractTest {
    @Override
    protected Backend create() {
        return new CpuBackend(3, false);
    }

    @Test
    void usesScalarLoops() {
        assertEquals("scalar", ((CpuBackend) backend).mathName());
    }
}
