#!/usr/bin/env python3
"""Python beside C++ on the seed's RGB-D frame: per-call cost, and one-way latency of next().

    SMWriter.__call__(frame)  vs  smx::Writer::write      (copies the frame into a slot, rings)
    SMReader.__call__()       vs  smx::Reader::latest     (the newest frame, a zero-copy view per field)
    SMReader.next()           vs  smx::Reader::next       one-way: a paced writer in another process
                                                          (loan, stamp, publish) to the reader holding
                                                          the frame; C++ figure from `smx bench`'s
                                                          zero-copy lane at the same rate, run right after

Per-call costs run in one process each (writer and reader together, as `smx bench calls` does for
C++). Targets: SMReader() costs at most 10 µs more than C++ latest(); SMReader.next() one-way p50 is
at most 15 µs above the C++ zero-copy p50.

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
TARGET_NEXT_OVERHEAD_NS = 15_000


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


def latency_writer(topic: str, rate: float, frames: int) -> int:
    """The writer process of the latency run: waits for the reader, then publishes `frames`
    frames at `rate` Hz through loans, stamping `timestamp` right before publish."""
    participant = smx.DomainParticipant()
    with smx.SMWriter(participant, topic, FrameBuffer()) as writer:
        print("READY", flush=True)
        deadline = time.monotonic() + 30
        while writer.reader_count < 1:
            if time.monotonic() > deadline:
                print("ERROR no reader", flush=True)
                return 2
            time.sleep(0.005)  # set-up only: the reader registers in the segment
        period = 1.0 / rate
        due = time.monotonic()
        for n in range(frames):
            due += period
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)  # the rate itself
            loan = writer.loan()
            loan.depth[0, 0] = n & 0xFFFF
            loan.timestamp[0] = time.time()
            writer.publish(loan)
        print("DONE", flush=True)
        sys.stdin.readline()  # stays until the reader is done with its last frame
    return 0


def python_latency(rate: float, frames: int) -> Dict[str, object]:
    topic = f"smx_python_latency_{os.getpid()}"
    writer = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--role", "writer", "--topic", topic,
                               "--rate", str(rate), "--frames", str(frames)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        if writer.stdout.readline().strip() != "READY":
            raise RuntimeError("the latency writer did not start")
        samples: List[int] = []
        with smx.SMReader(None, topic, FrameBuffer(), timeout=30) as reader:
            while len(samples) < frames:
                frame = reader.next(timeout=5)
                now = time.time()
                if frame is None:
                    break
                samples.append(int((now - float(frame.timestamp[0])) * 1e9))
            missed = reader.stats["missed"]
        warm = samples[min(len(samples) // 10, 20):]
        out = summary(warm) if warm else {"p50_ns": float("nan")}
        out.update({"count": len(warm), "missed": missed, "rate_hz": rate,
                    "p99_ns": float(sorted(warm)[int(len(warm) * 0.99)]) if warm else float("nan")})
        return out
    finally:
        if writer.poll() is None:
            writer.stdin.close()
            try:
                writer.wait(timeout=10)
            except subprocess.TimeoutExpired:
                writer.kill()
                writer.wait()


def cpp_latency(smx_exe: Path, rate: float, frames: int) -> Dict[str, object]:
    """The C++ zero-copy lane of `smx bench` at the same rate and payload, 1 reader."""
    out = subprocess.run([str(smx_exe), "bench", "--only", "latency", "--sizes", "rgbd", "--rates", str(rate),
                          "--readers", "1", "--paths", "smx-zero-copy", "--frames", str(frames), "--json"],
                         capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"smx bench failed: {out.stderr.strip()[-500:]}")
    for run in json.loads(out.stdout)["runs"]:
        if run.get("path") == "smx-zero-copy" and run.get("mode") == "latency":
            return {"p50_ns": float(run["latency"]["p50_ns"]), "p99_ns": float(run["latency"]["p99_ns"]),
                    "count": run["latency"]["count"]}
    raise RuntimeError("smx bench reported no zero-copy latency run")


def cpp_side(smx_exe: Path, reads: int, writes: int) -> Dict[str, object]:
    out = subprocess.run([str(smx_exe), "bench", "calls", "--reads", str(reads), "--writes", str(writes)],
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
    parser.add_argument("--rate", type=float, default=100.0, help="writer rate of the latency run (Hz)")
    parser.add_argument("--frames", type=int, default=500, help="frames of the latency run")
    parser.add_argument("--no-latency", action="store_true", help="per-call costs only")
    parser.add_argument("--role", choices=["writer"], help=argparse.SUPPRESS)
    parser.add_argument("--topic", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "writer":
        return latency_writer(args.topic, args.rate, args.frames)
    smx_exe = args.smx or default_smx()
    if not smx_exe.exists():
        print(f"python_bench: no smx executable at {smx_exe}; pass --smx <build>/bin/smx", file=sys.stderr)
        return 2

    py = python_side(args.reads, args.writes)
    cpp = cpp_side(smx_exe, args.reads, args.writes)
    read_overhead = py["read"]["p50_ns"] - cpp["latest_view"]["p50_ns"]
    write_overhead = py["write"]["p50_ns"] - cpp["write"]["p50_ns"]
    met = read_overhead <= TARGET_READ_OVERHEAD_NS
    latency: Dict[str, object] = {}
    if not args.no_latency:
        latency["python"] = python_latency(args.rate, args.frames)
        try:
            latency["cpp"] = cpp_latency(smx_exe, args.rate, args.frames)
            latency["overhead_ns"] = latency["python"]["p50_ns"] - latency["cpp"]["p50_ns"]
            latency["met"] = latency["overhead_ns"] <= TARGET_NEXT_OVERHEAD_NS
        except (RuntimeError, subprocess.TimeoutExpired, ValueError, KeyError) as e:
            latency["cpp"] = {"error": str(e)}
            latency["met"] = None
    result = {
        "frame_bytes": cpp["frame_bytes"],
        "python": py,
        "cpp": {"latest_view": cpp["latest_view"], "write": cpp["write"]},
        "read_overhead_ns": read_overhead,
        "write_overhead_ns": write_overhead,
        "target": {"name": "Python SMReader() overhead <= 10 µs above C++ latest()", "met": met,
                   "figure_ns": read_overhead},
        "latency": latency,
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
    if latency:
        py_l, cpp_l = latency["python"], latency["cpp"]
        print(f"One-way latency at {args.rate:g} Hz (paced writer in another process -> reader holds the frame):")
        print(f"  {'SMReader.next() (Python writer)':<36} p50 {us(py_l['p50_ns'])}  p99 {us(py_l['p99_ns'])}"
              f"  ({py_l['count']} frames, {py_l['missed']} missed)")
        if "error" in cpp_l:
            print(f"  C++ zero-copy: n/a ({cpp_l['error']})")
        else:
            print(f"  {'Reader::next(pin) (smx bench lane)':<36} p50 {us(cpp_l['p50_ns'])}  p99 {us(cpp_l['p99_ns'])}")
    mark = "met" if met else "NOT MET"
    print(f"TARGET [{mark}] Python SMReader() overhead <= 10 µs above C++ latest(): {read_overhead / 1000:.2f} µs")
    if latency:
        if latency["met"] is None:
            print("TARGET [n/a    ] Python SMReader.next() p50 <= C++ zero-copy p50 + 15 µs: C++ figure missing")
        else:
            mark = "met" if latency["met"] else "NOT MET"
            print(f"TARGET [{mark}] Python SMReader.next() p50 <= C++ zero-copy p50 + 15 µs: "
                  f"+{latency['overhead_ns'] / 1000:.2f} µs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
