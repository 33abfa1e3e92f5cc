package dev.xent.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.xent.DType;
import dev.xent.Half;
import dev.xent.LossSpec;
import dev.xent.Reduction;
import dev.xent.Tensor;
import dev.xent.Tolerance;
import dev.xent.Xent;
import dev.xent.cpu.CpuBackend;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A float16 .npy of 32769 x 65536 = 2^31 + 2^16 elements (4 GiB, a sparse file: zeros cost no disk) is memory-mapped
 * and its loss computed with 64-bit indexing. Non-zero logits planted past element 2^31 must be found exactly where
 * the indices say.
 */
class LargeFileTest {
    @TempDir Path dir;

    @Test void lossOverMoreThan2To31Elements() throws Exception {
        assumeTrue(Files.getFileStore(dir).getUsableSpace() > (6L << 30), "needs 6 GiB free disk for a sparse 4 GiB file");
        long rows = 32769, c = 65536;
        Path f = dir.resolve("big.npy");
        NpyTest.write(f, 1, "{'descr': '<f2', 'fortran_order': False, 'shape': (" + rows + ", " + c + "), }", NpyTest.le(0));
        long header = Files.size(f);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(header + rows * c * 2);
            // the last row (starting at element 2^31) gets logit 8 at class 5 and -3 at class 65535
            long last = (rows - 1) * c;
            plant(raf, header + (last + 5) * 2, 8f);
            plant(raf, header + (last + 65535) * 2, -3f);
        }
        Tensor x = Npy.read(f);
        assertEquals(rows * c, x.numel());
        assertEquals(DType.F16, x.dtype());
        long[] y = new long[(int) rows];
        y[(int) rows - 1] = 5;
        y[(int) rows - 2] = 7;
        try (Xent xent = Xent.on(new CpuBackend())) {
            double[] per = xent.crossEntropy(x, Tensor.of(y, rows), LossSpec.builder().reduction(Reduction.NONE).build())
                    .perElement().toDoubleArray();
            double lse = Math.log(Math.exp(8) + Math.exp(-3) + (c - 2));
            Tolerance.assertClose("zero row", Math.log(c), per[0], DType.F32);
            Tolerance.assertClose("row before the plant", Math.log(c), per[(int) rows - 2], DType.F32);
            Tolerance.assertClose("planted row past 2^31", lse - 8, per[(int) rows - 1], DType.F32);
        }
    }

    private static void plant(RandomAccessFile raf, long at, float v) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort(Half.fromFloat(v));
        raf.seek(at);
        raf.write(b.array());
    }
}
