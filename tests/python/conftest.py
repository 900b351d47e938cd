"""Fixtures of the Python suite: unique topics, child processes with bounded waits (killed by
pid at the end of every test), and a check that no shared-memory object of the test's topics is
left in /dev/shm."""

from __future__ import annotations

import gc
import itertools
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PEER_PY = HERE / "py_peer.py"
EXAMPLES = ROOT / "examples" / "python"
SHM = Path("/dev/shm")

_counter = itertools.count()


def find_cpp_peer() -> Optional[str]:
    """The C++ test peer (smx_test_peer): from SMX_TEST_PEER (set by ctest) or a build folder."""
    env = os.environ.get("SMX_TEST_PEER")
    if env and os.access(env, os.X_OK):
        return env
    for build in sorted(ROOT.glob("build*")):
        p = build / "tests" / "smx_test_peer"
        if os.access(p, os.X_OK):
            return str(p)
    return None


def shm_entries(needle: str) -> List[str]:
    return [e for e in os.listdir(SHM) if needle in e]


class Child:
    """A child process whose stdout is read line by line in the background."""

    def __init__(self, argv: List[str], env: Optional[Dict[str, str]] = None) -> None:
        full_env = dict(os.environ)
        full_env["PYTHONUNBUFFERED"] = "1"
        full_env["PYTHONPATH"] = os.pathsep.join(p for p in (os.environ.get("PYTHONPATH", ""), str(HERE)) if p)
        if env:
            full_env.update(env)
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, bufsize=1, env=full_env)
        self.pid = self.proc.pid
        self.lines: "queue.Queue[Optional[str]]" = queue.Queue()
        self.transcript: List[str] = []
        self.errors: List[str] = []
        threading.Thread(target=self._pump, args=(self.proc.stdout, True), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, False), daemon=True).start()

    def _pump(self, stream, is_stdout: bool) -> None:
        for line in stream:
            line = line.rstrip("\n")
            if is_stdout:
                self.transcript.append(line)
                self.lines.put(line)
            else:
                self.errors.append(line)
        if is_stdout:
            self.lines.put(None)

    def describe(self) -> str:
        return (f"{' '.join(map(str, self.argv))}\n--- stdout ---\n" + "\n".join(self.transcript) +
                "\n--- stderr ---\n" + "\n".join(self.errors[-40:]))

    def wait_for(self, prefix: str, timeout: float = 30.0) -> str:
        """The next stdout line starting with `prefix`; fails the test on EOF or timeout."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail(f"no '{prefix}' line within {timeout} s from\n{self.describe()}")
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                time.sleep(0.1)  # let stderr drain for the message
                pytest.fail(f"child ended before printing '{prefix}'\n{self.describe()}")
            if line.startswith(prefix):
                return line

    def send(self, line: str) -> None:
        try:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass

    def signal(self, sig: int) -> None:
        if self.proc.poll() is None:
            os.kill(self.pid, sig)

    def wait(self, timeout: float = 30.0) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"child still running after {timeout} s\n{self.describe()}")

    def quit(self, timeout: float = 30.0) -> int:
        """Asks a lingering child to finish ("quit" on stdin) and returns its exit code."""
        self.send("quit")
        return self.wait(timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass


def parse_result(line: str) -> Dict[str, int]:
    """"RESULT a=1 b=2" -> {"a": 1, "b": 2}"""
    out = {}
    for word in line.split()[1:]:
        if "=" in word:
            k, v = word.split("=", 1)
            try:
                out[k] = int(v)
            except ValueError:
                pass
    return out


class Spawner:
    def __init__(self) -> None:
        self.children: List[Child] = []

    def __call__(self, argv: List[str], env: Optional[Dict[str, str]] = None) -> Child:
        child = Child([str(a) for a in argv], env)
        self.children.append(child)
        return child

    def py(self, *args: object, env: Optional[Dict[str, str]] = None) -> Child:
        """A Python peer (tests/python/py_peer.py) with the same interpreter."""
        return self([sys.executable, str(PEER_PY), *map(str, args)], env)

    def cpp(self, *args: object) -> Child:
        peer = find_cpp_peer()
        if peer is None:
            pytest.skip("smx_test_peer not built (set SMX_TEST_PEER)")
        return self([peer, *map(str, args)])

    def kill_all(self) -> None:
        for c in self.children:
            c.kill()


@pytest.fixture
def topics(request):
    """Makes unique topic names; after the test, /dev/shm must hold nothing of them."""
    made: List[str] = []

    def make(prefix: str = "") -> str:
        name = f"pyt_{prefix or request.node.name[:40]}_{os.getpid()}_{next(_counter)}_{random.randrange(10**6)}"
        name = "".join(c if c.isalnum() or c in "_-" else "_" for c in name)
        made.append(name)
        return name

    yield make
    gc.collect()
    leftovers = [e for t in made for e in shm_entries(t)]
    for e in leftovers:  # do not let one failure pollute the machine
        try:
            os.unlink(SHM / e)
        except OSError:
            pass
    assert not leftovers, f"shared-memory objects left behind: {leftovers}"


@pytest.fixture
def topic(topics):
    return topics()


@pytest.fixture
def spawn(topics):
    """Starts child processes; every one still running at the end is killed by pid."""
    s = Spawner()
    yield s
    s.kill_all()
