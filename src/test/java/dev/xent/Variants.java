package dev.xent;

import dev.xent.cpu.CpuBackend;
import dev.xent.cuda.CudaBackend;
import dev.xent.cuda.CudaProbe;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/** Every fast variant there is, so the automatic comparison with the reference misses none. */
final class Variants {
    private Variants() {}

    static final class Variant {
        final String name;
        final Supplier<Backend> make;

        Variant(String name, Supplier<Backend> make) {
            this.name = name;
            this.make = make;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static List<Variant> all() {
        List<Variant> v = new ArrayList<>();
        v.add(new Variant("cpu-vector-2-threads", () -> new CpuBackend(2, true)));
        v.add(new Variant("cpu-vector-1-thread", () -> new CpuBackend(1, true)));
        v.add(new Variant("cpu-scalar-3-threads", () -> new CpuBackend(3, false)));
        if (CudaProbe.probe().usable) v.add(new Variant("cuda", CudaBackend::new));
        return v;
    }
}
