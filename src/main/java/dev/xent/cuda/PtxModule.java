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

    public PtxModule(String name) {
        byte[] ptx = resource(name);
        byte[] z = new byte[ptx.length + 1]; // the driver wants a NUL-terminated image
        System.arraycopy(ptx, 0, z, 0, ptx.length);
        cuModuleLoadData(module, z);
        loaded = true;
    }

    /** The bytes of a packaged kernel file. */
    public static byte[] resource(String name) {
        String path = "/dev/xent/cuda/ptx/" + name + ".ptx";
        try (InputStream in = PtxModule.class.getResourceAsStream(path)) {
            if (in == null) throw new IllegalStateException("kernel resource " + path + " is missing from the classpath");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public CUfunction function(String entry) {
        CUfunction f = new CUfunction();
        cuModuleGetFunction(f, module, entry);
        return f;
    }

    @Override public synchronized void close() {
        if (!loaded) return;
        loaded = false;
        cuModuleUnload(module);
    }
}
