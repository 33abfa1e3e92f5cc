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
                LossProblem p = gen.problem();
                if (i % 2 == 1)
                    p = LossProblem.of(
                            p.kind(),
                            p.input(),
                            p.target(),
                            p.spec(),
                            Outputs.builder().gradient(true).build());
                else if (i % 4 == 2
                        && !p.probabilityTarget()) { // accuracy, top-k, predictions: class-index targets only
                    p = LossProblem.of(
                            p.kind(),
                            p.input(),
                            p.target(),
                            p.spec(),
                            Outputs.builder()
                                    .predictions(true)
                                    .topK(1 + i % Math.min(5, p.classes()))
                                    .build());
                }
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
                Tolerance.assertClose(what + " divisor", want.weightSum(), got.weightSum(), ct);
                if (p.outputs().predictions()) {
                    assertArrayEquals(
                            want.predictions().toLongArray(), got.predictions().toLongArray(), what + " predictions");
                    Tolerance.assertClose(what + " accuracy", want.accuracy(), got.accuracy(), DType.F64);
                    Tolerance.assertClose(what + " top-k accuracy", want.topkAccuracy(), got.topkAccuracy(), DType.F64);
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
