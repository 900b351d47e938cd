"""The seed README's writer, runnable: publishes synthetic RGB-D frames on "frame_data".

    PYTHONPATH=build/python /usr/bin/python3 examples/python/writer.py [--topic frame_data] [--rate 30] [--frames 0]

Only the imports differ from the seed (cyclone.* -> smx). Ctrl-C stops it; the shared memory
is removed on the way out.
"""

import argparse
import time
from dataclasses import dataclass

import numpy as np
from smx import BaseIDL, DomainParticipant, SMWriter


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topic", default="frame_data")
    parser.add_argument("--rate", type=float, default=30.0, help="frames per second")
    parser.add_argument("--frames", type=int, default=0, help="stop after this many (0 = run until Ctrl-C)")
    args = parser.parse_args()

    # Initialize the DDS domain participant
    domain_participant = DomainParticipant()

    # Create the shared memory writer
    writer = SMWriter(
        domain_participant=domain_participant,
        topic_name=args.topic,
        idl_dataclass=FrameBuffer()
    )

    your_extrinsics_matrix = np.eye(4)
    your_intrinsics_matrix = np.array([[600.0, 0, 424], [0, 600.0, 240], [0, 0, 1]])
    print(f"writing {args.topic} at {args.rate:g} Hz (Ctrl-C to stop)", flush=True)
    i = 0
    try:
        while args.frames == 0 or i < args.frames:
            i += 1
            # Synthetic camera: every color byte is i % 256, every depth value is i.
            your_color_array = np.full((480, 848, 3), i % 256, dtype=np.uint8)
            your_depth_array = np.full((480, 848), i % 65536, dtype=np.uint16)

            # Write data to shared memory
            frame_data = FrameBuffer(
                timestamp=np.array([time.time()], dtype=np.float64),
                color=your_color_array,
                depth=your_depth_array,
                extrinsics=your_extrinsics_matrix,
                intrinsics=your_intrinsics_matrix
            )

            writer(frame_data)
            time.sleep(1.0 / args.rate)
    except KeyboardInterrupt:
        pass
    finally:
        writer.stop()
    print(f"wrote {i} frames", flush=True)


if __name__ == "__main__":
    main()
