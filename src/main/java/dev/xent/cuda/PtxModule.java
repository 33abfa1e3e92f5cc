package dev.xent.cuda;

import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;

/** A PTX file from the classpath ({@code dev/xent/cuda/ptx/NAME.ptx}), JIT-compiled by the driver for this device. */
public final class PtxModule implements AutoCloseable {
    private final CUmodule module = new CUmodule();
    private boolean loaded;

    /**
     * Loads {@code dev/xent/cuda/ptx/NAME.ptx} into the current context; the driver JIT-compiles it for the device.
     *
     * @param name the kernel file's name, without ".ptx"
     * @throws IllegalStateException if the file is not on the classpath
     * @throws jcuda.CudaException if the driver refuses the PTX
     */
    public PtxModule(String name) {
        byte[] ptx = resource(name);
        byte[] z = new byte[ptx.length + 1]; // the driver wants a NUL-terminated image
        System.arraycopy(ptx, 0, z, 0, ptx.length);
        cuModuleLoadData(module, z);
        loaded = true;
    }

    /**
     * The bytes of a packaged kernel file.
     *
     * @param name the file's name, without ".ptx"
     * @return its PTX text, as bytes
     * @throws IllegalStateException if the file is not on the classpath
     */
    public static byte[] resource(String name) {
        String path = "/dev/xent/cuda/ptx/" + name + ".ptx";
        try (InputStream in = PtxModule.class.getResourceAsStream(path)) {
            if (in == null)
                throw new IllegalStateException("kernel resource " + path + " is missing from the classpath");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A kernel of this module.
     *
     * @param entry the kernel's entry name in the PTX
     * @return the driver's handle of it
     * @throws jcuda.CudaException if the module has no such entry
     */
    public CUfunction function(String entry) {
        CUfunction f = new CUfunction();
        cuModuleGetFunction(f, module, entry);
        return f;
    }

    @Override
    public synchronized void close() {
        if (!loaded) return;
        loaded = false;
        cuModuleUnload(module);
    }
}
