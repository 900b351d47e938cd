"""The seed README's reader, runnable: prints what arrives on "frame_data".

    PYTHONPATH=build/python /usr/bin/python3 examples/python/reader.py [--topic frame_data] [--frames 0]

Only the imports differ from the seed (cyclone.* -> smx). Start it before or after writer.py.
"""

import argparse
import time
from dataclasses import dataclass

import numpy as np
from smx import BaseIDL, DomainParticipant, SMReader, WaitingForFirstMessageException


@dataclass
class FrameBuffer(BaseIDL):
  # Timestamp of the frame
  timestamp: np.ndarray = np.empty((1,), dtype=np.float64)
  # Color image data (height x width x channels)
  color: np.ndarray = np.empty((480, 848, 3), dtype=np.uint8)
  # Depth image data (height x width)
  depth: np.ndarray = np.empty((480, 848), dtype=np.uint16)
  # Extrinsic camera parameters (transformation matrix)
  extrinsics: np.ndarray = np.empty((4, 4), dtype=np.float64)
  # Intrinsic camera parameters (camera matrix)
  intrinsics: np.ndarray = np.empty((3, 3), dtype=np.float64)


def process_frame_data(frame_data: FrameBuffer) -> None:
    # Arrays are zero-copy views into shared memory; `valid` says the writer did not
    # overwrite them while we looked (the seed could not tell).
    color = int(frame_data.color[240, 424, 0])
    depth = int(frame_data.depth[240, 424])
    latency_ms = (time.time() - float(frame_data.timestamp[0])) * 1e3
    print(f"frame t={frame_data.timestamp[0]:.3f} color={color} depth={depth} "
          f"latency={latency_ms:.1f}ms valid={frame_data.valid}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topic", default="frame_data")
    parser.add_argument("--frames", type=int, default=0, help="stop after this many new frames (0 = never)")
    args = parser.parse_args()

    # Initialize the DDS domain participant
    domain_participant = DomainParticipant()

    # Create the shared memory reader (waits here until the writer is up, like the seed)
    reader = SMReader(
        domain_participant=domain_participant,
        topic_name=args.topic,
        idl_dataclass=FrameBuffer()
    )

    # Read data from shared memory
    seen = 0
    last_timestamp = None
    try:
        while args.frames == 0 or seen < args.frames:
            try:
                frame_data = reader()
            except WaitingForFirstMessageException:
                print("Waiting for data...", flush=True)
                time.sleep(0.1)
                continue
            if frame_data.timestamp[0] == last_timestamp:
                time.sleep(0.001)  # reader() returns the newest frame, possibly the same again
                continue
            last_timestamp = frame_data.timestamp[0]
            seen += 1
            process_frame_data(frame_data)
    except KeyboardInterrupt:
        pass
    finally:
        reader.stop()


if __name__ == "__main__":
    main()
