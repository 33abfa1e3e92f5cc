package dev.xent;

import dev.xent.reference.ReferenceBackend;

class ReferenceContractTest extends BackendContractTest {
    @Override
    protected Backend create() {
        return new ReferenceBackend();
    }

    @Override
    protected DType computeType(DType input) {
        return DType.F64;
    }
}
