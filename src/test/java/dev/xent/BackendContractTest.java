package dev.xent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What every backend must do, subclassed once per backend: PyTorch's golden cases (values, per-element losses,
 * softmax and log_softmax) and the edge-case contract (errors, NaN, shapes).
 */
public abstract class BackendContractTest {
    protected Backend backend;
    protected Xent xent;

    /** A fresh backend for each test. */
    protected abstract Backend create();

    /** The precision the backend's results carry for an input of this dtype. */
    protected DType computeType(DType input) {
        return input.computeType();
    }

    @BeforeEach
    void open() {
        backend = create();
        xent = Xent.on(backend);
    }

    @AfterEach
    void close() {
        if (xent != null) xent.close();
    }

    static List<Golden> goldenCases() {
        return Golden.all();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goldenCases")
    void matchesPyTorchGoldenLoss(Golden g) {
        Tensor x = g.array("logits");
        LossResult r = backend.loss(LossProblem.of(g.kind(), x, g.array("target"), g.spec()));
        DType ct = computeType(x.dtype());
        if (g.isScalar()) Tolerance.assertClose(g.name + " value", g.expected(), r.value(), ct);
        Tensor none = g.array("expected_none");
        assertArrayEquals(none.shape(), r.perElement().shape(), g.name + " per-element shape");
        Tolerance.assertAllClose(
                g.name + " per-element", none.toDoubleArray(), r.perElement().toDoubleArray(), ct);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goldenCases")
    void matchesPyTorchGoldenSoftmax(Golden g) {
        Tensor x = g.array("logits");
        if (x.numel() == 0) return;
        int dim = g.node.get("dim").asInt();
        Tensor lsm = xent.logSoftmax(x, dim), sm = xent.softmax(x, dim);
        DType outType = backend.name().equals("reference") ? DType.F64 : x.dtype();
        assertEquals(outType, lsm.dtype(), "log_softmax output dtype");
        Tolerance.assertAllClose(
                g.name + " log_softmax", g.array("log_softmax").toDoubleArray(), lsm.toDoubleArray(), outType);
        Tolerance.assertAllClose(g.name + " softmax", g.array("softmax").toDoubleArray(), sm.toDoubleArray(), outType);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goldenCases")
    void matchesPyTorchAutogradAndAccuracy(Golden g) {
        Tensor x = g.array("logits");
        boolean indices = g.node.has("predictions");
        Outputs outs = Outputs.builder()
                .gradient(true)
                .predictions(indices)
                .topK(indices ? g.node.get("topk").asInt() : 0)
                .build();
        LossResult r = backend.loss(LossProblem.of(g.kind(), x, g.array("target"), g.spec(), outs));
        DType ct = computeType(x.dtype());
        assertLossMatches(g, r, ct);
        DType gradType = backend.name().equals("reference") ? DType.F64 : x.dtype();
        assertEquals(gradType, r.gradient().dtype(), "gradient dtype");
        assertArrayEquals(x.shape(), r.gradient().shape(), "gradient shape");
        Tolerance.assertAllClose(
                g.name + " gradient",
                g.array("grad").toDoubleArray(),
                r.gradient().toDoubleArray(),
                gradType == DType.F64 ? ct : gradType);
        if (g.number("z_loss_scale", 0) > 0 && g.isScalar())
            Tolerance.assertClose(g.name + " z-loss", g.number("z_loss", 0), r.zLoss(), ct);
        if (indices) assertMetricsMatch(g, r);
    }

    /** The scalar (where the case reduces) and the per-element losses against PyTorch's. */
    private static void assertLossMatches(Golden g, LossResult r, DType ct) {
        if (g.isScalar()) Tolerance.assertClose(g.name + " value", g.expected(), r.value(), ct);
        Tolerance.assertAllClose(
                g.name + " per-element",
                g.array("expected_none").toDoubleArray(),
                r.perElement().toDoubleArray(),
                ct);
    }

    /** Predicted classes, top-1 and top-k accuracy against PyTorch's. */
    private static void assertMetricsMatch(Golden g, LossResult r) {
        assertArrayEquals(g.array("predictions").toLongArray(), r.predictions().toLongArray(), g.name + " predictions");
        assertEquals(g.number("accuracy", 0), r.accuracy(), 1e-12, g.name + " accuracy");
        assertEquals(g.number("topk_accuracy", 0), r.topkAccuracy(), 1e-12, g.name + " top-k accuracy");
    }

    /** Accuracy, top-k and predictions without the gradient: the CPU computes them in its float32 row loop. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("goldenCases")
    void matchesPyTorchAccuracyWithoutGradient(Golden g) {
        if (!g.node.has("predictions")) return;
        Tensor x = g.array("logits");
        Outputs outs = Outputs.builder()
                .predictions(true)
                .topK(g.node.get("topk").asInt())
                .build();
        LossResult r = backend.loss(LossProblem.of(g.kind(), x, g.array("target"), g.spec(), outs));
        DType ct = computeType(x.dtype());
        assertLossMatches(g, r, ct);
        assertMetricsMatch(g, r);
    }

    /** Only the gradient: the fast paths take their own float32 (CPU) or fused (CUDA) route for this. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("goldenCases")
    void matchesPyTorchAutogradGradientOnly(Golden g) {
        Tensor x = g.array("logits");
        LossResult r = backend.loss(LossProblem.of(
                g.kind(),
                x,
                g.array("target"),
                g.spec(),
                Outputs.builder().gradient(true).build()));
        DType ct = computeType(x.dtype());
        assertLossMatches(g, r, ct);
        DType gradType = backend.name().equals("reference") ? DType.F64 : x.dtype();
        Tolerance.assertAllClose(
                g.name + " gradient",
                g.array("grad").toDoubleArray(),
                r.gradient().toDoubleArray(),
                gradType == DType.F64 ? ct : gradType);
    }

    static List<Golden> bceCases() {
        return Golden.bce();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("bceCases")
    void binaryCrossEntropyMatchesPyTorch(Golden g) {
        Tensor x = g.array("logits");
        BceSpec spec = BceSpec.builder()
                .reduction(Reduction.parse(g.node.get("reduction").asText()))
                .weight(g.array("weight"))
                .posWeight(g.array("pos_weight"))
                .build();
        LossResult r = xent.bceWithLogits(
                x, g.array("target"), spec, Outputs.builder().gradient(true).build());
        DType ct = computeType(x.dtype());
        assertLossMatches(g, r, ct);
        DType gradType = r.gradient().dtype();
        Tolerance.assertAllClose(
                g.name + " gradient",
                g.array("grad").toDoubleArray(),
                r.gradient().toDoubleArray(),
                gradType == DType.F64 ? ct : gradType);
    }

    @Test
    void binaryCrossEntropyRejectsWhatDoesNotBroadcast() {
        Tensor x = Tensor.of(new float[6], 2, 3);
        InvalidInputException e = assertThrows(
                InvalidInputException.class,
                () -> xent.bceWithLogits(
                        x,
                        Tensor.of(new float[6], 2, 3),
                        BceSpec.builder().posWeight(Tensor.of(new float[2], 2)).build(),
                        null));
        assertEquals("pos_weight of shape (2,) does not broadcast to (2, 3)", e.getMessage());
        e = assertThrows(
                InvalidInputException.class, () -> xent.bceWithLogits(x, Tensor.of(new float[3], 3), null, null));
        assertEquals("target must have the input's shape: input (2, 3), target (3,)", e.getMessage());
    }

    @Test
    void badTargetNamesPositionValueAndRange() {
        Tensor x = Tensor.of(new float[12], 2, 3, 2);
        Tensor t = Tensor.of(new long[] {0, 1, 2, 7}, 2, 2);
        InvalidInputException e =
                assertThrows(InvalidInputException.class, () -> xent.crossEntropy(x, t, LossSpec.DEFAULT));
        assertEquals(
                "target[1, 1] = 7 is not a valid class: expected 0 <= target < 3 or ignore_index -100", e.getMessage());
        Tensor neg = Tensor.of(new int[] {0, -1}, 2);
        e = assertThrows(
                InvalidInputException.class, () -> xent.nllLoss(Tensor.of(new float[6], 2, 3), neg, LossSpec.DEFAULT));
        assertTrue(e.getMessage().startsWith("target[1] = -1 is not a valid class"), e.getMessage());
    }

    @Test
    void badTargetReportsTheFirstOfSeveral() {
        int n = 5000;
        long[] t = new long[n];
        t[1234] = 99;
        t[4000] = -5;
        InvalidInputException e = assertThrows(
                InvalidInputException.class,
                () -> xent.crossEntropy(Tensor.of(new float[n * 4], n, 4), Tensor.of(t, n), LossSpec.DEFAULT));
        assertTrue(e.getMessage().startsWith("target[1234] = 99 "), e.getMessage());
    }

    @Test
    void goodCallAfterBadTargetWorks() {
        assertThrows(
                InvalidInputException.class,
                () -> xent.crossEntropy(
                        Tensor.of(new float[] {1, 2}, 1, 2), Tensor.of(new long[] {2}, 1), LossSpec.DEFAULT));
        double v = xent.crossEntropy(
                        Tensor.of(new float[] {1, 2}, 1, 2), Tensor.of(new long[] {1}, 1), LossSpec.DEFAULT)
                .value();
        Tolerance.assertClose("after a bad call", Math.log1p(Math.exp(-1)), v, DType.F32);
    }

    @Test
    void shapeMismatchNamesBothShapes() {
        InvalidInputException e = assertThrows(
                InvalidInputException.class,
                () -> xent.crossEntropy(Tensor.of(new float[6], 2, 3), Tensor.of(new long[3], 3), LossSpec.DEFAULT));
        assertEquals("shape mismatch: input (2, 3) needs class-index target of shape (2,), got (3,)", e.getMessage());
        e = assertThrows(
                InvalidInputException.class,
                () -> xent.crossEntropy(
                        Tensor.of(new float[6], 2, 3), Tensor.of(new float[4], 2, 2), LossSpec.DEFAULT));
        assertEquals("probability targets must have the input's shape: input (2, 3), target (2, 2)", e.getMessage());
    }

    @Test
    void weightsOfTheWrongLengthAreRejected() {
        LossSpec s = LossSpec.builder().weights(1f, 2f).build();
        InvalidInputException e = assertThrows(
                InvalidInputException.class,
                () -> xent.crossEntropy(Tensor.of(new float[6], 2, 3), Tensor.of(new long[2], 2), s));
        assertEquals("weights have shape (2,) but the input has 3 classes", e.getMessage());
    }

    @Test
    void allIgnoredMeanIsNaNAndSumIsZero() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2);
        Tensor t = Tensor.of(new long[] {-100, -100}, 2);
        assertTrue(Double.isNaN(xent.crossEntropy(x, t, LossSpec.DEFAULT).value()));
        assertEquals(
                0.0,
                xent.crossEntropy(
                                x,
                                t,
                                LossSpec.builder().reduction(Reduction.SUM).build())
                        .value());
    }

    @Test
    void nanLogitsPoisonOnlyTheirRow() {
        Tensor x = Tensor.of(new float[] {1, Float.NaN, 3, 1, 2, 3}, 2, 3);
        Tensor t = Tensor.of(new long[] {0, 2}, 2);
        double[] per = xent.crossEntropy(
                        x, t, LossSpec.builder().reduction(Reduction.NONE).build())
                .perElement()
                .toDoubleArray();
        assertTrue(Double.isNaN(per[0]));
        Tolerance.assertClose("clean row", 0.40760596444438, per[1], DType.F32);
    }

    @Test
    void negativeInfinityLogitsAreFine() {
        float ninf = Float.NEGATIVE_INFINITY;
        Tensor x = Tensor.of(new float[] {0, ninf, ninf, 0}, 1, 4);
        Tolerance.assertClose(
                "two equal finite logits",
                Math.log(2),
                xent.crossEntropy(x, Tensor.of(new long[] {0}, 1), LossSpec.DEFAULT)
                        .value(),
                DType.F32);
        assertEquals(
                Double.POSITIVE_INFINITY,
                xent.crossEntropy(x, Tensor.of(new long[] {1}, 1), LossSpec.DEFAULT)
                        .value());
    }

    @Test
    void nllRejectsLabelSmoothingAndProbabilityTargets() {
        Tensor x = Tensor.of(new float[6], 2, 3);
        assertThrows(
                InvalidInputException.class,
                () -> xent.nllLoss(
                        x,
                        Tensor.of(new long[2], 2),
                        LossSpec.builder().labelSmoothing(0.1).build()));
        assertThrows(
                InvalidInputException.class, () -> xent.nllLoss(x, Tensor.of(new float[6], 2, 3), LossSpec.DEFAULT));
    }
}
