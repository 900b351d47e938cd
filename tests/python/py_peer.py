"""The other process of the Python tests (like tests/support/peer.cpp, same output lines).

  writer  --topic T [--schema rgbd|small|blob:N|framebuffer] [--frames N] [--rate HZ] [--slots N]
          [--wait-readers K] [--loan] [--noncontig] [--linger] [--no-close]
      prints "READY <pid> <segment>", "PUBLISHED <n>"; with --linger waits for "quit" or EOF on
      stdin; then closes (unless --no-close: relies on the exit handler) and prints "CLOSED".
  reader  --topic T [--schema none|rgbd|small|blob:N|framebuffer] [--mode view|pin|copy]
          [--until N] [--timeout S]
      prints "ATTACHED <schema>", "GAP <last> <next>" for each frame number skipped, then
      "RESULT accepted=.. torn_detected=.. bad=.. missed=.. delivered=.. last=.. attachments=..
      first=.. transport=shm|dds"
  blocker --topic T
      attaches, prints "BLOCKING", blocks in next(); Ctrl-C (SIGINT) prints "INTERRUPTED".
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

import pattern
import smx


def say(line: str) -> None:
    print(line, flush=True)


def linger() -> None:
    for line in sys.stdin:
        if line.strip() == "quit":
            break


def schema_and_template(name: str):
    if name == "none":
        return None, None
    if name == "framebuffer":
        from seed_framebuffer import FrameBuffer

        return pattern.schema("rgbd"), FrameBuffer()
    s = pattern.schema(name)
    return s, s


def run_writer(a: argparse.Namespace) -> int:
    sch, template = schema_and_template(a.schema)
    writer = smx.SMWriter(smx.DomainParticipant(), a.topic, template, nr_of_buffers=a.slots,
                          when_full="wait", full_wait=2.0)
    say(f"READY {os.getpid()} {writer.segment_name}")
    deadline = time.monotonic() + 20
    while writer.reader_count < a.wait_readers:
        if time.monotonic() > deadline:
            say("ERROR readers did not register")
            return 2
        time.sleep(0.005)
    start = time.monotonic()
    # Non-contiguous sources: each field is a strided view into a twice-as-large buffer.
    while writer.frames_published < a.frames:
        n = writer.frames_published + 1
        if a.loan:
            loan = writer.loan()
            if loan is None:
                say(f"FULL {n}")
                return 3
            for i, f in enumerate(sch.fields):
                pattern.fill(loan[f.name], loan.frame_number, i)
            if writer.publish(loan) is None:
                say(f"FULL {n}")
                return 3
        else:
            arrays = pattern.frame_arrays(sch, n)
            if a.noncontig:
                arrays = {k: _strided_copy(v) for k, v in arrays.items()}
            frame = arrays
            if a.schema == "framebuffer":
                from seed_framebuffer import FrameBuffer

                frame = FrameBuffer(**arrays)
            if writer(frame) is None:
                say(f"FULL {n}")
                return 3
        if a.rate > 0:
            delay = start + n / a.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    say(f"PUBLISHED {writer.frames_published}")
    if a.linger:
        linger()
    if a.no_close:
        _KEEP.append(writer)  # still referenced at exit: only smx's exit handler closes it
        return 0
    writer.close()
    say("CLOSED")
    return 0


_KEEP: list = []


def _strided_copy(v: np.ndarray) -> np.ndarray:
    """The same values as `v`, as a non-contiguous view (every other element of a bigger array)."""
    big = np.zeros(v.shape[:-1] + (v.shape[-1] * 2,), dtype=v.dtype)
    view = big[..., ::2]
    view[...] = v
    assert not view.flags.c_contiguous or v.shape[-1] == 1
    return view


def run_reader(a: argparse.Namespace) -> int:
    sch, template = schema_and_template(a.schema)
    try:
        reader = smx.SMReader(smx.DomainParticipant(), a.topic, template, timeout=a.timeout)
    except smx.Error as e:
        say(f"EXCEPTION {type(e).__name__} {e}")
        return 4
    say(f"ATTACHED {reader.schema}")
    # The pattern's first use builds its tables (tens of ms for a camera frame): done now, not
    # while the first frames arrive, so the reader keeps up from the start.
    pattern.frame_arrays(reader.schema, 0)
    accepted = torn = bad = last = first = 0
    while last < a.until:
        try:
            frame = reader.next(timeout=a.timeout, pin=a.mode == "pin", copy=a.mode == "copy")
        except smx.TornReadError:
            torn += 1
            continue
        if frame is None:
            break
        number = smx.frame_info(frame)["frame_number"]
        if first == 0:
            first = number
        elif number != last + 1:
            say(f"GAP {last} {number}")
        last = number
        ok = pattern.check_frame(frame, reader.schema, number)
        if a.mode == "view" and not smx.is_valid(frame):
            torn += 1
        elif ok:
            accepted += 1
        else:
            bad += 1
        smx.release(frame)
    s = reader.stats
    say(f"RESULT accepted={accepted} torn_detected={torn} bad={bad} missed={s['missed']} "
        f"delivered={s['delivered']} last={last} attachments={s['attachments']} first={first} "
        f"transport={reader.transport}")
    reader.close()
    return 0


def run_blocker(a: argparse.Namespace) -> int:
    reader = smx.SMReader(smx.DomainParticipant(), a.topic, timeout=a.timeout)
    say("BLOCKING")
    try:
        reader.next()  # no timeout: only a signal ends this
    except KeyboardInterrupt:
        say("INTERRUPTED")
        return 0
    say("RETURNED")
    return 1


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("role", choices=["writer", "reader", "blocker"])
    p.add_argument("--topic", required=True)
    p.add_argument("--schema", default="rgbd")
    p.add_argument("--frames", type=int, default=0)
    p.add_argument("--rate", type=float, default=0)
    p.add_argument("--slots", type=int, default=3)
    p.add_argument("--wait-readers", type=int, default=0)
    p.add_argument("--loan", action="store_true")
    p.add_argument("--noncontig", action="store_true")
    p.add_argument("--linger", action="store_true")
    p.add_argument("--no-close", action="store_true")
    p.add_argument("--mode", default="view", choices=["view", "pin", "copy"])
    p.add_argument("--until", type=int, default=1)
    p.add_argument("--timeout", type=float, default=20.0)
    a = p.parse_args()
    return {"writer": run_writer, "reader": run_reader, "blocker": run_blocker}[a.role](a)


if __name__ == "__main__":
    sys.exit(main())
