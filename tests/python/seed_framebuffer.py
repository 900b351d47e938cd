# The seed README's template, verbatim but for the import line (that is the whole migration).
from dataclasses import dataclass
import numpy as np
from smx import BaseIDL


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
