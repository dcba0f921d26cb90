"""Build hook: the wheel carries the libclef it was built beside (as numpy carries its OpenBLAS),
so `pip install bindings/python` after the README's build imports with no environment variable.

The library copied into clef/_lib/ is, in order: $CLEF_BUNDLE_LIBRARY (a path to
libclef.so.<ABI>), or the repository's build/release/lib/libclef.so.<ABI>. Without either the
package is built without a bundled library and finds an installed one (docs/python-quickstart.md).
Everything else is declared in pyproject.toml."""
import os
import re
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


def _abi():
    with open(os.path.join(HERE, "clef", "_ffi.py"), encoding="utf-8") as f:
        return int(re.search(r"^ABI_VERSION = (\d+)", f.read(), re.M).group(1))


def _library():
    name = f"libclef.so.{_abi()}"
    env = os.environ.get("CLEF_BUNDLE_LIBRARY")
    if env:
        if not os.path.isfile(env):
            raise SystemExit(f"CLEF_BUNDLE_LIBRARY={env}: no such file")
        return env, name
    built = os.path.join(HERE, "..", "..", "build", "release", "lib", name)
    return (built, name) if os.path.isfile(built) else (None, name)


class BuildWithLibrary(build_py):
    def run(self):
        super().run()
        src, name = _library()
        if src is None:
            print(f"clef: no built {name} found beside the sources: the package will use an "
                  "installed libclef (or CLEF_LIBRARY)")
            return
        dst_dir = os.path.join(self.build_lib, "clef", "_lib")
        os.makedirs(dst_dir, exist_ok=True)
        shutil.copy2(os.path.realpath(src), os.path.join(dst_dir, name))
        print(f"clef: bundled {os.path.realpath(src)} as clef/_lib/{name}")


setup(cmdclass={"build_py": BuildWithLibrary})
