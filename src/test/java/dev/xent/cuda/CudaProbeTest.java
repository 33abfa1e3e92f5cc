package dev.xent.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The reason the probe gives when JCuda's native library cannot load (no GPU needed). */
class CudaProbeTest {
    @Test
    void namesTheMissingDriverLibraryRatherThanJCudasOwn() {
        String jcudaMessage = "Error while loading native library \"JCudaDriver-12.6.0-linux-x86_64\"\n"
                + "Operating system name: Linux\nArchitecture         : amd64\n"
                + "Stack trace from the attempt to load the library as a resource:\n"
                + "java.lang.UnsatisfiedLinkError: /tmp/libJCudaDriver-12.6.0-linux-x86_64.so: libcuda.so.1: cannot open shared object file: No such file or directory\n"
                + "\tat java.base/jdk.internal.loader.NativeLibraries.load(Native Method)";
        assertEquals(
                "libcuda.so.1: cannot open shared object file: No such file or directory",
                CudaProbe.linkCause(jcudaMessage));
        assertEquals("something else entirely", CudaProbe.linkCause("something else entirely\nmore"));
    }
}
