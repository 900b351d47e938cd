"""A process that reads topics in one loop — an smx.Executor, asyncio, or an smx.framework.Node —
for the Ctrl-C tests: prints READY once its readers are attached, FRAMES <n> as they come, and
STOPPED after a clean stop (KeyboardInterrupt caught where a user's script would catch it)."""

from __future__ import annotations

import argparse
import asyncio
import sys

import smx


def say(line: str) -> None:
    print(line, flush=True)


def run_executor(topics) -> int:
    readers = [smx.SMReader(None, t, wait_for_writer=False) for t in topics]
    ex = smx.Executor()
    seen = [0]

    def on_frame(frame) -> None:
        seen[0] += 1
        if seen[0] % 10 == 0:
            say(f"FRAMES {seen[0]}")

    for r in readers:
        ex.add(r, on_frame)
    ex.add_timer(0.05, lambda: None)
    say("READY")
    try:
        ex.spin()
    except KeyboardInterrupt:
        say("STOPPED")
    finally:
        for r in readers:
            r.close()
    return 0


async def consume(reader, seen) -> None:
    async for _frame in reader:
        seen[0] += 1
        if seen[0] % 10 == 0:
            say(f"FRAMES {seen[0]}")


async def run_asyncio_main(topics) -> None:
    readers = [smx.SMReader(None, t, wait_for_writer=False) for t in topics]
    seen = [0]
    try:
        say("READY")
        await asyncio.gather(*(consume(r, seen) for r in readers))
    finally:
        for r in readers:
            r.close()


def run_asyncio(topics) -> int:
    try:
        asyncio.run(run_asyncio_main(topics))
    except KeyboardInterrupt:
        say("STOPPED")
    return 0


def run_node(topics) -> int:
    import nodes

    node = nodes.Counter(20.0, topics=topics)
    node.start()
    say(f"READY {node.pid}")
    try:
        node.join()
    except KeyboardInterrupt:
        node.join(30)
    say(f"STOPPED {node.exitcode}")
    return 0


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["executor", "asyncio", "node"])
    p.add_argument("topics", nargs="+")
    a = p.parse_args()
    return {"executor": run_executor, "asyncio": run_asyncio, "node": run_node}[a.mode](a.topics)


if __name__ == "__main__":
    sys.exit(main())
