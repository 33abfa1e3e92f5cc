package dev.xent.cpu;

import dev.xent.Half;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

// Over 400 lines: All Vector API loops in one class: they share the species, the exp and log kernels and their
// constants.
/**
 * {@link RowMath} on the Vector API at the machine's preferred width. Loaded only when jdk.incubator.vector is in the
 * boot layer (see {@link CpuBackend}).
 */
final class VectorRowMath implements RowMath {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Floats per vector (8 for AVX2, 16 for AVX-512). */
    static final int LANES = L;

    private static final VectorSpecies<Integer> SI = IntVector.SPECIES_PREFERRED;

    /** Floats per block of a row: 16 KiB, so a block summed again (see below) is still in L1. */
    static final int BLOCK = dev.xent.Settings.Tuning.CPU_ROW_BLOCK;
    /** How far a block's max may rise above the running reference before its sum is taken again (exp(60) fits a float). */
    static final float RESUM_MARGIN = 60f;
    /** Values of a row's first block that seed its reference: one cache line's worth, already on its way from memory. */
    static final int SEED = 16;

    /**
     * Reads the row from memory once. The reference starts as the max of the row's first {@link #SEED} values (or up
     * to its first value above -inf); then each block of {@link #BLOCK} values takes one loop for its max and its sum
     * of exp(x - reference), so the stream from memory overlaps the exponentials. A block whose max passes the
     * reference by more than {@link #RESUM_MARGIN} moves the reference there and is summed again (from L1); a
     * smaller rise re-anchors the running sum by one exp. So out[0] ends as the row's max.
     * <p>The loop's shape is what C2 (JDK 17) compiles well, measured on this machine on 2026-11-23 with the disassembly
     * in view: 16 vector instructions per 16 floats, the load and 7 FMAs among them (plus 6 register copies, as C2 has
     * one FMA form, whose addend is overwritten); two vectors per step, 0.10 ns per float on one core in cache and
     * 0.14 from memory (one vector per step: 0.16 and 0.15; four: boxed, 0.6).
     * <ul>
     * <li>No max(): Java's max semantics (NaN, -0.0) cost 5 AVX-512 instructions. The block max comes from a signed
     * integer max and min of the raw bits (1 instruction each): the largest non-negative pattern, else the smallest
     * negative one, is the largest float. A NaN among the values shows as a NaN max (positive NaN) or in the sum
     * (negative NaN, see {@link #expOfNegated}); either way the row's result is NaN.
     * <li>One accumulator of each kind, the step's two vectors combined before they reach it: with two accumulators
     * of each kind, C2 boxed the vectors on every step (an allocation each: 5x slower).
     * <li>No calls, and longer than C2's hot inlining limit (325 bytecodes), so it compiles as its own unit: inlined
     * into a caller that makes calls, the polynomial's constants went to the stack (vector registers do not survive
     * calls). The tail of a row is one step over its last L values (see {@link #TAIL_GAP}); the re-anchoring exp is
     * the vector one.
     * </ul>
     */
    @Override
    public void rowMaxAndSumExp(float[] a, int off, int len, float[] out) {
        float ref = Float.NEGATIVE_INFINITY, s = 0;
        for (int b = 0; b < len; ) {
            int n = Math.min(BLOCK, len - b), at = off + b;
            if (ref == Float.NEGATIVE_INFINITY) {
                int i = 0;
                if (n >= L) { // the first L values' max, from their bits as in the loop (a scalar loop cost about 20
                    // ns a row)
                    IntVector bits = FloatVector.fromArray(S, a, at).reinterpretAsInts();
                    int h = bits.reduceLanes(VectorOperators.MAX);
                    ref = Float.intBitsToFloat(h >= 0 ? h : bits.reduceLanes(VectorOperators.MIN));
                    i = L;
                }
                for (; i < n && (i < SEED || ref == Float.NEGATIVE_INFINITY); i++) ref = Math.max(ref, a[at + i]);
                if (ref == Float.NEGATIVE_INFINITY) {
                    b += n;
                    continue;
                } // an all -inf block adds nothing
            }
            FloatVector rv = FloatVector.broadcast(S, ref), sv = FloatVector.zero(S);
            IntVector hi = IntVector.broadcast(SI, Integer.MIN_VALUE), lo = IntVector.broadcast(SI, Integer.MAX_VALUE);
            int i = 0;
            for (; i + 2 * L <= n; i += 2 * L) {
                FloatVector x0 = FloatVector.fromArray(S, a, at + i), x1 = FloatVector.fromArray(S, a, at + i + L);
                IntVector b0 = x0.reinterpretAsInts(), b1 = x1.reinterpretAsInts();
                hi = hi.max(b0).max(b1);
                lo = lo.min(b0).min(b1);
                sv = sv.add(expOfNegated(rv.sub(x0)).add(expOfNegated(rv.sub(x1))));
            }
            if (i < n && b + n >= 2 * L) { // fewer than 2L left: one step over the row's last 2L values, see TAIL_GAP2
                int r = n - i, e = at + n - 2 * L;
                FloatVector x0 = FloatVector.fromArray(S, a, e), x1 = FloatVector.fromArray(S, a, e + L);
                IntVector b0 = x0.reinterpretAsInts(), b1 = x1.reinterpretAsInts();
                hi = hi.max(b0).max(b1);
                lo = lo.min(b0).min(b1);
                sv = sv.add(expOfNegated(tailGaps(rv.sub(x0), r)).add(expOfNegated(tailGaps(rv.sub(x1), r + L))));
                i = n;
            }
            for (; i + L <= n; i += L) {
                FloatVector x = FloatVector.fromArray(S, a, at + i);
                IntVector bits = x.reinterpretAsInts();
                hi = hi.max(bits);
                lo = lo.min(bits);
                sv = sv.add(expOfNegated(rv.sub(x)));
            }
            if (i < n && b + n >= L) { // fewer than L left: one step over the row's last L values, see TAIL_GAP
                FloatVector x = FloatVector.fromArray(S, a, at + n - L);
                IntVector bits = x.reinterpretAsInts();
                hi = hi.max(bits); // the lanes summed before hold values of this row: the max is the same
                lo = lo.min(bits);
                sv = sv.add(expOfNegated(rv.sub(x)
                        .reinterpretAsInts()
                        .max(IntVector.fromArray(SI, TAIL_GAP, n - i))
                        .reinterpretAsFloats()));
                i = n;
            }
            if (i < n) { // a row shorter than L: one step over a copy padded with -inf, whose exp adds < 16 * 1e-38
                // (a whole-vector load blended with -inf instead moved the loop's accumulators to the stack)
                float[] pad = new float[L];
                for (int k = 0; k < L; k++) pad[k] = i + k < n ? a[at + i + k] : Float.NEGATIVE_INFINITY;
                FloatVector x = FloatVector.fromArray(S, pad, 0);
                IntVector bits = x.reinterpretAsInts();
                hi = hi.max(bits);
                lo = lo.min(bits);
                sv = sv.add(expOfNegated(rv.sub(x)));
            }
            int h = hi.reduceLanes(VectorOperators.MAX);
            float bm = Float.intBitsToFloat(h >= 0 ? h : lo.reduceLanes(VectorOperators.MIN));
            float bs = sumLanes(sv);
            if (bm > ref + RESUM_MARGIN) { // the reference is too low for this block: move it, sum the block again
                s *= exp(ref - bm);
                ref = bm;
                continue;
            }
            s = bm > ref ? (s + bs) * exp(ref - bm) : s + bs;
            if (Float.isNaN(bm)) s = Float.NaN;
            ref = Math.max(ref, bm); // NaN sticks
            b += n;
        }
        out[0] = ref;
        out[1] = s;
    }

