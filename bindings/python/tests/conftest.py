import os

import pytest


@pytest.fixture(scope="session")
def c_reference():
    """Values printed by bindings/c_reference/c_reference.c (built and run by
    tools/test.d/50-bindings.sh, which sets CLEF_C_REFERENCE)."""
    path = os.environ.get("CLEF_C_REFERENCE")
    if not path:
        pytest.skip("CLEF_C_REFERENCE not set (run tools/test.d/50-bindings.sh)")
    ref = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            k, _, v = line.rstrip("\n").partition("\t")
            ref[k] = v
    return ref
