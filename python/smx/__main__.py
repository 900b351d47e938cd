"""``python -m smx`` (and the ``smx`` command that ``pip install .`` puts on PATH): runs the smx
command-line tool installed with this package, with the same arguments.

``pip install .`` builds the tool into the package (``smx/_bin/smx``, finding the libsmx beside
it); in a build tree (``PYTHONPATH=build/python``) the tool is ``build/bin/smx``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List, Optional

HERE = Path(__file__).resolve().parent


def tool_path() -> Optional[Path]:
    """The smx executable that belongs to this package, or None if it was not built."""
    for candidate in (HERE / "_bin" / "smx", HERE.parent.parent / "bin" / "smx"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def main(argv: Optional[List[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    tool = tool_path()
    if tool is None:
        sys.stderr.write(
            f"smx: the command-line tool is not installed with this package ({HERE}); "
            "`pip install .` from the smx sources builds it, as does `make` (build/bin/smx)\n")
        return 3
    os.execv(str(tool), ["smx", *args])
    return 0  # not reached: execv replaces this process


if __name__ == "__main__":
    sys.exit(main())