    /**
     * {@link #rowMaxAndSumExp} with the same bits, which also leaves each value's exp(x - ref) in e[eOff...] (0 where
     * the gap passes 87, as {@link #expOfNonPositive} flushes) and each block's reference ref in refs[block], so that
     * a gradient can be formed from them (see {@link #gradientFromKept}) without a second exp per value. A copy of the
     * loop, as C2 compiles each shape well only as its own unit.
     */
    @Override
    public boolean rowMaxAndSumExpKeeping(float[] a, int off, int len, float[] out, float[] e, int eOff, float[] refs) {
        float ref = Float.NEGATIVE_INFINITY, s = 0;
        for (int b = 0; b < len; ) {
            int n = Math.min(BLOCK, len - b), at = off + b, et = eOff + b;
            if (ref == Float.NEGATIVE_INFINITY) {
                int i = 0;
                if (n >= L) {
                    IntVector bits = FloatVector.fromArray(S, a, at).reinterpretAsInts();
                    int h = bits.reduceLanes(VectorOperators.MAX);
                    ref = Float.intBitsToFloat(h >= 0 ? h : bits.reduceLanes(VectorOperators.MIN));
                    i = L;
                }
                for (; i < n && (i < SEED || ref == Float.NEGATIVE_INFINITY); i++) ref = Math.max(ref, a[at + i]);
                if (ref == Float.NEGATIVE_INFINITY) { // an all -inf block adds nothing, and its probabilities are 0
                    java.util.Arrays.fill(e, et, et + n, 0f);
                    refs[b / BLOCK] = Float.NEGATIVE_INFINITY; // its factor exp(ref - m): 0, NaN where m is -inf
                    b += n;
                    continue;
                }
            }
            refs[b / BLOCK] = ref;
            FloatVector rv = FloatVector.broadcast(S, ref), sv = FloatVector.zero(S);
            IntVector hi = IntVector.broadcast(SI, Integer.MIN_VALUE), lo = IntVector.broadcast(SI, Integer.MAX_VALUE);
            int i = 0;
            for (; i + 2 * L <= n; i += 2 * L) {
                FloatVector x0 = FloatVector.fromArray(S, a, at + i), x1 = FloatVector.fromArray(S, a, at + i + L);
                IntVector b0 = x0.reinterpretAsInts(), b1 = x1.reinterpretAsInts();
                hi = hi.max(b0).max(b1);
                lo = lo.min(b0).min(b1);
                FloatVector g0 = rv.sub(x0), g1 = rv.sub(x1), e0 = expOfNegated(g0), e1 = expOfNegated(g1);
                e0.blend(0f, g0.compare(VectorOperators.GT, 87f)).intoArray(e, et + i);
                e1.blend(0f, g1.compare(VectorOperators.GT, 87f)).intoArray(e, et + i + L);
                sv = sv.add(e0.add(e1));
            }
            if (i < n && b + n >= 2 * L) { // the tail step of rowMaxAndSumExp; stores its unmasked exps
                int r = n - i, t = n - 2 * L;
                FloatVector x0 = FloatVector.fromArray(S, a, at + t), x1 = FloatVector.fromArray(S, a, at + t + L);
                IntVector b0 = x0.reinterpretAsInts(), b1 = x1.reinterpretAsInts();
                hi = hi.max(b0).max(b1);
                lo = lo.min(b0).min(b1);
                FloatVector g0 = rv.sub(x0), g1 = rv.sub(x1);
                sv = sv.add(expOfNegated(tailGaps(g0, r)).add(expOfNegated(tailGaps(g1, r + L))));
                // only the r new values: the others may belong to the block before, kept with its own reference
                float[] tail = new float[2 * L];
                expOfNegated(g0).blend(0f, g0.compare(VectorOperators.GT, 87f)).intoArray(tail, 0);
                expOfNegated(g1).blend(0f, g1.compare(VectorOperators.GT, 87f)).intoArray(tail, L);
                System.arraycopy(tail, 2 * L - r, e, et + i, r);
                i = n;
            }
            if (i < n) { // a row shorter than 2L: not kept (the caller takes the two-pass path)
                rowMaxAndSumExp(a, off, len, out);
                return false;
            }
            int h = hi.reduceLanes(VectorOperators.MAX);
            float bm = Float.intBitsToFloat(h >= 0 ? h : lo.reduceLanes(VectorOperators.MIN));
            float bs = sumLanes(sv);
            if (bm > ref + RESUM_MARGIN) { // the reference is too low for this block: move it, sum the block again
                s *= exp(ref - bm);
                ref = bm;
                continue;
            }
            s = bm > ref ? (s + bs) * exp(ref - bm) : s + bs;
            if (Float.isNaN(bm)) s = Float.NaN;
            ref = Math.max(ref, bm); // NaN sticks
            b += n;
        }
        out[0] = ref;
        out[1] = s;
        return true;
    }

    /**
     * The gradient row of {@link #gradientRow} from what {@link #rowMaxAndSumExpKeeping} left in e (in place): block k's
     * probabilities are e · exp(refs[k] − m) · invS, so each value costs a multiply and an FMA instead of an exp.
     */
    @Override
    public void gradientFromKept(
            float[] e, int off, int len, float[] refs, float m, float invS, float coefA, float coefB, float[] u) {
        for (int b = 0; b < len; b += BLOCK) {
            int n = Math.min(BLOCK, len - b), at = off + b;
            float f = (float) (Math.exp((double) refs[b / BLOCK] - m) * invS * coefA);
            FloatVector fv = FloatVector.broadcast(S, f), bv = FloatVector.broadcast(S, coefB);
            int i = 0;
            for (; i + L <= n; i += L) {
                FloatVector p = FloatVector.fromArray(S, e, at + i).mul(fv);
                FloatVector w =
                        u == null ? bv : FloatVector.fromArray(S, u, b + i).mul(coefB);
                p.sub(w).intoArray(e, at + i);
            }
            for (; i < n; i++) e[at + i] = e[at + i] * f - coefB * (u == null ? 1f : u[b + i]);
        }
    }

