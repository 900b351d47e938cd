#!/usr/bin/env python3
"""Per-call cost of the seed's Python calls on the seed's RGB-D frame, beside the same calls in C++.

    SMWriter.__call__(frame)  vs  smx::Writer::write      (copies the frame into a slot, announces it)
    SMReader.__call__()       vs  smx::Reader::latest     (the newest frame, a zero-copy view per field)

Both sides run in one process each (writer and reader together, as `smx bench-calls` does for C++),
in the same run: this script starts `smx bench-calls` itself. The issue's target: SMReader() costs at
most 10 µs more than the C++ latest().

usage:
    PYTHONPATH=<build>/python /usr/bin/python3 bench/python_bench.py [--smx <build>/bin/smx] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List

import numpy as np

import smx
from smx import BaseIDL

TARGET_READ_OVERHEAD_NS = 10_000


@dataclass
class FrameBuffer(BaseIDL):
    """The seed README's template."""

    timestamp: np.ndarray = np.empty((1,), dtype=np.float64)
    color: np.ndarray = np.empty((480, 848, 3), dtype=np.uint8)
    depth: np.ndarray = np.empty((480, 848), dtype=np.uint16)
    extrinsics: np.ndarray = np.empty((4, 4), dtype=np.float64)
    intrinsics: np.ndarray = np.empty((3, 3), dtype=np.float64)


def summary(ns: List[int]) -> Dict[str, float]:
    ordered = sorted(ns)
    return {"p50_ns": float(ordered[len(ordered) // 2]), "mean_ns": sum(ordered) / len(ordered),
            "min_ns": float(ordered[0])}


def time_calls(call, count: int) -> Dict[str, float]:
    clock = time.perf_counter_ns
    samples = []
    for _ in range(count):
        t0 = clock()
        call()
        samples.append(clock() - t0)
    return summary(samples)


def python_side(reads: int, writes: int) -> Dict[str, object]:
    rng = np.random.default_rng(1)
    frame = FrameBuffer(
        timestamp=np.array([time.time()], dtype=np.float64),
        color=rng.integers(0, 256, (480, 848, 3), dtype=np.uint8),
        depth=rng.integers(0, 65536, (480, 848), dtype=np.uint16),
        extrinsics=np.eye(4, dtype=np.float64),
        intrinsics=np.eye(3, dtype=np.float64),
    )
    topic = f"smx_python_bench_{os.getpid()}"
    participant = smx.DomainParticipant()
    writer = smx.SMWriter(participant, topic, FrameBuffer())
    try:
        write = time_calls(lambda: writer(frame), writes)
        reader = smx.SMReader(participant, topic, FrameBuffer(), timeout=30)
        try:
            got = reader()
            assert np.array_equal(got.depth, frame.depth), "the reader sees another frame"
            read = time_calls(reader, reads)
        finally:
            reader.stop()
    finally:
        writer.close()
    return {"write": write, "read": read}


def cpp_side(smx_exe: Path, reads: int, writes: int) -> Dict[str, object]:
    out = subprocess.run([str(smx_exe), "bench-calls", "--reads", str(reads), "--writes", str(writes)],
                         check=True, capture_output=True, text=True, timeout=300)
    return json.loads(out.stdout)


def default_smx() -> Path:
    # <build>/python/smx/__init__.py -> <build>/bin/smx
    # (not resolved: the package files are symlinks into the source tree)
    return Path(os.path.abspath(smx.__file__)).parent.parent.parent / "bin" / "smx"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smx", type=Path, default=None, help="the smx executable (default: <build>/bin/smx)")
    parser.add_argument("--reads", type=int, default=20000, help="SMReader()/latest() calls")
    parser.add_argument("--writes", type=int, default=500, help="SMWriter()/write() calls")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    args = parser.parse_args()
    smx_exe = args.smx or default_smx()
    if not smx_exe.exists():
        print(f"python_bench: no smx executable at {smx_exe}; pass --smx <build>/bin/smx", file=sys.stderr)
        return 2

    py = python_side(args.reads, args.writes)
    cpp = cpp_side(smx_exe, args.reads, args.writes)
    read_overhead = py["read"]["p50_ns"] - cpp["latest_view"]["p50_ns"]
    write_overhead = py["write"]["p50_ns"] - cpp["write"]["p50_ns"]
    met = read_overhead <= TARGET_READ_OVERHEAD_NS
    result = {
        "frame_bytes": cpp["frame_bytes"],
        "python": py,
        "cpp": {"latest_view": cpp["latest_view"], "write": cpp["write"]},
        "read_overhead_ns": read_overhead,
        "write_overhead_ns": write_overhead,
        "target": {"name": "Python SMReader() overhead <= 10 µs above C++ latest()", "met": met,
                   "figure_ns": read_overhead},
        "python_version": sys.version.split()[0],
        "numpy_version": np.__version__,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0

    def us(ns: float) -> str:
        return f"{ns / 1000:8.2f} µs"

    print(f"Per-call cost on the seed's RGB-D frame ({cpp['frame_bytes']:,} B), p50 (mean), one process each;")
    print(f"Python {result['python_version']}, numpy {result['numpy_version']}")
    print(f"  {'call':<36} {'Python':>22} {'C++':>22} {'Python - C++':>14}")
    print(f"  {'SMReader() vs Reader::latest(view)':<36} {us(py['read']['p50_ns'])} ({us(py['read']['mean_ns'])})"
          f" {us(cpp['latest_view']['p50_ns'])} ({us(cpp['latest_view']['mean_ns'])}) {us(read_overhead)}")
    print(f"  {'SMWriter(frame) vs Writer::write':<36} {us(py['write']['p50_ns'])} ({us(py['write']['mean_ns'])})"
          f" {us(cpp['write']['p50_ns'])} ({us(cpp['write']['mean_ns'])}) {us(write_overhead)}")
    mark = "met" if met else "NOT MET"
    print(f"TARGET [{mark}] Python SMReader() overhead <= 10 µs above C++ latest(): {read_overhead / 1000:.2f} µs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
