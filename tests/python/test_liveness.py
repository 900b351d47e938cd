"""A Python writer stopped as supervisors stop processes (SIGTERM) leaves nothing in /dev/shm, and
a reader polling in the seed's loop sees a killed writer gone within a second."""

from __future__ import annotations

import signal
import sys
import textwrap
import time

import numpy as np

import smx
from conftest import shm_entries

WRITER = textwrap.dedent(
    """
    import sys
    import numpy as np
    import smx
    w = smx.SMWriter(None, sys.argv[1], smx.Schema([("v", np.uint32, (16,))]))
    w({"v": np.arange(16, dtype=np.uint32)})
    print("READY", flush=True)
    sys.stdin.readline()  # until the test ends it
    """
)


def test_a_python_writer_ended_by_SIGTERM_removes_its_segment(spawn, topic):
    writer = spawn([sys.executable, "-c", WRITER, topic])
    writer.wait_for("READY")
    assert shm_entries(topic) != []
    writer.signal(signal.SIGTERM)
    assert writer.wait(10) == -signal.SIGTERM
    assert shm_entries(topic) == [], "SIGTERM left the writer's segment"


def test_the_seeds_polling_loop_sees_a_killed_writer_gone_within_a_second(spawn, topic):
    writer = spawn([sys.executable, "-c", WRITER, topic])
    writer.wait_for("READY")
    schema = smx.Schema([("v", np.uint32, (16,))])
    with smx.SMReader(None, topic, schema, timeout=10) as reader:
        assert int(reader().v[3]) == 3
        writer.signal(signal.SIGKILL)
        assert writer.wait(10) == -signal.SIGKILL
        killed = time.monotonic()
        while reader.state != "writer_gone" and time.monotonic() - killed < 10:
            try:
                reader()  # the seed's loop: call, never block
            except smx.WaitingForFirstMessageException:
                pass
            time.sleep(0.005)  # the application's own work between calls
        assert reader.state == "writer_gone"
        assert time.monotonic() - killed < 1.0
    assert shm_entries(topic) == [], "the reader left the dead writer's segment"