    /**
     * {@link #rowMaxAndSumExp} of a row in a little-endian buffer (a memory-mapped file's, read in place): the same
     * loop and arithmetic, loads from the buffer instead of an array, so the same bits. Its own copy, since C2
     * compiles each shape well only as its own unit (see above).
     */
    @Override
    public void rowMaxAndSumExp(ByteBuffer a, int len, float[] out) {
        float ref = Float.NEGATIVE_INFINITY, s = 0;
        for (int b = 0; b < len; ) {
            int n = Math.min(BLOCK, len - b), at = b;
            if (ref == Float.NEGATIVE_INFINITY) {
                int i = 0;
                if (n >= L) { // the first L values' max, from their bits as in the loop (a scalar loop cost about 20
                    // ns a row)
                    IntVector bits = FloatVector.fromByteBuffer(S, a, 4 * at, ByteOrder.LITTLE_ENDIAN)
                            .reinterpretAsInts();
                    int h = bits.reduceLanes(VectorOperators.MAX);
                    ref = Float.intBitsToFloat(h >= 0 ? h : bits.reduceLanes(VectorOperators.MIN));
                    i = L;
                }
                for (; i < n && (i < SEED || ref == Float.NEGATIVE_INFINITY); i++)
                    ref = Math.max(ref, a.getFloat(4 * (at + i)));
                if (ref == Float.NEGATIVE_INFINITY) {
                    b += n;
                    continue;
                } // an all -inf block adds nothing
            }
            FloatVector rv = FloatVector.broadcast(S, ref), sv = FloatVector.zero(S);
            IntVector hi = IntVector.broadcast(SI, Integer.MIN_VALUE), lo = IntVector.broadcast(SI, Integer.MAX_VALUE);
            int i = 0;
            for (; i + 2 * L <= n; i += 2 * L) {
                FloatVector x0 = FloatVector.fromByteBuffer(S, a, 4 * (at + i), ByteOrder.LITTLE_ENDIAN),
                        x1 = FloatVector.fromByteBuffer(S, a, 4 * (at + i + L), ByteOrder.LITTLE_ENDIAN);
                IntVector b0 = x0.reinterpretAsInts(), b1 = x1.reinterpretAsInts();
                hi = hi.max(b0).max(b1);
                lo = lo.min(b0).min(b1);
                sv = sv.add(expOfNegated(rv.sub(x0)).add(expOfNegated(rv.sub(x1))));
            }
            if (i < n && b + n >= 2 * L) { // fewer than 2L left: the row's last 2L values, as in rowMaxAndSumExp
                int r = n - i, e = at + n - 2 * L;
                FloatVector x0 = FloatVector.fromByteBuffer(S, a, 4 * e, ByteOrder.LITTLE_ENDIAN),
                        x1 = FloatVector.fromByteBuffer(S, a, 4 * (e + L), ByteOrder.LITTLE_ENDIAN);
                IntVector b0 = x0.reinterpretAsInts(), b1 = x1.reinterpretAsInts();
                hi = hi.max(b0).max(b1);
                lo = lo.min(b0).min(b1);
                sv = sv.add(expOfNegated(tailGaps(rv.sub(x0), r)).add(expOfNegated(tailGaps(rv.sub(x1), r + L))));
                i = n;
            }
            for (; i + L <= n; i += L) {
                FloatVector x = FloatVector.fromByteBuffer(S, a, 4 * (at + i), ByteOrder.LITTLE_ENDIAN);
                IntVector bits = x.reinterpretAsInts();
                hi = hi.max(bits);
                lo = lo.min(bits);
                sv = sv.add(expOfNegated(rv.sub(x)));
            }
            if (i < n && b + n >= L) { // fewer than L left: one step over the row's last L values, see TAIL_GAP
                FloatVector x = FloatVector.fromByteBuffer(S, a, 4 * (at + n - L), ByteOrder.LITTLE_ENDIAN);
                IntVector bits = x.reinterpretAsInts();
                hi = hi.max(bits); // the lanes summed before hold values of this row: the max is the same
                lo = lo.min(bits);
                sv = sv.add(expOfNegated(rv.sub(x)
                        .reinterpretAsInts()
                        .max(IntVector.fromArray(SI, TAIL_GAP, n - i))
                        .reinterpretAsFloats()));
                i = n;
            }
            if (i < n) { // a row shorter than L: one step over a copy padded with -inf, whose exp adds < 16 * 1e-38
                // (a whole-vector load blended with -inf instead moved the loop's accumulators to the stack)
                float[] pad = new float[L];
                for (int k = 0; k < L; k++) pad[k] = i + k < n ? a.getFloat(4 * (at + i + k)) : Float.NEGATIVE_INFINITY;
                FloatVector x = FloatVector.fromArray(S, pad, 0);
                IntVector bits = x.reinterpretAsInts();
                hi = hi.max(bits);
                lo = lo.min(bits);
                sv = sv.add(expOfNegated(rv.sub(x)));
            }
            int h = hi.reduceLanes(VectorOperators.MAX);
            float bm = Float.intBitsToFloat(h >= 0 ? h : lo.reduceLanes(VectorOperators.MIN));
            float bs = sumLanes(sv);
            if (bm > ref + RESUM_MARGIN) { // the reference is too low for this block: move it, sum the block again
                s *= exp(ref - bm);
                ref = bm;
                continue;
            }
            s = bm > ref ? (s + bs) * exp(ref - bm) : s + bs;
            if (Float.isNaN(bm)) s = Float.NaN;
            ref = Math.max(ref, bm); // NaN sticks
            b += n;
        }
        out[0] = ref;
        out[1] = s;
    }

