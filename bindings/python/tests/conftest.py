import os

import numpy as np
import pytest


class Reference:
    """Outputs of bindings/c_reference/*.c (built and run by tools/test.d/50-bindings.sh into
    the directory named by CLEF_C_REFERENCE_DIR): <module>.txt key/value files and raw arrays."""

    def __init__(self, path):
        self.path = path

    def txt(self, module):
        f = os.path.join(self.path, f"{module}.txt")
        if not os.path.exists(f):
            pytest.skip(f"no {module} reference (the library has no {module} API)")
        ref = {}
        with open(f, encoding="utf-8") as fh:
            for line in fh:
                k, _, v = line.rstrip("\n").partition("\t")
                ref[k] = v
        return ref

    def array(self, name, dtype):
        return np.fromfile(os.path.join(self.path, name), dtype=dtype)


@pytest.fixture(scope="session")
def cref():
    path = os.environ.get("CLEF_C_REFERENCE_DIR")
    if not path:
        pytest.skip("CLEF_C_REFERENCE_DIR not set (run tools/test.d/50-bindings.sh)")
    return Reference(path)


@pytest.fixture(scope="session")
def c_reference(cref):
    return cref.txt("core")
