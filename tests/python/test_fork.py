"""fork(): a child inherits its parent's writer, readers and pinned frames but owns none of them.
Whatever the child does with them (drops them, closes them, exits as a Python program does) must
not touch the parent's segment, pins or DDS state, and the child must not hang on its way out.
Each case runs as its own script (a forked pytest process would be a test of pytest)."""

from __future__ import annotations

import sys
import textwrap

from conftest import shm_entries

PRELUDE = textwrap.dedent(
    """
    import gc, os, sys
    import numpy as np
    import smx

    topic = sys.argv[1]
    schema = smx.Schema([("v", np.uint32, (1024,))])

    def frame_of(n):
        return {"v": np.full(1024, n, dtype=np.uint32)}

    def child_status(pid):
        _, status = os.waitpid(pid, 0)
        return status
    """
)


def run_script(spawn, topic: str, body: str, timeout: float = 60.0) -> str:
    child = spawn([sys.executable, "-c", PRELUDE + textwrap.dedent(body), topic])
    lines = []
    while True:  # every stdout line, up to EOF: the script and its children have ended
        line = child.lines.get(timeout=timeout)
        if line is None:
            break
        lines.append(line)
    code = child.wait(timeout)
    assert code == 0, child.describe()
    return "\n".join(lines)


def test_a_child_that_exits_leaves_the_parents_writer_its_segment_and_the_single_writer_rule(spawn, topic):
    out = run_script(spawn, topic, """
        w = smx.SMWriter(None, topic, schema)
        w(frame_of(1))
        pid = os.fork()
        if pid == 0:
            sys.exit(0)  # a Python program's end: finalizers run and collect the inherited writer
        print("CHILD exit", child_status(pid), flush=True)
        pid = os.fork()
        if pid == 0:
            w.close()  # explicitly, then leave without finalizers
            os._exit(0)
        print("CHILD close", child_status(pid), flush=True)
        try:
            smx.SMWriter(None, topic, schema)
            print("SECOND accepted", flush=True)
        except smx.WriterExists:
            print("SECOND refused", flush=True)
        r = smx.SMReader(None, topic, schema, timeout=10)
        assert r.next(10).frame_number == 1  # a late joiner's first frame: the newest
        w(frame_of(2))
        f = r.next(10)
        print("READ", f.frame_number, int(f.v[0]), flush=True)
        r.close()
        w.close()
        print("DONE", flush=True)
    """)
    assert "CHILD exit 0" in out and "CHILD close 0" in out
    assert "SECOND refused" in out, "a forked child unlinked its parent's live segment"
    assert "READ 2 2" in out
    assert "DONE" in out
    assert shm_entries(topic) == []


def test_a_child_that_drops_an_inherited_pinned_frame_leaves_the_parents_pin(spawn, topic):
    out = run_script(spawn, topic, """
        w = smx.SMWriter(None, topic, schema, 3)
        r = smx.SMReader(None, topic, schema, timeout=10)
        w(frame_of(1))
        f = r.next(10, pin=True)
        assert f.pinned and int(f.v[0]) == 1
        pid = os.fork()
        if pid == 0:
            f.release()
            del f
            gc.collect()
            r.close()
            os._exit(0)
        print("CHILD", child_status(pid), flush=True)
        for n in range(2, 40):
            w(frame_of(n))
        print("PARENT valid", f.valid, "values", sorted(set(int(x) for x in f.v)), flush=True)
        f.release()
        r.close()
        w.close()
    """)
    assert "CHILD 0" in out
    assert "PARENT valid True values [1]" in out, "the parent's pinned frame was overwritten"
    assert shm_entries(topic) == []


def test_a_child_cannot_use_inherited_objects_and_is_told_why(spawn, topic):
    out = run_script(spawn, topic, """
        w = smx.SMWriter(None, topic, schema)
        r = smx.SMReader(None, topic, schema, timeout=10)
        w(frame_of(1))
        r.next(10)
        pid = os.fork()
        if pid == 0:
            for name, call in (("writer", lambda: w(frame_of(2))), ("reader", lambda: r.next(1))):
                try:
                    call()
                    print("CHILD", name, "used", flush=True)
                except smx.Closed as e:
                    print("CHILD", name, "refused:", e, flush=True)
            sys.exit(0)
        print("CHILD", child_status(pid), flush=True)
        w(frame_of(2))
        print("READ", r.next(10).frame_number, flush=True)
        r.close()
        w.close()
    """)
    assert "CHILD 0" in out
    assert "CHILD writer refused:" in out and "inherited through fork()" in out
    assert "CHILD reader refused:" in out
    assert "READ 2" in out
    assert shm_entries(topic) == []


def test_a_child_cannot_join_dds_anew_and_is_told_why_instead_of_hanging(spawn, topic):
    # Cyclone DDS's threads stay in the parent: a participant, reader or writer made in the child
    # would work at first and hang on close. The child is refused at once, with the way out.
    out = run_script(spawn, topic, """
        w = smx.SMWriter(None, topic, schema)
        w(frame_of(1))
        pid = os.fork()
        if pid == 0:
            for name, make in (("default", lambda: smx.SMReader(None, topic, schema, timeout=1)),
                               ("inherited", lambda: smx.SMReader(w.domain_participant, topic, schema, timeout=1)),
                               ("new", lambda: smx.DomainParticipant())):
                try:
                    obj = make()
                    print("CHILD", name, "made", flush=True)
                    obj.close() if hasattr(obj, "close") else None
                except smx.Error as e:
                    print("CHILD", name, "refused:", type(e).__name__, e, flush=True)
            os._exit(0)
        print("CHILD", child_status(pid), flush=True)
        w.close()
    """, timeout=30)
    assert "CHILD 0" in out
    for name in ("default", "inherited", "new"):
        assert f"CHILD {name} refused:" in out, out
    assert "spawn" in out
    assert shm_entries(topic) == []


def test_a_child_that_exits_with_an_inherited_reader_and_participant_does_not_hang(spawn, topic):
    # sys.exit runs finalizers: the inherited reader and participant are collected in the child,
    # which must touch none of the parent's DDS entities (deleting them there waits forever).
    out = run_script(spawn, topic, """
        w = smx.SMWriter(None, topic, schema)
        r = smx.SMReader(None, topic, schema, timeout=10)
        w(frame_of(1))
        assert r.next(10).frame_number == 1
        pid = os.fork()
        if pid == 0:
            del r
            gc.collect()
            sys.exit(0)
        print("CHILD", child_status(pid), flush=True)
        w(frame_of(2))
        print("READ", r.next(10).frame_number, flush=True)
        r.close()
        w.close()
    """, timeout=30)
    assert "CHILD 0" in out
    assert "READ 2" in out
    assert shm_entries(topic) == []
