"""The network path on one host: a Python reader told to take it (``transport="dds"``) reads a
writer process's frames whole over DDS, content-exact, with the seed's API unchanged, while a
local reader of the same writer stays on shared memory."""

from __future__ import annotations

import sys
import textwrap

import numpy as np
import pytest

import smx

SCHEMA = [("color", np.uint8, (120, 160, 3)), ("depth", np.uint16, (120, 160))]

WRITER = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    import smx
    w = smx.SMWriter(None, sys.argv[1], smx.Schema([("color", np.uint8, (120, 160, 3)), ("depth", np.uint16, (120, 160))]))
    print("READY", flush=True)
    sys.stdin.readline()  # "go": the readers are there
    for n in range(1, 61):
        w({"color": np.full((120, 160, 3), n % 251, dtype=np.uint8),
           "depth": np.full((120, 160), n * 7, dtype=np.uint16)})
        time.sleep(1 / 30)
    print("DONE", flush=True)
    sys.stdin.readline()
    """
)


def test_a_remote_python_reader_gets_content_exact_frames_in_order(spawn, topic):
    writer = spawn([sys.executable, "-c", WRITER, topic])
    writer.wait_for("READY")
    schema = smx.Schema(SCHEMA)
    with smx.SMReader(None, topic, schema, timeout=10, transport="dds") as remote, \
            smx.SMReader(None, topic, schema, timeout=10) as local:
        writer.send("go")
        last = 0
        while last < 60:
            frame = remote.next(timeout=5)
            assert frame is not None, f"nothing over the network after frame {last}"
            assert frame.transport == "dds"
            assert frame.valid
            n = frame.frame_number
            assert last == 0 or n == last + 1, "a frame was lost while the reader kept up"
            assert np.all(frame.color == n % 251) and np.all(frame.depth == n * 7)
            last = n
        assert remote.stats["dropped_samples"] == 0
        latest = local.latest()
        assert latest is not None and latest.transport == "shm"
        copy = remote.copy()
        assert copy.transport == "dds" and np.all(copy.depth == 60 * 7)
    writer.wait_for("DONE")
    writer.send("quit")
    assert writer.wait(10) == 0


def test_an_unknown_transport_is_refused_naming_the_choices(topic):
    with pytest.raises(smx.InvalidArgument, match="'auto', 'shm', 'dds'"):
        smx.SMReader(None, topic, None, timeout=0.1, transport="udp")


def test_network_options_of_the_wrong_type_are_refused_naming_the_keyword(topic):
    schema = smx.Schema(SCHEMA)
    for kwargs, keyword in (({"network_reliable": "no"}, "network_reliable"),
                            ({"compression_level": 2.5}, "compression_level"),
                            ({"network_depth": "3"}, "network_depth"),
                            ({"compression": 1}, "compression")):
        with pytest.raises(smx.InvalidArgument, match=f"topic '{topic}'.*{keyword}="):
            smx.SMWriter(None, topic, schema, **kwargs)
    with pytest.raises(smx.InvalidArgument, match="transport=5 is none of 'auto', 'shm', 'dds'"):
        smx.SMReader(None, topic, None, timeout=0.1, transport=5)
    with smx.SMWriter(None, topic, schema, compression="none"):  # "none" is a spelling of None
        pass
