package dev.xent.cuda;

import dev.xent.cpu.CpuBackend;
import java.util.EnumSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The CPU path of what has no CUDA kernel ({@link Capability#ON_CUDA}): made on first use, each gap logged once. */
final class CpuFallback implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CudaBackend.class);

    private final Set<Capability> told = EnumSet.noneOf(Capability.class);
    private CpuBackend cpu;

    /** {@return the CPU path, without a log line} */
    synchronized CpuBackend quietly() {
        if (cpu == null) cpu = new CpuBackend();
        return cpu;
    }

    /** {@return the CPU path, after an INFO line for each of {@code missing} not told before} */
    synchronized CpuBackend forMissing(Set<Capability> missing) {
        for (Capability c : missing) {
            if (!told.add(c)) continue;
            if (c == Capability.FLOAT64)
                LOG.info(
                        "float64 input: computing on the CPU path (the CUDA kernels take float32, float16 and bfloat16)");
            else LOG.info("{} has no CUDA kernel yet: computing it on the CPU path", c.label());
        }
        return quietly();
    }

    /** {@return the CPU path, after an INFO line the first time for {@code missing}} */
    CpuBackend forMissing(Capability missing) {
        return forMissing(EnumSet.of(missing));
    }

    @Override
    public synchronized void close() {
        if (cpu != null) cpu.close();
    }
}
