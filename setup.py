"""Builds the `smx` extension with the project's CMake for `pip install .`.

The pure-Python package comes from python/smx (see pyproject.toml); this adds `smx._core`
and the libsmx it links to, both installed into the package folder (the extension finds the
library through its $ORIGIN rpath), and the `smx` command-line tool (smx/_bin/smx, run by the
`smx` entry point and `python -m smx`). Set SMX_CMAKE_ARGS for extra configure options and
SMX_BUILD_JOBS for parallelism. SMX_PREBUILT=DIR installs from an existing CMake build folder
configured for this interpreter (with tools and Python on) instead of building anew.
"""

import os
import shlex
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
(ROOT / "build-pip").mkdir(exist_ok=True)


class CMakeExtension(Extension):
    def __init__(self, name: str) -> None:
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext: Extension) -> None:
        package_dir = Path(self.get_ext_fullpath(ext.name)).resolve().parent  # .../smx
        prebuilt = os.environ.get("SMX_PREBUILT")
        if prebuilt:
            build_dir = Path(prebuilt).resolve()
        else:
            build_dir = Path(self.build_temp).resolve() / "cmake"
            build_dir.mkdir(parents=True, exist_ok=True)
            configure = [
                "cmake", "-S", str(ROOT), "-B", str(build_dir),
                "-DCMAKE_BUILD_TYPE=Release",
                f"-DPython3_EXECUTABLE={sys.executable}",
                "-DSMX_BUILD_TESTS=OFF", "-DSMX_BUILD_EXAMPLES=OFF", "-DSMX_BUILD_BENCH=OFF", "-DSMX_BUILD_TOOLS=ON", "-DSMX_BUILD_PYTHON=ON",
            ] + shlex.split(os.environ.get("SMX_CMAKE_ARGS", ""))
            jobs = os.environ.get("SMX_BUILD_JOBS", str(os.cpu_count() or 2))
            subprocess.run(configure, check=True)
            subprocess.run(["cmake", "--build", str(build_dir), "--target", "smx_python_core", "smx_cli", "-j", jobs],
                           check=True)
        subprocess.run(["cmake", "--install", str(build_dir), "--component", "python",
                        "--prefix", str(package_dir.parent)], check=True)


setup(
    ext_modules=[CMakeExtension("smx._core")],
    cmdclass={"build_ext": CMakeBuild},
    # Not build/: that is the Makefile's CMake build folder.
    options={"build": {"build_base": "build-pip"}, "egg_info": {"egg_base": "build-pip"}},
)
