#!/usr/bin/python3
"""Runs every code snippet of README.md and docs/*.md as written, and fails naming each one that
does not run (file, line, language, output).

    /usr/bin/python3 tests/docs/run_snippets.py --source . --build build [--only docs/python.md]

What counts as a snippet:
  * every fenced block (```lang ... ```);
  * every indented (4-space) block that looks like a command: its first line starts with `$ `,
    or its first word (after VAR=value assignments) is a shell builtin, a program on PATH
    (build/bin first) or an executable file of the tree. Other indented blocks are program
    output or listings, and are not snippets.

How each runs, in a scratch directory that mirrors the repository's top level with symbolic
links (`build` is the build under test), so that `build/bin/...`, `examples/...` and
`config/...` resolve and files a snippet writes stay out of the tree:
  * python, py: PYTHON (/usr/bin/python3) with PYTHONPATH=build/python;
  * sh, bash, shell, console and indented commands: `bash -e`, with build/bin first on PATH
    (a `$ `-prompted block runs its prompted lines only; the rest is output);
  * cpp, c++: compiled against the build's headers and libsmx and run; a block without
    `main(` becomes the body of `int main()`, its #include and using lines staying at file scope.
Every process runs in its own session with SMX_DOMAIN set (the environment's, else a random
one of 50..199) and CYCLONEDDS_URI, SMX_TRANSPORT, SMX_INTERFACE unset, under a timeout (60 s,
cpp 180 s); whatever is left of its process group is killed by group id, and /dev/shm segments
of the topics it names are removed (a segment left behind fails the snippet).

Other languages (diff, xml, unlabelled output...) must be marked `skip`. Markers are HTML
comments on the lines just above a block (one blank line may separate them from an indented
block), one directive each:

  <!-- snippet: skip REASON -->          not run; the summary lists the reason
  <!-- snippet: with-writer TOPIC [SCHEMA] -->
                                         a 30 Hz writer of TOPIC (smx_test_peer, SCHEMA as the
                                         peer names them, default rgbd) runs while the block does
  <!-- snippet: prelude NAME... -->      definitions (PRELUDES below) run first, for placeholders
                                         such as process() or camera
  <!-- snippet: timeout SECONDS -->      another time limit

A snippet-marker line that is attached to no block, or names an unknown directive or prelude,
is a failure too. Exit status: 0 if every snippet ran, 1 otherwise, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

PYTHON_LANGS = {"python", "py", "python3"}
SHELL_LANGS = {"sh", "bash", "shell", "console"}
CPP_LANGS = {"cpp", "c++", "cxx"}
SHELL_BUILTINS = {"export", "cd", "set", "unset", "source", ".", "echo", "test", "["}
DEFAULT_TIMEOUT = 60.0
CPP_TIMEOUT = 180.0

# Stand-ins for what the docs leave to the reader: language -> code, run before the block.
PRELUDES: Dict[str, Dict[str, str]] = {
    # The README's Python blocks continue its migration block (which imports from smx) and
    # call the user's own function.
    "process": {"python": "import smx\n\ndef process(array):\n    array.sum()\n"},
    # `for frame in reader` runs until the reader is closed; here it ends after 3 frames, as a
    # program's loop would end on Ctrl-C or a break, so the lines after it run too.
    "loop-ends": {"python": (
        "import smx\n_smx_iterate = smx.SMReader.__iter__\n\n"
        "def _smx_three_frames(self):\n"
        "    for n, frame in enumerate(_smx_iterate(self)):\n"
        "        yield frame\n"
        "        if n == 2:\n"
        "            return\n\n"
        "smx.SMReader.__iter__ = _smx_three_frames\n")},
    # The seed's template (docs/python.md, "Moving from the seed"), a camera and a depth map.
    "camera": {"python": (
        "from dataclasses import dataclass\nimport numpy as np\nimport smx\nfrom smx import BaseIDL\n\n"
        "@dataclass\nclass FrameBuffer(BaseIDL):\n"
        "  timestamp: np.ndarray = np.empty((1,), dtype=np.float64)\n"
        "  color: np.ndarray = np.empty((480, 848, 3), dtype=np.uint8)\n"
        "  depth: np.ndarray = np.empty((480, 848), dtype=np.uint16)\n"
        "  extrinsics: np.ndarray = np.empty((4, 4), dtype=np.float64)\n"
        "  intrinsics: np.ndarray = np.empty((3, 3), dtype=np.float64)\n\n"
        "class _Camera:\n    def read_into(self, array):\n        array[...] = 7\n\n"
        "camera = _Camera()\ndepth = np.full((480, 848), 1000, dtype=np.uint16)\n")},
    # docs/cli.md reads run.h5 with a topic "camera": record one from the with-writer's writer.
    "recording": {"python": (
        "import subprocess\n"
        "subprocess.run(['smx', 'record', 'camera', '-o', 'run.h5', '--count', '12', '--force'],\n"
        "               check=True, timeout=60, stdout=subprocess.DEVNULL)\n")},
    # The README's C++ nutshell: the application's buffers and its use of a value.
    "nutshell": {"cpp": (
        "#include <cstdint>\n#include <vector>\n"
        "static std::vector<std::uint8_t> color(480 * 848 * 3);\n"
        "static std::vector<std::uint16_t> depth(480 * 848);\n"
        "template <class... T> static void use(const T&...) {}\n")},
}

MARKER = re.compile(r"^\s*<!--\s*snippet:\s*(.*?)\s*-->\s*$")
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([^\s`]*)")
LIST_ITEM = re.compile(r"^\s*([*+-]|\d+[.)])\s")


@dataclass
class Snippet:
    path: str          # relative to the source dir
    line: int          # 1-based line of the fence (or of an indented block's first line)
    first_code_line: int
    lang: str          # as written ("" for unlabelled, "indented" for indented commands)
    kind: str          # python, shell, cpp, other
    code: str
    markers: List[Tuple[int, str]] = field(default_factory=list)

    def stem(self) -> str:
        """A name for the files the snippet is written to (a valid Python module name)."""
        return "snippet_" + re.sub(r"[^A-Za-z0-9]", "_", self.path) + f"_{self.line}"

    def where(self) -> str:
        return f"{self.path}:{self.line} ({self.lang or 'unlabelled'})"


@dataclass
class Outcome:
    snippet: Snippet
    status: str        # ran, skipped, failed
    detail: str = ""
    seconds: float = 0.0


# ---- extraction --------------------------------------------------------------------------------

def looks_like_command(first_line: str, env_path: str, root: Path) -> bool:
    stripped = first_line.strip()
    if stripped.startswith("$ "):
        return True
    try:
        words = shlex.split(stripped, comments=True)
    except ValueError:
        return False
    while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
        words.pop(0)
    if not words:
        return False
    word = words[0]
    if word in SHELL_BUILTINS:
        return True
    if "/" in word:
        candidate = root / word
        return candidate.is_file() and os.access(candidate, os.X_OK)
    return shutil.which(word, path=env_path) is not None


def extract(path: Path, rel: str, env_path: str, root: Path) -> Tuple[List[Snippet], List[str]]:
    """The snippets of one Markdown file, and problems with its markers."""
    lines = path.read_text(encoding="utf-8").split("\n")
    snippets: List[Snippet] = []
    used_markers: set = set()

    def markers_above(index: int) -> List[Tuple[int, str]]:
        j = index - 1
        if j >= 0 and not lines[j].strip():
            j -= 1
        found = []
        while j >= 0 and MARKER.match(lines[j]):
            found.append((j + 1, MARKER.match(lines[j]).group(1)))
            used_markers.add(j)
            j -= 1
        return list(reversed(found))

    i = 0
    previous_text = ""  # the last non-blank line outside code blocks
    while i < len(lines):
        line = lines[i]
        fence = FENCE.match(line)
        if fence:
            indent, ticks, lang = len(fence.group(1)), fence.group(2), fence.group(3).lower()
            body: List[str] = []
            j = i + 1
            while j < len(lines):
                closing = re.match(r"^\s*(`{3,}|~{3,})\s*$", lines[j])
                if closing and closing.group(1)[0] == ticks[0] and len(closing.group(1)) >= len(ticks):
                    break
                body.append(lines[j][indent:] if lines[j][:indent].strip() == "" else lines[j].lstrip())
                j += 1
            kind = ("python" if lang in PYTHON_LANGS else "shell" if lang in SHELL_LANGS
                    else "cpp" if lang in CPP_LANGS else "other")
            snippets.append(Snippet(rel, i + 1, i + 2, lang, kind, "\n".join(body) + "\n", markers_above(i)))
            i = j + 1
            previous_text = ""
            continue
        needed = 4
        if LIST_ITEM.match(previous_text) or re.match(r"^ {1,3}\S", previous_text):
            needed = 6  # inside a list item, a code block is indented past the item's text
        if (line.startswith(" " * needed) and line.strip() and i > 0 and not lines[i - 1].strip()
                and not MARKER.match(line)):
            block: List[str] = []
            j = i
            while j < len(lines) and (lines[j].startswith(" " * needed) or not lines[j].strip()):
                block.append(lines[j])
                j += 1
            while block and not block[-1].strip():
                block.pop()
            width = min(len(b) - len(b.lstrip()) for b in block if b.strip())
            code = "\n".join(b[width:] for b in block) + "\n"
            if looks_like_command(block[0], env_path, root):
                lang = "console" if block[0].strip().startswith("$ ") else "indented"
                snippets.append(Snippet(rel, i + 1, i + 1, lang, "shell", code, markers_above(i)))
            i = j
            continue
        if line.strip() and not MARKER.match(line):
            previous_text = line
        i += 1

    problems = [f"{rel}:{k + 1}: snippet marker attached to no snippet: {lines[k].strip()}"
                for k, text in enumerate(lines) if MARKER.match(text) and k not in used_markers]
    problems += [f"{rel}:{k + 1}: not a snippet marker (`<!-- snippet: DIRECTIVE ... -->` on a line of its own): "
                 f"{lines[k].strip()}" for k, text in enumerate(lines) if re.match(r"^\s*<!--\s*snippet", text) and not MARKER.match(text)]
    return snippets, problems


# ---- markers -----------------------------------------------------------------------------------

@dataclass
class Plan:
    """What a snippet's markers ask for."""
    preludes: List[str] = field(default_factory=list)
    writers: List[Tuple[str, str]] = field(default_factory=list)  # (topic, schema)
    timeout: Optional[float] = None

    @staticmethod
    def of(snippet: Snippet) -> "Plan | Outcome":
        """The plan, or the outcome when there is nothing to run (skipped, or a bad marker)."""
        plan = Plan()
        for line, text in snippet.markers:
            name, _, rest = text.partition(" ")
            rest = rest.strip()
            if name == "skip":
                if not rest:
                    return Outcome(snippet, "failed", f"line {line}: `skip` needs a reason")
                return Outcome(snippet, "skipped", rest[1:-1] if rest.startswith("(") and rest.endswith(")") else rest)
            if name == "prelude" and rest:
                for p in rest.split():
                    if p not in PRELUDES or snippet.kind not in PRELUDES[p]:
                        return Outcome(snippet, "failed", f"line {line}: no {snippet.kind} prelude named {p!r}")
                    plan.preludes.append(p)
            elif name == "with-writer" and rest:
                parts = rest.split()
                plan.writers.append((parts[0], parts[1] if len(parts) > 1 else "rgbd"))
            elif name == "timeout" and re.fullmatch(r"\d+(\.\d+)?", rest):
                plan.timeout = float(rest)
            else:
                return Outcome(snippet, "failed", f"line {line}: unknown snippet marker {text!r}")
        if snippet.kind == "other":
            return Outcome(snippet, "failed", "a block of a language the runner does not run, without a marker: "
                           "mark it `<!-- snippet: skip REASON -->` or give it a runnable language")
        return plan


