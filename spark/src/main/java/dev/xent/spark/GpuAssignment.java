package dev.xent.spark;

import java.util.Map;
import java.util.OptionalInt;
import org.apache.spark.resource.ResourceInformation;

/**
 * Which GPU a task runs on: the first address Spark's resource scheduling gave it under "gpu"
 * ({@code spark.task.resource.gpu.amount} with a discovery script), or none, and then the CPU.
 */
final class GpuAssignment {
    private GpuAssignment() {}

    /** The CUDA device ordinal of a task's resources ({@code TaskContext.resourcesJMap()}), or empty for the CPU. */
    static OptionalInt ordinal(Map<String, ResourceInformation> resources) {
        if (resources == null) return OptionalInt.empty();
        ResourceInformation gpu = resources.get("gpu");
        if (gpu == null || gpu.addresses().length == 0) return OptionalInt.empty();
        String a = gpu.addresses()[0].trim();
        try {
            int n = Integer.parseInt(a);
            if (n < 0) throw new NumberFormatException();
            return OptionalInt.of(n);
        } catch (NumberFormatException e) {
            throw new dev.xent.InvalidInputException("the gpu address Spark gave this task, '" + a
                    + "', is not a CUDA device ordinal (the discovery script must list ordinals such as 0 and 1)");
        }
    }
}
