package dev.xent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.xent.reference.ReferenceBackend;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every fast variant ({@link Variants}) against the reference path on thousands of fresh random problems: losses,
 * per-element losses, softmax and log_softmax. The seed changes every run and is printed in any failure;
 * -Dxent.test.seed=N runs that seed again.
 */
class VariantsAgainstReferenceTest {
    static final int PROBLEMS = Integer.getInteger("xent.test.problems", 2000);

    static List<Variants.Variant> variants() {
        return Variants.all();
    }

    /** A fresh seed each run, or -Dxent.test.seed=N to replay a failure. */
    static long seed() {
        return Long.getLong("xent.test.seed", System.nanoTime());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void lossMatchesReference(Variants.Variant v) {
        long seed = seed();
        RandomProblems gen = new RandomProblems(seed);
        try (Backend ref = new ReferenceBackend();
                Backend fast = v.make.get()) {
            for (int i = 0; i < PROBLEMS; i++) {
                LossProblem p = withOutputs(gen.problem(), i, gen.rnd);
                String what = v.name + " problem " + i + " (seed " + seed + ", input " + p.input() + ", " + p.kind()
                        + ", target " + p.target() + ", " + p.spec() + ")";
                LossResult want = ref.loss(p), got = fast.loss(p);
                DType ct = p.input().dtype().computeType();
                assertArrayEquals(want.perElement().shape(), got.perElement().shape(), what);
                Tolerance.assertAllClose(
                        what + " per-element",
                        want.perElement().toDoubleArray(),
                        got.perElement().toDoubleArray(),
                        ct);
                if (want.isScalar()) Tolerance.assertClose(what + " value", want.value(), got.value(), ct);
                if (want.isScalar() && p.spec().zLossScale() != 0)
                    Tolerance.assertClose(what + " z-loss", want.zLoss(), got.zLoss(), ct);
                Tolerance.assertClose(what + " divisor", want.weightSum(), got.weightSum(), ct);
                if (p.outputs().predictions()) {
                    assertArrayEquals(
                            want.predictions().toLongArray(), got.predictions().toLongArray(), what + " predictions");
                    Tolerance.assertClose(what + " accuracy", want.accuracy(), got.accuracy(), DType.F64);
                    Tolerance.assertClose(what + " top-k accuracy", want.topkAccuracy(), got.topkAccuracy(), DType.F64);
                }
                if (p.outputs().rowStatistics()) {
                    Tolerance.assertAllClose(
                            what + " lse", want.lse().toDoubleArray(), got.lse().toDoubleArray(), ct);
                    Tolerance.assertAllClose(
                            what + " entropy",
                            want.entropy().toDoubleArray(),
                            got.entropy().toDoubleArray(),
                            ct);
                    Tolerance.assertClose(what + " mean entropy", want.meanEntropy(), got.meanEntropy(), ct);
                }
                if (p.outputs().gradient()) {
                    DType gt = got.gradient().dtype();
                    Tolerance.assertAllClose(
                            what + " gradient",
                            want.gradient().toDoubleArray(),
                            got.gradient().toDoubleArray(),
                            gt == DType.F64 ? ct : gt);
                }
            }
        }
    }

    /**
     * Problem i of the stream with what the request adds, in turn: the gradient; accuracy, top-k and predictions; all of
     * them at once; on every third cross-entropy problem the row statistics (lse, entropy); and, on every other
     * cross-entropy problem, z-loss, a softcap or both (the training options, which the CPU computes in its own rows).
     */
    static LossProblem withOutputs(LossProblem p, int i, java.util.SplittableRandom rnd) {
        boolean classes = !p.probabilityTarget(); // accuracy and top-k: class-index targets only
        Outputs.Builder o = Outputs.builder();
        switch (i % 4) {
            case 1 -> o.gradient(true);
            case 2 -> {
                if (classes) o.predictions(true).topK(1 + i % Math.min(5, p.classes()));
            }
            case 3 -> {
                o.gradient(true).predictions(true);
                if (classes) o.accuracy(true).topK(1 + i % Math.min(3, p.classes()));
            }
            default -> {}
        }
        if (p.kind() == LossKind.CROSS_ENTROPY && i % 3 == 0) o.rowStatistics(true);
        LossSpec spec = p.spec();
        if (p.kind() == LossKind.CROSS_ENTROPY && i % 8 >= 4) {
            LossSpec.Builder b = spec.toBuilder();
            int which = rnd.nextInt(3);
            if (which != 1) b.zLossScale(rnd.nextBoolean() ? 1e-4 : 0.25);
            if (which != 0) b.softcap(rnd.nextBoolean() ? 0.5 + rnd.nextDouble() : 30);
            spec = b.build();
        }
        return LossProblem.of(p.kind(), p.input(), p.target(), spec, o.build());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void softmaxMatchesReference(Variants.Variant v) {
        long seed = seed();
        RandomProblems gen = new RandomProblems(seed);
        try (Backend ref = new ReferenceBackend();
                Backend fast = v.make.get()) {
            for (int i = 0; i < PROBLEMS / 4; i++) {
                int c = gen.classes();
                long[] shape = gen.shape(c);
                DType dt = RandomProblems.LOGIT_TYPES[gen.rnd.nextInt(RandomProblems.LOGIT_TYPES.length)];
                Tensor x = gen.logits(shape, dt, gen.rnd.nextInt(4) == 1 && dt.byteSize() > 2 ? 1 : 0);
                int dim = gen.rnd.nextInt(shape.length) - (gen.rnd.nextBoolean() ? shape.length : 0);
                boolean log = gen.rnd.nextBoolean();
                String what =
                        v.name + " softmax " + i + " (seed " + seed + ", " + x + ", dim " + dim + ", log " + log + ")";
                Tensor want = ref.softmax(x, dim, log), got = fast.softmax(x, dim, log);
                assertEquals(x.dtype(), got.dtype(), what + " dtype");
                Tolerance.assertAllClose(what, want.toDoubleArray(), got.toDoubleArray(), dt);
            }
        }
    }
}
