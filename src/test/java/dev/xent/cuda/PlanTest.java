package dev.xent.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Launch shapes by regime (pure arithmetic: runs without a GPU). */
class PlanTest {
    @Test
    void fewClassesShareAWarp() {
        Plan p = Plan.forRows(1000, 10, 132, true);
        assertEquals(4, p.group()); // ceil(10 / 4) = 3 -> 4 threads per row
        assertEquals(1, p.splits());
        assertEquals((1000 + 63) / 64, p.grid());
        assertEquals(1, Plan.forRows(5, 1, 132, true).group());
        assertEquals(1, Plan.forRows(5, 4, 132, true).group());
        assertEquals(2, Plan.forRows(5, 5, 132, true).group());
        assertEquals(32, Plan.forRows(5, 129, 132, true).group());
        assertEquals(32, Plan.forRows(5, 2048, 132, true).group());
    }

    @Test
    void manyClassesTakeABlockPerRow() {
        Plan p = Plan.forRows(8192, 32000, 132, true);
        assertEquals(256, p.group());
        assertEquals(p.block(), p.group());
        assertEquals(1, p.splits());
        assertEquals(8192, p.grid());
        assertEquals(512, Plan.forRows(8192, 128256, 132, true).block());
    }

    @Test
    void fewLongRowsAreSplit() {
        Plan p = Plan.forRows(1, 1048576, 132, true);
        assertEquals(128, p.splits()); // slices of 8192 classes, capped by size
        assertEquals(128, p.grid());
        Plan q = Plan.forRows(3, 1048576, 132, true);
        assertEquals(128, q.splits()); // ceil(528 / 3) = 176 > 128: capped at C / 8192
        assertTrue(Plan.forRows(1, 1048576, 132, false).splits() == 1, "softmax never splits");
        assertEquals(1, Plan.forRows(1000, 1048576, 132, true).splits());
    }
}
