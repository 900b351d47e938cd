"""Many topics in one Python loop: smx.WaitSet, smx.Executor callbacks, asyncio and
smx.framework.Node — every frame in order from C++ writer processes at different rates, a writer
crash and restart that disturbs no other topic, timers and wake-ups on time, errors in callbacks
reported without ending the loop, and Ctrl-C stopping each cleanly."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import queue
import signal
import sys
import threading
import time

import pytest

import nodes
import pattern
import smx
from conftest import HERE, shm_entries

SMALL = pattern.schema("small")


def cpp_writer(spawn, topic, frames, rate, *extra):
    return spawn.cpp("writer", "--topic", topic, "--schema", "small", "--slots", "32", "--frames", str(frames),
                     "--rate", str(rate), "--wait-readers", "1", "--linger", *extra)


def endless_writer(spawn, topic, rate):
    return spawn.cpp("writer", "--topic", topic, "--schema", "small", "--slots", "32", "--forever", "--rate", str(rate))


class Order:
    """Per topic: frames in order (per writer session) with the right content."""

    def __init__(self) -> None:
        self.count = 0
        self.last = 0
        self.session = None
        self.problems = []

    def see(self, topic, frame) -> None:
        info = smx.frame_info(frame)
        n = info["frame_number"]
        if info["session"] != self.session:
            self.session = info["session"]
            self.last = n - 1
        if n != self.last + 1:
            self.problems.append(f"{topic}: frame {n} after {self.last}")
        if not pattern.check_frame(frame, SMALL, n):
            self.problems.append(f"{topic}: frame {n} has wrong content")
        self.last = n
        self.count += 1


RATES = [10, 25, 50, 100, 150, 200, 300, 400]


def test_eight_topics_through_executor_callbacks_arrive_complete_and_in_order(topics, spawn):
    names = [topics(f"exec{i}") for i in range(8)]
    readers = [smx.SMReader(None, t, wait_for_writer=False) for t in names]
    expected = {t: int(rate * 1.5) for t, rate in zip(names, RATES)}
    order = {t: Order() for t in names}
    ex = smx.Executor()
    for r in readers:
        r.on_frame(lambda frame, t=r.topic_name: order[t].see(t, frame))
        ex.add(r)
    writers = [cpp_writer(spawn, t, expected[t], rate) for t, rate in zip(names, RATES)]

    def finished() -> None:
        if all(order[t].count >= expected[t] for t in names):
            ex.stop()

    ex.add_timer(0.05, finished)
    ex.spin(timeout=60)
    for t, r in zip(names, readers):
        assert order[t].count == expected[t], t
        assert not order[t].problems, order[t].problems[:3]
        assert r.stats["missed"] == 0, t
    assert ex.errors == 0
    for w in writers:
        assert w.quit() == 0
    for r in readers:
        r.close()


def test_a_callback_that_raises_is_reported_and_the_loop_goes_on(topic, spawn, caplog):
    reader = smx.SMReader(None, topic, wait_for_writer=False)
    got, errors = [], []
    ex = smx.Executor(on_error=lambda exc, source: errors.append((exc, source)))

    def on_frame(frame):
        n = smx.frame_info(frame)["frame_number"]
        # Pinned while the callback runs: the frame reads as what it was read as.
        assert smx.is_valid(frame)
        got.append(n)
        if n % 4 == 0:
            raise ValueError(f"no multiples of 4 ({n})")
        if n == 12:
            ex.stop()

    ex.add(reader, on_frame)
    writer = cpp_writer(spawn, topic, 12, 200)
    ex.spin(timeout=30)
    assert got == list(range(1, 13))
    assert [str(e) for e, _ in errors] == ["no multiples of 4 (4)", "no multiples of 4 (8)", "no multiples of 4 (12)"]
    assert all(source is reader for _, source in errors)
    assert ex.errors == 3

    # Without on_error: logged with the traceback on the "smx" logger, naming the topic.
    ex2 = smx.Executor()
    ex2.add_timer(0.01, lambda: 1 / 0, oneshot=True)
    with caplog.at_level(logging.ERROR, logger="smx"):
        assert ex2.spin_once(5) == 1
    assert ex2.errors == 1
    assert any("ZeroDivisionError" in r.getMessage() and r.exc_info for r in caplog.records)
    assert writer.quit() == 0
    reader.close()


def test_a_crashed_and_restarted_writer_does_not_disturb_the_other_topics(topics, spawn):
    steady_a, steady_b, victim = topics("steady_a"), topics("steady_b"), topics("victim")
    readers = {t: smx.SMReader(None, t, wait_for_writer=False) for t in (steady_a, steady_b, victim)}
    ws = smx.WaitSet()
    for r in readers.values():
        ws.attach(r)
    order = {t: Order() for t in readers}
    wa, wb = endless_writer(spawn, steady_a, 200), endless_writer(spawn, steady_b, 50)
    wv = endless_writer(spawn, victim, 100)

    def run_until(pred, limit):
        deadline = time.monotonic() + limit
        while not pred() and time.monotonic() < deadline:
            for r in ws.wait(1.0).readers:
                while (f := r.next(0, pin=True)) is not None:
                    order[r.topic_name].see(r.topic_name, f)
                    r.release(f)
        return pred()

    assert run_until(lambda: order[victim].count >= 20 and order[steady_a].count >= 20, 30)
    first_session = order[victim].session
    wv.kill()
    a_before, b_before = order[steady_a].count, order[steady_b].count
    assert run_until(lambda: readers[victim].state == "writer_gone", 10), "the crash went unseen"
    wv = endless_writer(spawn, victim, 100)
    assert run_until(lambda: order[victim].session != first_session and order[victim].count >= 40, 30)
    assert order[steady_a].count > a_before and order[steady_b].count > b_before
    for t, r in readers.items():
        assert not order[t].problems, order[t].problems[:3]
    assert readers[steady_a].stats["missed"] == 0 and readers[steady_b].stats["missed"] == 0
    for w in (wa, wb, wv):
        assert w.quit() == 0
    for r in readers.values():
        r.close()
    assert ws.readers == []  # closed readers leave by themselves


def test_wake_from_another_thread_and_timers_on_time():
    ws = smx.WaitSet()
    woke_at = []

    def waker():
        time.sleep(0.2)
        woke_at.append(time.monotonic())
        ws.wake()

    threading.Thread(target=waker).start()
    start = time.monotonic()
    r = ws.wait(30)
    assert r.woken and not r.readers and not r.timers
    assert time.monotonic() >= woke_at[0] and time.monotonic() - start < 10

    period = 0.02
    t0 = time.monotonic()
    timer = ws.add_timer(period)
    expiries = 0
    while expiries < 25:
        r = ws.wait(5)
        assert r.timers == [timer]
        expiries += r.expirations[timer]
        assert time.monotonic() - t0 >= period * expiries, f"expiry {expiries} came early"
    assert time.monotonic() - t0 < period * 25 + 2
    assert ws.remove_timer(timer) and not ws.remove_timer(timer)
    assert not ws.wait(3 * period)
    with pytest.raises(smx.InvalidArgument):
        ws.add_timer(0)
    with pytest.raises(smx.InvalidArgument):
        ws.attach(object())


def test_asyncio_three_readers_and_a_timer_in_one_event_loop(topics, spawn):
    names = [topics(f"aio{i}") for i in range(3)]
    frames = {names[0]: 60, names[1]: 30, names[2]: 15}
    rates = {names[0]: 120, names[1]: 60, names[2]: 30}
    readers = [smx.SMReader(None, t, wait_for_writer=False) for t in names]
    order = {t: Order() for t in names}
    writers = [cpp_writer(spawn, t, frames[t], rates[t]) for t in names]
    ticks = []

    async def consume(reader):
        async for frame in reader:
            # Pinned until the next step, as `for frame in reader`.
            assert smx.is_valid(frame)
            order[reader.topic_name].see(reader.topic_name, frame)
            if order[reader.topic_name].count == frames[reader.topic_name]:
                return

    async def timer():
        while True:
            await asyncio.sleep(0.05)
            ticks.append(time.monotonic())

    async def main():
        tick_task = asyncio.ensure_future(timer())
        await asyncio.wait_for(asyncio.gather(*(consume(r) for r in readers)), 60)
        tick_task.cancel()

    start = time.monotonic()
    asyncio.run(main())
    elapsed = time.monotonic() - start
    for t in names:
        assert order[t].count == frames[t] and not order[t].problems, order[t].problems[:3]
    # The timer ran all along (the readers never blocked the loop): about one tick per 50 ms.
    assert len(ticks) >= elapsed / 0.05 * 0.5, (len(ticks), elapsed)

    for w in writers:
        assert w.quit() == 0
    for r in readers:
        r.close()

    # Cancellation takes no frame: a next() cancelled while waiting leaves the frame to the next call.
    name = topics("aio_cancel")
    writer = smx.SMWriter(None, name, SMALL)
    reader = smx.SMReader(None, name)

    async def cancelled_then_read():
        pending = asyncio.ensure_future(reader.aio.next())
        await asyncio.sleep(0.1)
        assert not pending.done()
        pending.cancel()
        with pytest.raises(asyncio.CancelledError):
            await pending
        writer.write(pattern.frame_arrays(SMALL, 1))
        first = await reader.aio.next(timeout=10)
        # A timeout returns None, and the loop kept running meanwhile.
        nothing = await reader.aio.next(timeout=0.05)
        return first, nothing

    first, nothing = asyncio.run(cancelled_then_read())
    assert first is not None and smx.frame_info(first)["frame_number"] == 1
    assert pattern.check_frame(first, SMALL, 1)
    assert nothing is None
    reader.close()
    writer.close()


def node_reports(report, kind, count, timeout=60.0):
    """What nodes put on `report` until `count` events of `kind` came (or `timeout` seconds)."""
    events = []
    deadline = time.monotonic() + timeout
    while sum(1 for e in events if e[0] == kind) < count and time.monotonic() < deadline:
        try:
            events.append(report.get(timeout=1))
        except queue.Empty:
            pass
    return events


def test_the_upstream_webcam_example_runs_as_smx_nodes(topics):
    prefix = topics("webcam") + "_"
    ctx = multiprocessing.get_context("spawn")
    report = ctx.Queue()
    subscriber = nodes.WebcamSubscriber(20, prefix=prefix, report=report)
    publisher = nodes.WebcamPublisher(50, prefix=prefix)
    subscriber.start()
    publisher.start()
    try:
        events = node_reports(report, "frame", 40)
        resolution = [e for e in events if e[0] == "resolution"]
        assert resolution == [("resolution", 64, 48, "synthetic")]
        numbers = [e[1] for e in events if e[0] == "frame"]
        assert len(numbers) >= 40
        assert all(e[2] for e in events if e[0] == "frame"), "a frame with the wrong pixels"
        # Callbacks run per frame, in order, from the subscription on (no polling at 20 Hz: the
        # publisher's 50 frames a second all arrive).
        assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    finally:
        subscriber.stop()
        publisher.stop()
        subscriber.join(30)
        publisher.join(30)
    assert subscriber.exitcode == 0 and publisher.exitcode == 0
    rest = []
    while True:
        try:
            rest.append(report.get(timeout=0.5))
        except queue.Empty:
            break
    assert ("teardown",) in rest


def test_a_node_reports_failing_callbacks_and_steps_and_goes_on(topic, spawn):
    ctx = multiprocessing.get_context("spawn")
    report = ctx.Queue()
    node = nodes.Failing(20, topic=topic, report=report)
    node.start()
    writer = cpp_writer(spawn, topic, 9, 50)
    try:
        events = node_reports(report, "error", 4)
        assert [e[1] for e in events if e[0] == "frame"] == list(range(1, 10))
        errors = [e for e in events if e[0] == "error"]
        assert ("error", "ValueError", "frame 3 is divisible by 3") in errors
        assert ("error", "ValueError", "frame 9 is divisible by 3") in errors
        assert ("error", "RuntimeError", "step 2 fails") in errors
    finally:
        node.stop()
        node.join(30)
    assert node.exitcode == 0
    assert writer.quit() == 0


@pytest.mark.parametrize("mode", ["executor", "asyncio", "node"])
def test_ctrl_c_stops_each_loop_cleanly(mode, topics, spawn):
    names = [topics(f"sigint_{mode}{i}") for i in range(2)]
    loop = spawn([sys.executable, str(HERE / "loop_peer.py"), mode, *names])
    ready = loop.wait_for("READY")
    writers = [endless_writer(spawn, t, 100) for t in names]
    loop.wait_for("FRAMES", timeout=30)
    if mode == "node":
        # Ctrl-C reaches every process of the terminal's group: the node's process too.
        node_pid = int(ready.split()[1])
        import os

        os.kill(node_pid, signal.SIGINT)
    loop.signal(signal.SIGINT)
    stopped = loop.wait_for("STOPPED", timeout=30)
    assert loop.wait(30) == 0, loop.describe()
    if mode == "node":
        assert stopped == "STOPPED 0", loop.describe()
        assert any(line.startswith("TEARDOWN") for line in loop.transcript), loop.describe()
    assert not any("Traceback" in line for line in loop.errors), loop.describe()
    for w in writers:
        assert w.quit() == 0
    for t in names:
        assert not shm_entries(t)


def test_two_tasks_awaiting_one_reader_share_its_frames_and_nothing_hangs(topic):
    # Both tasks wait on the reader's one descriptor: each frame goes to exactly one of them.
    writer = smx.SMWriter(None, topic, SMALL)
    reader = smx.SMReader(None, topic)
    got = {"a": [], "b": []}

    async def task(name):
        while True:
            frame = await reader.aio.next(timeout=2, copy=True)
            if frame is None:
                return
            got[name].append(smx.frame_info(frame)["frame_number"])

    async def main():
        tasks = [asyncio.ensure_future(task("a")), asyncio.ensure_future(task("b"))]
        for n in range(1, 41):
            writer.write(pattern.frame_arrays(SMALL, n))
            await asyncio.sleep(0.01)
        await asyncio.wait_for(asyncio.gather(*tasks), 30)

    asyncio.run(main())
    assert sorted(got["a"] + got["b"]) == list(range(1, 41))
    assert got["a"] and got["b"], got
    reader.close()
    writer.close()


def test_a_reader_used_with_asyncio_is_freed_with_its_descriptors(topic):
    import gc
    import os
    import weakref

    writer = smx.SMWriter(None, topic, SMALL)

    async def one():
        r = smx.SMReader(None, topic)
        writer.write(pattern.frame_arrays(SMALL, 1))
        assert await r.aio.next(timeout=5, copy=True) is not None
        return weakref.ref(r)

    asyncio.run(one())  # warm-up: DDS and the event loop open what they keep
    gc.collect()
    fds = len(os.listdir("/proc/self/fd"))
    refs = [asyncio.run(one()) for _ in range(20)]
    gc.collect()
    assert all(ref() is None for ref in refs), "readers used with asyncio were never freed"
    assert len(os.listdir("/proc/self/fd")) <= fds + 2
    assert writer.reader_count == 0
    writer.close()


def test_an_executor_reports_a_mismatched_reader_once_a_second_not_in_a_loop(topic, caplog):
    writer = smx.SMWriter(None, topic, SMALL)
    wrong = smx.SMReader(None, topic, smx.Schema([("a", "<f4", (4,))]), wait_for_writer=False)
    errors = []
    ex = smx.Executor(on_error=lambda exc, source: errors.append(exc))
    ex.add(wrong, lambda frame: None)
    writer.write(pattern.frame_arrays(SMALL, 1))
    start = time.process_time()
    ex.spin(timeout=2.5)
    assert 1 <= len(errors) <= 4, len(errors)
    assert all(isinstance(e, smx.SchemaMismatch) for e in errors)
    assert time.process_time() - start < 1.0, "the executor spun"
    # A reader closed while it had nothing to deliver leaves the executor by itself.
    wrong.close()
    ex.spin_once(0.05)
    assert id(wrong) not in ex._readers
    writer.close()