    /**
     * {@link #rowMaxAndSumExp} over float16 / bfloat16 bits, converting as it loads (see {@link #halfLoad}): a separate
     * copy of the loop, since C2 compiles each shape well only as its own unit (see above). The rows are read once,
     * at 2 bytes a value, instead of being converted into a float row first and read again: bfloat16 8192 x 32000
     * on 2 cores 44 -> 22 ms. Correct for float16 too, but there C2 boxed the loop's vectors (0.8 ns per value against
     * 0.14 for bfloat16), so CpuBackend sends only bfloat16 here.
     */
    @Override
    public void rowMaxAndSumExpHalf(short[] a, boolean bf16, int off, int len, float[] out) {
        float ref = Float.NEGATIVE_INFINITY, s = 0;
        for (int b = 0; b < len; ) {
            int n = Math.min(BLOCK, len - b), at = off + b;
            if (ref == Float.NEGATIVE_INFINITY) {
                // scalar: the vector seed of rowMaxAndSumExp made C2 box this loop (bfloat16 65536 x 1000: 9-14 ->
                // 38-51 ms)
                for (int i = 0; i < n && (i < SEED || ref == Float.NEGATIVE_INFINITY); i++) {
                    ref = Math.max(ref, bf16 ? Half.bf16ToFloat(a[at + i]) : Half.toFloat(a[at + i]));
                }
                if (ref == Float.NEGATIVE_INFINITY) {
                    b += n;
                    continue;
                } // an all -inf block adds nothing
            }
            FloatVector rv = FloatVector.broadcast(S, ref), sv = FloatVector.zero(S);
            IntVector hi = IntVector.broadcast(SI, Integer.MIN_VALUE), lo = IntVector.broadcast(SI, Integer.MAX_VALUE);
            int i = 0;
            for (; i + 2 * L <= n; i += 2 * L) {
                FloatVector x0 = halfLoad(a, at + i, bf16), x1 = halfLoad(a, at + i + L, bf16);
                IntVector b0 = x0.reinterpretAsInts(), b1 = x1.reinterpretAsInts();
                hi = hi.max(b0).max(b1);
                lo = lo.min(b0).min(b1);
                sv = sv.add(expOfNegated(rv.sub(x0)).add(expOfNegated(rv.sub(x1))));
            }
            if (i < n && b + n >= 2 * L) { // fewer than 2L left: the row's last 2L values, as in rowMaxAndSumExp
                int r = n - i, e = at + n - 2 * L;
                FloatVector x0 = halfLoad(a, e, bf16), x1 = halfLoad(a, e + L, bf16);
                IntVector b0 = x0.reinterpretAsInts(), b1 = x1.reinterpretAsInts();
                hi = hi.max(b0).max(b1);
                lo = lo.min(b0).min(b1);
                sv = sv.add(expOfNegated(tailGaps(rv.sub(x0), r)).add(expOfNegated(tailGaps(rv.sub(x1), r + L))));
                i = n;
            }
            for (; i + L <= n; i += L) {
                FloatVector x = halfLoad(a, at + i, bf16);
                IntVector bits = x.reinterpretAsInts();
                hi = hi.max(bits);
                lo = lo.min(bits);
                sv = sv.add(expOfNegated(rv.sub(x)));
            }
            if (i < n && b + n >= L) { // fewer than L left: the row's last L values, as in rowMaxAndSumExp
                FloatVector x = halfLoad(a, at + n - L, bf16);
                IntVector bits = x.reinterpretAsInts();
                hi = hi.max(bits);
                lo = lo.min(bits);
                sv = sv.add(expOfNegated(rv.sub(x)
                        .reinterpretAsInts()
                        .max(IntVector.fromArray(SI, TAIL_GAP, n - i))
                        .reinterpretAsFloats()));
                i = n;
            }
            if (i < n) { // a row shorter than L: one step over a copy padded with -inf, whose exp adds < 16 * 1e-38
                float[] pad = new float[L];
                for (int k = 0; k < L; k++)
                    pad[k] = i + k >= n
                            ? Float.NEGATIVE_INFINITY
                            : bf16 ? Half.bf16ToFloat(a[at + i + k]) : Half.toFloat(a[at + i + k]);
                FloatVector x = FloatVector.fromArray(S, pad, 0);
                IntVector bits = x.reinterpretAsInts();
                hi = hi.max(bits);
                lo = lo.min(bits);
                sv = sv.add(expOfNegated(rv.sub(x)));
            }
            int h = hi.reduceLanes(VectorOperators.MAX);
            float bm = Float.intBitsToFloat(h >= 0 ? h : lo.reduceLanes(VectorOperators.MIN));
            float bs = sumLanes(sv);
            if (bm > ref + RESUM_MARGIN) { // the reference is too low for this block: move it, sum the block again
                s *= exp(ref - bm);
                ref = bm;
                continue;
            }
            s = bm > ref ? (s + bs) * exp(ref - bm) : s + bs;
            if (Float.isNaN(bm)) s = Float.NaN;
            ref = Math.max(ref, bm); // NaN sticks
            b += n;
        }
        out[0] = ref;
        out[1] = s;
    }

    /**
     * The tail of a row (r < L values left) is one step over its last L values, whose first L - r lanes were summed
     * already: their gaps are raised to +inf (a signed integer max with these bits, read from index r: +inf bits in
     * lanes [0, L - r), the smallest int, which changes nothing, in the rest), which the exp's cap reads as 87. For
     * the max, a value seen twice changes nothing. 1000 classes, one core, in cache: 0.22-0.27 -> 0.15 ns per value
     * with the vector seed (in a copy of the loop: 0.195 with the padded copy, which stays for rows shorter than L,
     * 0.146 with this step, 0.124 with the seed too).
     */
    private static final int[] TAIL_GAP = new int[2 * L];

    /**
     * Rows of at least 2L values end in one step of the main loop's shape over their last 2L values (r < 2L of them
     * new): the gaps of the first 2L - r lanes, summed already, are raised to +inf by a signed max with TAIL_GAP2 read
     * from r (first vector) and r + L (second), as for {@link #TAIL_GAP}. A loop of single vectors before the tail
     * step made C2 compile the whole row loop about a third slower (docs/cpu-performance-2026-12-02b.md).
     */
    private static final int[] TAIL_GAP2 = new int[4 * L];

    static {
        for (int k = 0; k < 4 * L; k++)
            TAIL_GAP2[k] = k < 2 * L ? Float.floatToRawIntBits(Float.POSITIVE_INFINITY) : Integer.MIN_VALUE;
    }

    static {
        for (int k = 0; k < 2 * L; k++)
            TAIL_GAP[k] = k < L ? Float.floatToRawIntBits(Float.POSITIVE_INFINITY) : Integer.MIN_VALUE;
    }

    /** The gaps g with the lanes where TAIL_GAP2[from + lane] is +inf raised to +inf (exp 0 for a sum). */
    private static FloatVector tailGaps(FloatVector g, int from) {
        return g.reinterpretAsInts()
                .max(IntVector.fromArray(SI, TAIL_GAP2, from))
                .reinterpretAsFloats();
    }

    /** Rows of at most this many classes take {@link #manyRowStats}; above it, the row loop one row at a time. */
    static final int MANY_ROWS_MAX_CLASSES = dev.xent.Settings.Tuning.CPU_SHORT_ROW_MAX_CLASSES;

    /**
     * Short rows, L at a time: the group is transposed into a scratch array (class k of the L rows becomes one vector),
     * so each lane carries one row through a max pass and a sum pass, and the per-row costs of the row loop (its
     * reductions, the seed, the padded tail) are paid once per L rows. Measured on one core of an AVX-512 machine,
     * ns per row (this path vs the row loop): 10 classes 6.9 vs 61, 32 classes 15 vs 58. Rows of
     * {@link #MEDIUM_ROW_MIN_VECTORS} vectors or more go to {@link #mediumRowStats} instead. The max is exact (bits,
     * as in the row loop); a lane whose max is NaN or infinite gets NaN, as rowStats gives; the sum starts at
     * max - max, so it does.
     */
    @Override
    public void manyRowStats(float[] a, int off, int rows, int c, float[] max, float[] logS) {
        if (c > MANY_ROWS_MAX_CLASSES) {
            RowMath.super.manyRowStats(a, off, rows, c, max, logS);
            return;
        }
        if (VectorWarmup.shortRowsReady()) manyRowStatsVector(a, off, rows, c, max, logS);
        else VectorTwin.manyRowStats(a, off, rows, c, max, logS); // the same bits while the vector loops compile
    }

