package dev.xent;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xent.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

class CpuVectorContractTest extends BackendContractTest {
    @Override
    protected Backend create() {
        return new CpuBackend(2, true);
    }

    @Test
    void usesTheVectorApi() {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                CpuBackend.vectorModulePresent(), "this JVM runs without jdk.incubator.vector");
        assertTrue(((CpuBackend) backend).mathName().startsWith("vector"), ((CpuBackend) backend).mathName());
    }
}
