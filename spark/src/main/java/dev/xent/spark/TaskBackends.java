package dev.xent.spark;

import dev.xent.Backend;
import dev.xent.cpu.CpuBackend;
import dev.xent.cuda.CudaBackend;
import dev.xent.cuda.CudaProbe;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.TaskContext;

/**
 * The backends of one executor JVM, shared by its tasks: one CUDA backend (one context) per device ordinal, one CPU
 * backend per thread count. A task's CPU backend has the task's cores ({@code spark.task.cpus}), so concurrent tasks
 * do not oversubscribe the executor. They live as long as the executor, and their threads are daemons.
 */
final class TaskBackends {
    private static final Map<String, Backend> BACKENDS = new ConcurrentHashMap<>();

    private TaskBackends() {}

    /** The backend for the running task: its GPU if Spark assigned one, else its cores on the CPU. */
    static Backend forTask(TaskContext task) {
        OptionalInt gpu = task == null ? OptionalInt.empty() : GpuAssignment.ordinal(task.resourcesJMap());
        if (gpu.isPresent()) {
            int n = gpu.getAsInt();
            return BACKENDS.computeIfAbsent("cuda:" + n, k -> {
                CudaProbe.Result r = CudaProbe.probe();
                if (!r.usable)
                    throw new dev.xent.InvalidInputException(
                            "Spark gave this task gpu " + n + ", but CUDA is not usable: " + r.reason);
                return new CudaBackend(n);
            });
        }
        int cpus = task == null ? Runtime.getRuntime().availableProcessors() : Math.max(1, task.cpus());
        return BACKENDS.computeIfAbsent("cpu:" + cpus, k -> new CpuBackend(cpus, dev.xent.Settings.cpuVector()));
    }
}