    /** {@link #manyRowStats} on the Vector API, for c <= {@link #MANY_ROWS_MAX_CLASSES}, compiled or not. */
    void manyRowStatsVector(float[] a, int off, int rows, int c, float[] max, float[] logS) {
        if (c >= MEDIUM_ROW_MIN_VECTORS * L) {
            mediumRowStats(a, off, rows, c, max, logS);
            return;
        }
        float[] t = new float[c * L];
        float[] tailMax = null, tailLogS = null;
        for (int r0 = 0; r0 < rows; r0 += L) {
            int base = off + r0 * c;
            int n = Math.min(L, rows - r0);
            if (n < L) java.util.Arrays.fill(t, 0f); // the last group's missing rows: zeros, whose results are dropped
            for (int j = 0; j < n; j++) for (int k = 0; k < c; k++) t[k * L + j] = a[base + j * c + k];
            IntVector hi = IntVector.broadcast(SI, Integer.MIN_VALUE), lo = IntVector.broadcast(SI, Integer.MAX_VALUE);
            for (int k = 0; k < c; k++) {
                IntVector bits = FloatVector.fromArray(S, t, k * L).reinterpretAsInts();
                hi = hi.max(bits);
                lo = lo.min(bits);
            }
            FloatVector m = lo.blend(hi, hi.compare(VectorOperators.GE, 0)).reinterpretAsFloats();
            FloatVector sv = m.sub(m); // 0, or NaN where the max is NaN or infinite
            for (int k = 0; k < c; k++) sv = sv.add(expOfNegated(m.sub(FloatVector.fromArray(S, t, k * L))));
            FloatVector ls = logOfPositive(sv.max(1f)); // the sum holds exp(0) = 1; max keeps NaN
            if (n == L) {
                m.intoArray(max, r0);
                ls.intoArray(logS, r0);
            } else { // every row goes through the same lanes, so its bits do not depend on where a range or block ends
                if (tailMax == null) {
                    tailMax = new float[L];
                    tailLogS = new float[L];
                }
                m.intoArray(tailMax, 0);
                ls.intoArray(tailLogS, 0);
                System.arraycopy(tailMax, 0, max, r0, n);
                System.arraycopy(tailLogS, 0, logS, r0, n);
            }
        }
    }

    /** Rows of at least this many vectors take {@link #mediumRowStats} rather than the transposed group. */
    static final int MEDIUM_ROW_MIN_VECTORS = 4;

    /**
     * Rows of 4L to {@link #MANY_ROWS_MAX_CLASSES} values, one at a time in two passes: the exact max from the bits
     * (as in the row loop), then the sum of exp(x - max) over the row again, from L1, and one vector log per L rows.
     * Such a row is too long for the transposed group (its scalar copy costs more than the exps) and too short for
     * the row loop's per-row costs (seed, blocks, re-anchoring). One core, rows from memory, ns per row against the
     * path it replaced: 48 classes 40 vs 64-95 (transposed), 100 classes 83-123 vs 122-199 (transposed), 200
     * classes 120-128 vs 229-254 (row loop), 256 classes 171-190 vs 218-229 (row loop); at 512 the two were even.
     * Each row's tail is one step over its last L values with the lanes already summed masked by {@link #TAIL_GAP}.
     * The sum starts at max - max, so a NaN or infinite max gives NaN, as in {@link #manyRowStats}.
     */
    private static void mediumRowStats(float[] a, int off, int rows, int c, float[] max, float[] logS) {
        int full = c - c % L;
        IntVector tailGap = IntVector.fromArray(SI, TAIL_GAP, c - full);
        for (int r = 0; r < rows; r++) {
            int at = off + r * c;
            IntVector hi = IntVector.broadcast(SI, Integer.MIN_VALUE), lo = IntVector.broadcast(SI, Integer.MAX_VALUE);
            for (int i = 0; i < full; i += L) {
                IntVector bits = FloatVector.fromArray(S, a, at + i).reinterpretAsInts();
                hi = hi.max(bits);
                lo = lo.min(bits);
            }
            IntVector last = FloatVector.fromArray(S, a, at + c - L).reinterpretAsInts();
            hi = hi.max(last);
            lo = lo.min(last);
            int h = hi.reduceLanes(VectorOperators.MAX);
            float m = Float.intBitsToFloat(h >= 0 ? h : lo.reduceLanes(VectorOperators.MIN));
            FloatVector mv = FloatVector.broadcast(S, m);
            FloatVector sv = mv.sub(mv);
            for (int i = 0; i < full; i += L) sv = sv.add(expOfNegated(mv.sub(FloatVector.fromArray(S, a, at + i))));
            if (full < c)
                sv = sv.add(expOfNegated(mv.sub(FloatVector.fromArray(S, a, at + c - L))
                        .reinterpretAsInts()
                        .max(tailGap)
                        .reinterpretAsFloats()));
            max[r] = m;
            logS[r] = sumLanes(sv);
        }
        int r = 0;
        for (; r + L <= rows; r += L)
            logOfPositive(FloatVector.fromArray(S, logS, r).max(1f)).intoArray(logS, r);
        if (r < rows) { // the last rows through the same lanewise log, in a padded copy
            float[] sums = new float[L];
            System.arraycopy(logS, r, sums, 0, rows - r);
            logOfPositive(FloatVector.fromArray(S, sums, 0).max(1f)).intoArray(sums, 0);
            System.arraycopy(sums, 0, logS, r, rows - r);
        }
    }

    /** exp(d) of one float through the vector routine (no call to Math.exp, see above); for d <= 60. */
    private static float exp(float d) {
        return expOfNegated(FloatVector.broadcast(S, -d)).lane(0);
    }

    private static final IntVector GAP_CAP_BITS = IntVector.broadcast(SI, Float.floatToRawIntBits(87f));
    private static final FloatVector NEG_LOG2E = FloatVector.broadcast(S, (float) (-1 / Math.log(2)));
    private static final FloatVector MAGIC =
            FloatVector.broadcast(S, 0x1.8p23f); // 1.5 * 2^23: adding it rounds to an integer

