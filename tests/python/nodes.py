"""smx.framework.Node subclasses for the tests (spawn-started children import them from here):
the upstream airo-ipc webcam example ported to smx with a synthetic camera, and a counter.

The port changes only the imports and the camera: upstream reads cv2.VideoCapture(0) and shows
the frames with cv2.imshow; here a synthetic camera draws a known pattern and the subscriber
checks every frame and reports to the test through a spawn-context queue."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from smx import BaseIDL
from smx.framework import IdlStruct, IpcKind, Node

TOPIC_RESOLUTION: Final[str] = "resolution"
TOPIC_BGR: Final[str] = "frame"


@dataclass
class ResolutionIdl(IdlStruct):
    """The resolution of the webcam, a small message (upstream: over DDS)."""

    width: int
    height: int
    camera: str = ""


@dataclass
class WebcamFrame(BaseIDL):
    """The BGR frames, over shared memory."""

    bgr: np.ndarray

    @staticmethod
    def with_resolution(width: int, height: int) -> "WebcamFrame":
        return WebcamFrame(bgr=np.zeros((height, width, 3), dtype=np.uint8))


class SyntheticCamera:
    """Stands in for cv2.VideoCapture: frame n is filled with (n % 251, n % 241, n % 239)."""

    def __init__(self, width: int = 64, height: int = 48) -> None:
        self.width, self.height, self.n = width, height, 0

    def read(self):
        self.n += 1
        frame = np.empty((self.height, self.width, 3), np.uint8)
        frame[...] = (self.n % 251, self.n % 241, self.n % 239)
        frame[0, 0, 0] = self.n % 256
        return True, frame

    def release(self) -> None:
        pass


def expected_pixel(n: int):
    return (n % 251, n % 241, n % 239)


class WebcamPublisher(Node):
    """Opens the (synthetic) camera and publishes the resolution and the frames in a loop."""

    def __init__(self, update_frequency: float, verbose: bool = False, *, prefix: str = "", **kw) -> None:
        super().__init__(update_frequency, verbose, **kw)
        self.prefix = prefix

    def _setup(self):
        self._camera = SyntheticCamera()
        width, height = self._camera.width, self._camera.height
        self._register_publisher(self.prefix + TOPIC_RESOLUTION, ResolutionIdl, IpcKind.DDS)
        self._register_publisher(self.prefix + TOPIC_BGR, WebcamFrame.with_resolution(width, height), IpcKind.SHARED_MEMORY)

    def _step(self):
        ret, frame = self._camera.read()
        if not ret:
            self.stop()
        self._publish(self.prefix + TOPIC_RESOLUTION, ResolutionIdl(width=frame.shape[1], height=frame.shape[0],
                                                                    camera="synthetic"))
        self._publish(self.prefix + TOPIC_BGR, WebcamFrame(bgr=frame))

    def _teardown(self):
        self._camera.release()


class WebcamSubscriber(Node):
    """Subscribes to the resolution, then (in that callback) to the frames, and checks each frame;
    reports ("frame", n, ok) / ("resolution", w, h, camera) / ("teardown",) to `report`."""

    def __init__(self, update_frequency: float, verbose: bool = False, *, prefix: str = "", report=None, **kw) -> None:
        super().__init__(update_frequency, verbose, **kw)
        self.prefix = prefix
        self.report = report

    def _setup(self):
        self._subscribe(self.prefix + TOPIC_RESOLUTION, ResolutionIdl, IpcKind.DDS, self._on_receive_resolution)

    def _on_receive_resolution(self, resolution: ResolutionIdl):
        if self.prefix + TOPIC_BGR in self._readers:
            return
        self.report.put(("resolution", resolution.width, resolution.height, resolution.camera))
        self._subscribe(self.prefix + TOPIC_BGR, WebcamFrame.with_resolution(resolution.width, resolution.height),
                        IpcKind.SHARED_MEMORY, self._on_receive_frame)

    def _on_receive_frame(self, frame: WebcamFrame):
        n = int(frame.bgr[0, 0, 0])
        pixel = tuple(int(v) for v in frame.bgr[1, 1])
        frame_number = smx_frame_number(frame)
        ok = pixel == expected_pixel(frame_number) and n == frame_number % 256
        self.report.put(("frame", frame_number, ok))

    def _step(self):
        pass

    def _teardown(self):
        self.report.put(("teardown",))


def smx_frame_number(frame) -> int:
    import smx

    return int(smx.frame_info(frame)["frame_number"])


class Counter(Node):
    """Counts the frames of `topics` (loop_peer.py's node mode); prints TEARDOWN when stopped."""

    def __init__(self, update_frequency: float, *, topics=(), **kw) -> None:
        super().__init__(update_frequency, **kw)
        self.topics = list(topics)

    def _setup(self):
        self.count = 0
        for t in self.topics:
            self._subscribe(t, None, IpcKind.SHARED_MEMORY, self._on_frame)

    def _on_frame(self, frame) -> None:
        self.count += 1
        if self.count % 10 == 0:
            print(f"FRAMES {self.count}", flush=True)

    def _step(self):
        pass

    def _teardown(self):
        print(f"TEARDOWN {self.count}", flush=True)


class Failing(Node):
    """A callback that raises on every third frame, and a _step that raises once: the node must go
    on, and report each through on_error (here: to `report`)."""

    def __init__(self, update_frequency: float, *, topic: str, report, **kw) -> None:
        super().__init__(update_frequency, on_error=_ErrorToQueue(report), **kw)
        self.topic = topic
        self.report = report

    def _setup(self):
        self.steps = 0
        self._subscribe(self.topic, None, IpcKind.SHARED_MEMORY, self._on_frame)

    def _on_frame(self, frame) -> None:
        import smx

        n = int(smx.frame_info(frame)["frame_number"])
        self.report.put(("frame", n))
        if n % 3 == 0:
            raise ValueError(f"frame {n} is divisible by 3")

    def _step(self):
        self.steps += 1
        if self.steps == 2:
            raise RuntimeError("step 2 fails")

    def _teardown(self):
        self.report.put(("teardown", self.steps))


class _ErrorToQueue:
    def __init__(self, report) -> None:
        self.report = report

    def __call__(self, exc: BaseException, source) -> None:
        self.report.put(("error", type(exc).__name__, str(exc)))
