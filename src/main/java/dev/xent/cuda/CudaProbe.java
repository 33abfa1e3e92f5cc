package dev.xent.cuda;

import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDeviceTotalMem;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuInit;

import jcuda.driver.CUdevice;
import jcuda.driver.JCudaDriver;

/**
 * Whether CUDA is usable here, and why not. Probed once per JVM: loading JCuda's native library fails with an
 * UnsatisfiedLinkError when libcuda.so.1 is missing, and every later touch of the class with NoClassDefFoundError,
 * so the first answer is kept.
 */
public final class CudaProbe {
    /** What the probe found. {@code usable} false comes with a {@code reason}; true with the device's description. */
    public static final class Result {
        /** True when device 0 can run xent's kernels (compute capability 7.0 or newer). */
        public final boolean usable;
        /** Why CUDA is not usable, in words for the user; null when it is. */
        public final String reason;
        /** Device 0's name as the driver reports it; null when unusable. */
        public final String deviceName;
        /** The driver API version, as cuDriverGetVersion gives it (1000 · major + 10 · minor); 0 when unusable. */
        public final int driverVersion;
        /** Device 0's memory in bytes; 0 when unusable. */
        public final long totalMemory;
        /** Device 0's compute capability, major and minor; 0 when unusable. */
        public final int ccMajor, ccMinor;

        Result(
                boolean usable,
                String reason,
                String deviceName,
                int driverVersion,
                long totalMemory,
                int ccMajor,
                int ccMinor) {
            this.usable = usable;
            this.reason = reason;
            this.deviceName = deviceName;
            this.driverVersion = driverVersion;
            this.totalMemory = totalMemory;
            this.ccMajor = ccMajor;
            this.ccMinor = ccMinor;
        }

        static Result unusable(String why) {
            return new Result(false, why, null, 0, 0, 0, 0);
        }

        /** {@return one line for logs and {@code xent info}} */
        public String describe() {
            if (!usable) return "unusable: " + reason;
            return String.format(
                    "%s, compute capability %d.%d, %.1f GiB, driver API %d.%d",
                    deviceName,
                    ccMajor,
                    ccMinor,
                    totalMemory / (double) (1L << 30),
                    driverVersion / 1000,
                    driverVersion % 1000 / 10);
        }
    }

    private static Result cached;

    private CudaProbe() {}

    /**
     * Probes the driver and device 0 on the first call; later calls return the same answer.
     *
     * @return what was found; never throws, whatever the machine lacks
     */
    public static synchronized Result probe() {
        if (cached == null) cached = run();
        return cached;
    }

    private static Result run() {
        if (!dev.xent.Settings.cudaEnabled()) return Result.unusable("disabled by -Dxent.cuda=false");
        try {
            JCudaDriver.setExceptionsEnabled(true);
            cuInit(0);
            int[] count = {0};
            cuDeviceGetCount(count);
            if (count[0] == 0) return Result.unusable("the driver reports no CUDA device");
            CUdevice dev = new CUdevice();
            cuDeviceGet(dev, 0);
            byte[] name = new byte[256];
            cuDeviceGetName(name, name.length, dev);
            long[] mem = {0};
            cuDeviceTotalMem(mem, dev);
            int[] major = {0}, minor = {0}, ver = {0};
            cuDeviceGetAttribute(
                    major, jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev);
            cuDeviceGetAttribute(
                    minor, jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev);
            cuDriverGetVersion(ver);
            String n = new String(name, java.nio.charset.StandardCharsets.US_ASCII)
                    .trim()
                    .replace("\0", "");
            if (major[0] < 7)
                return Result.unusable(n + " has compute capability " + major[0] + "." + minor[0]
                        + "; xent's kernels need 7.0 or newer");
            return new Result(true, null, n, ver[0], mem[0], major[0], minor[0]);
        } catch (UnsatisfiedLinkError e) {
            return Result.unusable(
                    "the CUDA driver library (libcuda.so.1) could not be loaded: " + linkCause(e.getMessage()));
        } catch (LinkageError e) {
            return Result.unusable("JCuda could not be initialised: " + e);
        } catch (RuntimeException e) { // jcuda.CudaException: init or device query failed
            return Result.unusable("CUDA initialisation failed: " + firstLine(e.getMessage()));
        }
    }

    /** JCuda's message starts with its own library's name; the cause that matters (libcuda.so.1 missing) is further down. */
    static String linkCause(String s) {
        if (s == null) return "(no message)";
        java.util.regex.Matcher m =
                java.util.regex.Pattern.compile("(libcuda[^:\\s]*: [^\\n]*)").matcher(s);
        return m.find() ? m.group(1).trim() : firstLine(s);
    }

    private static String firstLine(String s) {
        if (s == null) return "(no message)";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