# ---- running -----------------------------------------------------------------------------------

class Run:
    def __init__(self, args: argparse.Namespace) -> None:
        self.source = Path(args.source).resolve()
        self.build = Path(args.build).resolve()
        self.python = args.python
        self.cxx = args.cxx
        self.domain = os.environ.get("SMX_DOMAIN") or str(random.randrange(50, 200))
        self.scratch = Path(tempfile.mkdtemp(prefix="smx-snippets-"))
        for entry in self.source.iterdir():
            if entry.name not in ("build", ".git"):
                (self.scratch / entry.name).symlink_to(entry)
        (self.scratch / "build").symlink_to(self.build)
        self.bin = self.build / "bin"
        self.peer = self.build / "tests" / "smx_test_peer"
        env = dict(os.environ)
        for name in ("CYCLONEDDS_URI", "SMX_TRANSPORT", "SMX_INTERFACE"):
            env.pop(name, None)
        env["SMX_DOMAIN"] = self.domain
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        env["PYTHONUNBUFFERED"] = "1"
        self.env = env

    def close(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)

    # Segments of this run's domain, by topic.
    def segments(self) -> set:
        prefix = f"smx.{self.domain}."
        return {e for e in os.listdir("/dev/shm") if e.startswith(prefix)}

    def spawn(self, argv: List[str], env: Dict[str, str], **kw) -> subprocess.Popen:
        return subprocess.Popen([str(a) for a in argv], cwd=self.scratch, env=env, start_new_session=True, **kw)

    @staticmethod
    def end_group(proc: subprocess.Popen) -> bool:
        """Kills what is left of the process group `proc` leads; True if anything was left."""
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return False
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            return False
        return True

    def run_process(self, argv: List[str], env: Dict[str, str], timeout: float) -> Tuple[int, str, bool]:
        """(exit status, output, left processes behind); status -9 on timeout."""
        # Output goes to a file, not a pipe: a process left in the background would keep a pipe open.
        with tempfile.TemporaryFile(dir=self.scratch) as out:
            proc = self.spawn(argv, env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
            try:
                status = proc.wait(timeout=timeout)
                note = ""
            except subprocess.TimeoutExpired:
                self.end_group(proc)
                status = -9
                proc.wait(timeout=10)
                note = f"\n[timed out after {timeout:g} s]"
            left = self.end_group(proc)
            out.seek(0)
            return status, out.read().decode(errors="replace") + note, left

    def start_writer(self, topic: str, schema: str) -> Tuple[Optional[subprocess.Popen], str]:
        proc = self.spawn([self.peer, "writer", "--topic", topic, "--schema", schema, "--forever", "--rate", "30"],
                          self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, bufsize=1)
        seen: List[str] = []
        ready = threading.Event()

        def pump() -> None:
            for out_line in proc.stdout:
                seen.append(out_line.rstrip("\n"))
                if out_line.startswith("READY"):
                    ready.set()
            ready.set()

        threading.Thread(target=pump, daemon=True).start()
        ready.wait(20)
        if not any(s.startswith("READY") for s in seen):
            self.stop_writer(proc, topic)
            return None, "the writer did not start:\n" + "\n".join(seen)
        return proc, ""

    def stop_writer(self, proc: subprocess.Popen, topic: str) -> None:
        try:
            proc.stdin.write("quit\n")
            proc.stdin.flush()
            proc.stdin.close()
        except (BrokenPipeError, ValueError, OSError):
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        if self.end_group(proc):
            proc.wait(timeout=10)
            try:  # a killed writer cannot remove its segment
                os.unlink(f"/dev/shm/smx.{self.domain}.{topic}")
            except OSError:
                pass

    # -- one snippet --

    def script(self, snippet: Snippet, preludes: List[str]) -> Tuple[List[str], float, int]:
        """(argv, timeout, lines before the snippet's first line in the written file)."""
        stem = snippet.stem()
        if snippet.kind == "python":
            prelude = "".join(PRELUDES[p]["python"] for p in preludes)
            (self.scratch / f"_prelude_{stem}.py").write_text(prelude)
            text = f"from _prelude_{stem} import *  # noqa\n" + snippet.code if prelude else snippet.code
            target = self.scratch / f"{stem}.py"
            target.write_text(text)
            return [self.python, target], DEFAULT_TIMEOUT, 1 if prelude else 0
        if snippet.kind == "shell":
            code = snippet.code
            if any(l.startswith("$ ") for l in code.splitlines()):
                code = "\n".join(l[2:] for l in code.splitlines() if l.startswith("$ ")) + "\n"
            target = self.scratch / f"{stem}.sh"
            target.write_text(code)
            return ["bash", "-e", target], DEFAULT_TIMEOUT, 0
        # cpp
        prelude = "".join(PRELUDES[p]["cpp"] for p in preludes)
        if re.search(r"\bmain\s*\(", snippet.code):
            source = prelude + snippet.code
            offset = prelude.count("\n")
        else:
            top = [l for l in snippet.code.splitlines() if re.match(r"^\s*(#include|using namespace)", l)]
            body = [l if not re.match(r"^\s*(#include|using namespace)", l) else "" for l in snippet.code.splitlines()]
            head = "\n".join(top) + "\n" + prelude + "int main() {\n"
            source = head + "\n".join(body) + "\n}\n"
            offset = head.count("\n")
        (self.scratch / f"{stem}.cpp").write_text(source)
        compile_line = (f"{shlex.quote(self.cxx)} -std=c++20 -O0 -Wall -Wno-unused-variable "
                        f"-I{self.source / 'include'} -I{self.build / 'include'} {stem}.cpp -o {stem} "
                        f"-L{self.build} -lsmx -Wl,-rpath,{self.build} && ./{stem}")
        return ["bash", "-c", compile_line], CPP_TIMEOUT, offset

    def locate(self, output: str, snippet: Snippet, stem: str, offset: int) -> str:
        """Rewrites '<stem>.py", line N' and '<stem>.cpp:N' into the Markdown file's line numbers."""
        def line(number: str) -> int:
            return snippet.first_code_line + int(number) - 1 - offset
        output = re.sub(r'"[^"]*' + re.escape(stem) + r'\.py", line (\d+)',
                        lambda m: f'"{snippet.path}", line {line(m.group(1))}', output)
        return re.sub(r"\S*" + re.escape(stem) + r"\.cpp:(\d+)", lambda m: f"{snippet.path}:{line(m.group(1))}", output)

    def run(self, snippet: Snippet) -> Outcome:
        plan = Plan.of(snippet)
        if isinstance(plan, Outcome):
            return plan
        return self.execute(snippet, plan.preludes, plan.writers, plan.timeout)

    def execute(self, snippet: Snippet, preludes: List[str], writers: List[Tuple[str, str]],
                timeout: Optional[float]) -> Outcome:
        before = self.segments()
        started: List[Tuple[subprocess.Popen, str]] = []
        start = time.monotonic()
        try:
            for topic, schema in writers:
                proc, problem = self.start_writer(topic, schema)
                if proc is None:
                    return Outcome(snippet, "failed", problem)
                started.append((proc, topic))
            argv, default_timeout, offset = self.script(snippet, preludes)
            env = dict(self.env)
            if snippet.kind == "python":
                env["PYTHONPATH"] = os.pathsep.join([str(self.build / "python"), str(self.scratch)])
            status, output, left = self.run_process(argv, env, timeout or default_timeout)
        finally:
            for proc, topic in started:
                self.stop_writer(proc, topic)
        seconds = time.monotonic() - start
        stem = snippet.stem()
        output = self.locate(output, snippet, stem, offset)
        problems = []
        if status != 0:
            problems.append(f"exit status {status}")
        if left:
            problems.append("processes were left running (killed)")
        named = {e for e in self.segments() - before if e.split(".", 2)[2] in snippet.code}
        for e in named:
            try:
                os.unlink(f"/dev/shm/{e}")
            except OSError:
                pass
        if named:
            problems.append(f"left in /dev/shm (removed): {', '.join(sorted(named))}")
        if problems:
            return Outcome(snippet, "failed", "; ".join(problems) + "\n" + output, seconds)
        return Outcome(snippet, "ran", output, seconds)


def tail(text: str, count: int = 60) -> str:
    lines = text.rstrip("\n").split("\n")
    if len(lines) > count:
        lines = [f"[... {len(lines) - count} lines before]"] + lines[-count:]
    return "\n".join("    | " + l for l in lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--source", default=str(Path(__file__).resolve().parent.parent.parent))
    parser.add_argument("--build", default=None, help="build directory (default: SOURCE/build)")
    parser.add_argument("--python", default="/usr/bin/python3")
    parser.add_argument("--cxx", default="c++")
    parser.add_argument("--verbose", action="store_true", help="print the output of snippets that ran, too")
    parser.add_argument("--only", action="append", default=[], help="a Markdown file (relative to SOURCE); repeatable")
    args = parser.parse_args()
    if args.build is None:
        args.build = str(Path(args.source) / "build")
    for needed in ("bin/smx", "tests/smx_test_peer", "python/smx"):
        if not (Path(args.build) / needed).exists():
            print(f"run_snippets: {Path(args.build) / needed} is missing: build the tool, tests and Python package first")
            return 2

    run = Run(args)
    try:
        files = ["README.md"] + sorted(f"docs/{p.name}" for p in (run.source / "docs").glob("*.md"))
        if args.only:
            files = [f for f in files if f in args.only]
        env_path = run.env["PATH"]
        outcomes: List[Outcome] = []
        marker_problems: List[str] = []
        print(f"run_snippets: domain {run.domain}, scratch {run.scratch}, build {run.build}")
        for rel in files:
            snippets, problems = extract(run.source / rel, rel, env_path, run.scratch)
            marker_problems += problems
            for snippet in snippets:
                outcome = run.run(snippet)
                outcomes.append(outcome)
                note = f" ({outcome.detail})" if outcome.status == "skipped" else f" ({outcome.seconds:.1f} s)"
                print(f"{outcome.status:7} {snippet.where()}{note}", flush=True)
                if args.verbose and outcome.status == "ran" and outcome.detail.strip():
                    print(tail(outcome.detail), flush=True)
    finally:
        run.close()

    ran = [o for o in outcomes if o.status == "ran"]
    skipped = [o for o in outcomes if o.status == "skipped"]
    failed = [o for o in outcomes if o.status == "failed"]
    for o in failed:
        code = o.snippet.code.rstrip("\n").split("\n")
        shown = "" if o.detail.startswith("line ") else "\n".join(
            "    > " + l for l in (code if len(code) <= 40 else code[:15] + [f"[... {len(code) - 15} more lines]"]))
        print(f"\nFAILED {o.snippet.where()}:\n{shown}\n  -> {o.detail.splitlines()[0]}")
        rest = "\n".join(o.detail.splitlines()[1:])
        if rest.strip():
            print(tail(rest))
    for problem in marker_problems:
        print(f"\nFAILED {problem}")
    print(f"\nsnippets: run {len(ran)}, skipped {len(skipped)}, failed {len(failed) + len(marker_problems)}")
    for o in skipped:
        print(f"  skipped {o.snippet.where()}: {o.detail}")
    return 1 if failed or marker_problems else 0


if __name__ == "__main__":
    sys.exit(main())