    /**
     * exp(-g) for gaps g = reference - x >= -60, for sums only; 30% faster here than VectorOperators.EXP because it
     * needs no float-int conversion, which JDK 17 does not compile to one instruction. Gaps above 87 (and +inf, from
     * x = -inf) are capped at 87 by a signed integer min of the bits, exact for non-negative floats and leaving negative
     * ones alone: exp(-87) = 1.6e-38 then stands for a smaller term, which no sum holding exp(0) = 1 can notice.
     * -g * log2(e) = k + f with k = round (one FMA adds the 1.5 * 2^23 trick, whose low mantissa bits then hold k) and
     * |f| <= 1/2 (a second FMA, so the product is rounded once, not before k is taken off: 3x more accurate and one
     * instruction fewer than multiplying first, 6% faster in cache); 2^f by 1 + f q(f), q of degree 4 fitted for least
     * maximum relative error on [-1/2, 1/2] (9.2e-8 in exact arithmetic, 1.7e-7 in float32; the degree-6 Taylor
     * polynomial it replaced had 1.2e-7 and 2.2e-7, and one more FMA); times 2^k by adding k to the exponent bits.
     * Relative error <= 1.5e-6 over gaps [-60, 87] (from log2 e rounded to float, times large gaps, where terms are
     * below 1e-26 of the sum; VectorRowMathTest holds these bounds).
     * A negative NaN gap gives NaN; a positive NaN is capped like +inf, so callers must catch NaN elsewhere (the row
     * loop does, through its max).
     */
    static FloatVector expOfNegated(FloatVector g) {
        FloatVector gc = g.reinterpretAsInts().min(GAP_CAP_BITS).reinterpretAsFloats();
        FloatVector big = gc.fma(NEG_LOG2E, MAGIC); // MAGIC + k, k = round(-gc * log2 e)
        FloatVector f = gc.fma(NEG_LOG2E, MAGIC.sub(big)); // -gc * log2 e - k, rounded once
        FloatVector p = f.fma(1.3264677254483104e-3f, 9.671495296061039e-3f)
                .fma(f, FloatVector.broadcast(S, 5.550733581185341e-2f))
                .fma(f, FloatVector.broadcast(S, 2.4022242426872253e-1f))
                .fma(f, FloatVector.broadcast(S, 6.931470036506653e-1f))
                .fma(f, FloatVector.broadcast(S, 1f));
        return p.reinterpretAsInts()
                .add(big.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23))
                .reinterpretAsFloats();
    }

    private static final VectorSpecies<Short> SS =
            VectorSpecies.of(short.class, VectorShape.forBitSize(S.vectorBitSize() / 2));

    /**
     * L halves at a time, widened to int lanes: bfloat16 is the high half of a float; float16's exponent and mantissa
     * moved into float position and scaled by 2^112 re-bias normal and subnormal values exactly, and exponent 31
     * becomes inf / NaN (see {@link #halfLoad}). Checked bit for bit against {@link dev.xent.Half#toFloat} on all 65536 patterns
     * (VectorRowMathTest); 0.15 ns per value here against 0.6 for the table lookup.
     */
    @Override
    public void halfToFloat(short[] src, int off, float[] dst, int dstOff, int len, boolean bf16) {
        int i = 0;
        for (; i + L <= len; i += L) halfLoad(src, off + i, bf16).intoArray(dst, dstOff + i);
        RowMath.super.halfToFloat(src, off + i, dst, dstOff + i, len - i, bf16);
    }

    /**
     * L float16 (or bfloat16) values from src[at], as floats; exact (see {@link #halfToFloat}). Integer arithmetic only:
     * a compare-and-blend for inf / NaN made C2 box the row loop's vectors (float16 rows 2.5x slower than converting
     * them first).
     */
    static FloatVector halfLoad(short[] src, int at, boolean bf16) {
        IntVector h = (IntVector) ShortVector.fromArray(SS, src, at).convertShape(VectorOperators.S2I, SI, 0);
        if (bf16) return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
        IntVector o = h.and(0x7fff).lanewise(VectorOperators.LSHL, 13); // exponent and mantissa in float position
        IntVector inf = o.add(0x00800000).lanewise(VectorOperators.LSHR, 28); // 1 where the exponent is 31: inf or NaN
        return o.reinterpretAsFloats()
                .mul(0x1p112f)
                .reinterpretAsInts()
                .add(inf.neg().and(0x38000000)) // exponent 143 (what 31 became) to 255, with no blend (see below)
                .or(h.lanewise(VectorOperators.LSHL, 16).and(0x80000000))
                .reinterpretAsFloats();
    }

    @Override
    public int firstIndexOf(float[] a, int off, int len, float v) {
        int i = 0;
        for (; i + L <= len; i += L) {
            if (FloatVector.fromArray(S, a, off + i).eq(v).anyTrue()) break; // then the lanes one by one
        }
        for (; i < len; i++) if (a[off + i] == v) return i;
        return -1;
    }

    @Override
    public int countAbove(float[] a, int off, int len, float v, int ties) {
        int n = 0, i = 0;
        int lead = Math.min(Math.max(ties, 0), len);
        // below ties an equal value ranks above too (NaN compares false either way)
        for (; i + L <= lead; i += L)
            n += FloatVector.fromArray(S, a, off + i)
                    .compare(VectorOperators.GE, v)
                    .trueCount();
        for (; i < lead; i++) if (a[off + i] >= v) n++;
        for (; i + L <= len; i += L)
            n += FloatVector.fromArray(S, a, off + i)
                    .compare(VectorOperators.GT, v)
                    .trueCount();
        for (; i < len; i++) if (a[off + i] > v) n++;
        return n;
    }

    @Override
    public double sumWeightedGap(float[] a, int off, int len, float m, float[] w) {
        FloatVector mv = FloatVector.broadcast(S, m);
        double s = 0;
        int i = 0;
        while (i + L <= len) { // float lanes over a chunk, chunks added in double
            FloatVector acc = FloatVector.zero(S);
            for (int end = Math.min(len - L, i + SUM_CHUNK - L); i <= end; i += L) {
                FloatVector gap = mv.sub(FloatVector.fromArray(S, a, off + i));
                acc = w == null ? acc.add(gap) : gap.fma(FloatVector.fromArray(S, w, i), acc);
            }
            s += sumLanes(acc);
        }
        for (; i < len; i++) s += (w == null ? 1f : w[i]) * (m - a[off + i]);
        return s;
    }

    /**
     * Values a float-lane sum takes before it is added to a double: few enough adds per lane that one-way rounding
     * stays near float's precision, many enough that the lane sums cost little.
     */
    private static final int SUM_CHUNK = 256;

    /** {@link RowMath#sumExpTimesGap} with the vector exp; a lane whose exp is 0 (a gap below -87, or -inf) adds 0. */
    @Override
    public double sumExpTimesGap(float[] a, int off, int len, float m) {
        FloatVector mv = FloatVector.broadcast(S, m);
        double s = 0;
        int i = 0;
        while (i + L <= len) { // float lanes over a chunk, chunks added in double
            FloatVector acc = FloatVector.zero(S);
            for (int end = Math.min(len - L, i + SUM_CHUNK - L); i <= end; i += L) {
                FloatVector d = FloatVector.fromArray(S, a, off + i).sub(mv);
                FloatVector e = expOfNonPositive(d);
                acc = acc.add(e.mul(d).blend(0f, e.compare(VectorOperators.EQ, 0f)));
            }
            s += sumLanes(acc);
        }
        for (; i < len; i++) {
            float d = a[off + i] - m;
            float e = expOfNonPositive(FloatVector.broadcast(S, d)).lane(0);
            if (e != 0) s += e * d;
        }
        return s;
    }

    @Override
    public void normalize(
            float[] a, int off, int len, float m, float logS, float invS, boolean logOutput, float[] out, int outOff) {
        FloatVector mv = FloatVector.broadcast(S, m);
        int i = 0;
        for (; i + L <= len; i += L) {
            FloatVector d = FloatVector.fromArray(S, a, off + i).sub(mv);
            (logOutput ? d.sub(logS) : expOfNonPositive(d).mul(invS)).intoArray(out, outOff + i);
        }
        for (; i < len; i++) {
            float d = a[off + i] - m;
            out[outOff + i] = logOutput
                    ? d - logS
                    : expOfNonPositive(FloatVector.broadcast(S, d)).lane(0) * invS;
        }
    }

    /** {@link RowMath#gradientRow} in one pass: p_j straight from the exp, never stored before the difference. */
    @Override
    public void gradientRow(
            float[] a,
            int off,
            int len,
            float m,
            float invS,
            float coefA,
            float coefB,
            float[] u,
            float[] out,
            int outOff) {
        FloatVector mv = FloatVector.broadcast(S, m);
        int i = 0;
        for (; i + L <= len; i += L) {
            FloatVector p = expOfNonPositive(
                            FloatVector.fromArray(S, a, off + i).sub(mv))
                    .mul(invS);
            FloatVector b = u == null
                    ? FloatVector.broadcast(S, coefB)
                    : FloatVector.fromArray(S, u, i).mul(coefB);
            p.mul(coefA).sub(b).intoArray(out, outOff + i);
        }
        for (; i < len; i++) {
            float p = expOfNonPositive(FloatVector.broadcast(S, a[off + i] - m)).lane(0) * invS;
            out[outOff + i] = coefA * p - coefB * (u == null ? 1f : u[i]);
        }
    }

    @Override
    public float klTerms(float[] a, float[] b, int len, float ma, float mb, float invS, float k) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i + L <= len; i += L)
            acc = acc.add(klLanes(FloatVector.fromArray(S, a, i), FloatVector.fromArray(S, b, i), ma, mb, invS, k));
        if (i < len) { // the tail as one more step, padded with a = -inf: weights of 0
            float[] pa = new float[L], pb = new float[L];
            java.util.Arrays.fill(pa, Float.NEGATIVE_INFINITY);
            System.arraycopy(a, i, pa, 0, len - i);
            System.arraycopy(b, i, pb, 0, len - i);
            acc = acc.add(klLanes(FloatVector.fromArray(S, pa, 0), FloatVector.fromArray(S, pb, 0), ma, mb, invS, k));
        }
        return sumLanes(acc);
    }

    /** w ((a − ma) − (b − mb) − k), w = exp(a − ma) invS, 0 where w is 0. */
    private static FloatVector klLanes(FloatVector a, FloatVector b, float ma, float mb, float invS, float k) {
        FloatVector da = a.sub(ma);
        FloatVector w = expOfNonPositive(da).mul(invS);
        return w.mul(da.sub(b.sub(mb)).sub(k)).blend(0f, w.compare(VectorOperators.EQ, 0f));
    }

    @Override
    public float jsdTerms(
            float[] zt, float[] zs, int len, float mT, float lT, float mS, float lS, float beta, float[] h) {
        int main = len - len % L;
        FloatVector acc = jsdLoop(zt, zs, main, mT, lT, mS, lS, beta, h);
        if (main < len) { // the tail as one more step, padded with logits of -inf (probabilities 0: terms 0)
            float[] pt = new float[L], ps = new float[L], ph = h == null ? null : new float[L];
            java.util.Arrays.fill(pt, Float.NEGATIVE_INFINITY);
            java.util.Arrays.fill(ps, Float.NEGATIVE_INFINITY);
            System.arraycopy(zt, main, pt, 0, len - main);
            System.arraycopy(zs, main, ps, 0, len - main);
            acc = acc.add(jsdLoop(pt, ps, L, mT, lT, mS, lS, beta, ph));
            if (h != null) System.arraycopy(ph, 0, h, main, len - main);
        }
        return sumLanes(acc);
    }

    /**
     * The lanes of {@link #jsdTerms} over [0, n), n a multiple of L: β P (lp − lm) + (1 − β) Q (lq − lm), the
     * student's term also stored to h (if not null). M = β P + (1 − β) Q is a normal float wherever it matters: P and
     * Q are 0 or at least exp(-87) (see {@link #expOfNonPositive}); where M is subnormal its log is off, but the terms
     * it meets are below 1e-37. Each product is 0 where its probability is 0 (where lm may be -inf or NaN). The loop
     * and its vectors stay in one method: split into a per-step call, C2 boxed the vectors (an allocation per step).
     */
    private static FloatVector jsdLoop(
            float[] zt, float[] zs, int n, float mT, float lT, float mS, float lS, float beta, float[] h) {
        FloatVector acc = FloatVector.zero(S);
        for (int i = 0; i < n; i += L) {
            FloatVector lp = FloatVector.fromArray(S, zt, i).sub(mT).sub(lT),
                    lq = FloatVector.fromArray(S, zs, i).sub(mS).sub(lS);
            // P = exp(lp), Q = exp(lq): expOfNonPositive written out (as a call, C2 boxed the vectors)
            FloatVector gp = lp.neg(), gq = lq.neg();
            FloatVector cp = gp.reinterpretAsInts().min(GAP_CAP_BITS).reinterpretAsFloats(),
                    cq = gq.reinterpretAsInts().min(GAP_CAP_BITS).reinterpretAsFloats();
            FloatVector bp = cp.fma(NEG_LOG2E, MAGIC), bq = cq.fma(NEG_LOG2E, MAGIC);
            FloatVector fp = cp.fma(NEG_LOG2E, MAGIC.sub(bp)), fq = cq.fma(NEG_LOG2E, MAGIC.sub(bq));
            FloatVector pp = fp.fma(E4, E3).fma(fp, E2).fma(fp, E1).fma(fp, E0).fma(fp, ONE);
            FloatVector pq = fq.fma(E4, E3).fma(fq, E2).fma(fq, E1).fma(fq, E0).fma(fq, ONE);
            FloatVector p = pp.reinterpretAsInts()
                    .add(bp.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23))
                    .reinterpretAsFloats()
                    .blend(0f, gp.compare(VectorOperators.GT, 87f));
            FloatVector q = pq.reinterpretAsInts()
                    .add(bq.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23))
                    .reinterpretAsFloats()
                    .blend(0f, gq.compare(VectorOperators.GT, 87f));
            // lm = log(β P + (1 − β) Q): logOfPositive written out
            FloatVector mix = p.mul(beta).add(q.mul(1 - beta));
            IntVector ix = mix.reinterpretAsInts().add(0x3f800000 - 0x3f3504f3);
            FloatVector ef =
                    (FloatVector) ix.lanewise(VectorOperators.ASHR, 23).sub(127).convert(VectorOperators.I2F, 0);
            FloatVector m = ix.and(0x007fffff).add(0x3f3504f3).reinterpretAsFloats();
            FloatVector z = m.sub(1f).div(m.add(1f)), z2 = z.mul(z);
            FloatVector series = z2.fma(L9, L7).fma(z2, L5).fma(z2, L3).fma(z2, ONE);
            FloatVector lm = z.add(z).fma(series, ef.mul(LN2_LO)).add(ef.mul(LN2_HI));
            FloatVector tp = p.mul(lp.sub(lm)).mul(beta).blend(0f, p.compare(VectorOperators.EQ, 0f));
            FloatVector tq = q.mul(lq.sub(lm)).mul(1 - beta).blend(0f, q.compare(VectorOperators.EQ, 0f));
            if (h != null) tq.intoArray(h, i);
            acc = acc.add(tp.add(tq));
        }
        return acc;
    }

    // the polynomials of expOfNegated and logOfPositive, as vectors
    private static final FloatVector E4 = FloatVector.broadcast(S, 1.3264677254483104e-3f),
            E3 = FloatVector.broadcast(S, 9.671495296061039e-3f),
            E2 = FloatVector.broadcast(S, 5.550733581185341e-2f),
            E1 = FloatVector.broadcast(S, 2.4022242426872253e-1f),
            E0 = FloatVector.broadcast(S, 6.931470036506653e-1f),
            ONE = FloatVector.broadcast(S, 1f);
    private static final FloatVector L9 = FloatVector.broadcast(S, 1f / 9),
            L7 = FloatVector.broadcast(S, 1f / 7),
            L5 = FloatVector.broadcast(S, 1f / 5),
            L3 = FloatVector.broadcast(S, 1f / 3);

    @Override
    public void shiftAndScale(float[] x, float[] z, int len, float invT) {
        FloatVector mv = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (; i + L <= len; i += L) mv = mv.max(FloatVector.fromArray(S, x, i));
        float m = mv.reduceLanes(VectorOperators.MAX); // exact in any order
        for (; i < len; i++) m = Math.max(m, x[i]);
        if (Float.isInfinite(m)) m = 0; // a row of -inf (or with +inf) is left to the stats, which make it NaN
        FloatVector sub = FloatVector.broadcast(S, m), mul = FloatVector.broadcast(S, invT);
        for (i = 0; i + L <= len; i += L)
            FloatVector.fromArray(S, x, i).sub(sub).mul(mul).intoArray(z, i);
        for (; i < len; i++) z[i] = (x[i] - m) * invT;
    }

    /*
     * Every result above must have the same bits whether the JIT has compiled this class or not (the first rows of a
     * run go through the interpreter; a block computed there must equal the same block computed later, or the
     * loss would depend on the partitioning). So the loops use only exactly rounded operations, whose interpreted
     * fallbacks and compiled intrinsics agree: no reduceLanes(ADD), whose order is left free, and no lanewise EXP or
     * LOG, whose compiled forms differ from their fallbacks in the last bits.
     */

    /**
     * The steps of a fixed tree sum over the lanes: lane i of SUM_STEP_w is lane i + w (wrapping). One static final
     * field each, not an array, so that C2 takes each as a constant; read from an array, each rearrange loaded and
     * checked its shuffle at every call (sumLanes was as costly as the exps of a 100-class row).
     */
    private static final VectorShuffle<Float> SUM_STEP_8 = sumStep(8),
            SUM_STEP_4 = sumStep(4),
            SUM_STEP_2 = sumStep(2),
            SUM_STEP_1 = sumStep(1);

    private static VectorShuffle<Float> sumStep(int w) {
        return VectorShuffle.fromOp(S, i -> (i + w) % L);
    }

    /** The sum of the lanes in a fixed order (a pairwise tree, for up to 16 lanes), whatever the JIT does. */
    static float sumLanes(FloatVector v) {
        if (L > 16) throw new AssertionError("a tree for " + L + " lanes"); // the preferred width is at most 512 bits
        if (L == 16) v = v.add(v.rearrange(SUM_STEP_8));
        if (L >= 8) v = v.add(v.rearrange(SUM_STEP_4));
        if (L >= 4) v = v.add(v.rearrange(SUM_STEP_2));
        if (L >= 2) v = v.add(v.rearrange(SUM_STEP_1));
        return v.lane(0);
    }

    private static final float LN2_HI = 0.693145751953125f,
            LN2_LO = 1.428606765330187e-6f; // ln 2 = HI + LO, HI exact in 16 bits

    /**
     * ln(s) for positive normal floats (NaN for NaN) from exactly rounded operations: s = 2^e m with m in
     * [sqrt(1/2), sqrt(2)), z = (m - 1) / (m + 1), ln m = 2 atanh z = 2 (z + z^3/3 + ... + z^9/9) (|z| <= 0.172: the
     * next term is below 1e-9), plus e ln 2 in two parts. The range reduction is integer arithmetic alone (as musl's
     * logf): adding 1 − sqrt(1/2) to the bits carries into the exponent exactly when the mantissa is at least sqrt(2),
     * so it needs no mask. (A compare, blend and mask cast in its place ran through the Vector API's slow fallback on
     * AVX2, a quarter of the short-row stats' time.)
     */
    static FloatVector logOfPositive(FloatVector s) {
        IntVector ix = s.reinterpretAsInts().add(0x3f800000 - 0x3f3504f3);
        IntVector e = ix.lanewise(VectorOperators.ASHR, 23).sub(127);
        FloatVector m = ix.and(0x007fffff).add(0x3f3504f3).reinterpretAsFloats();
        FloatVector z = m.sub(1f).div(m.add(1f)), z2 = z.mul(z);
        FloatVector q = z2.fma(FloatVector.broadcast(S, 1f / 9), FloatVector.broadcast(S, 1f / 7))
                .fma(z2, FloatVector.broadcast(S, 1f / 5))
                .fma(z2, FloatVector.broadcast(S, 1f / 3))
                .fma(z2, FloatVector.broadcast(S, 1f));
        FloatVector ef = (FloatVector) e.convert(VectorOperators.I2F, 0);
        FloatVector ln = z.add(z).fma(q, ef.mul(LN2_LO)).add(ef.mul(LN2_HI));
        return ln.blend(s, s.test(VectorOperators.IS_NAN));
    }

    /** exp(d) for d <= 0 (NaN for NaN) through {@link #expOfNegated}; results below the normal range flush to 0. */
    static FloatVector expOfNonPositive(FloatVector d) {
        FloatVector g = d.neg();
        return expOfNegated(g).blend(0f, g.compare(VectorOperators.GT, 87f));
    }

    @Override
    public String name() {
        return "vector(" + S.vectorBitSize() + "-bit)";
    }
}
