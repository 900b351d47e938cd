"""SMX_DOMAIN chooses the DDS domain of a participant made without one — in Python as in C++ and
the tool — so a test run or a shell keeps its processes off everyone else's domain."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

SCRIPT = """
import numpy as np, smx, sys
dp = smx.DomainParticipant()
print("DOMAIN", dp.domain_id, flush=True)
if len(sys.argv) > 1:
    w = smx.SMWriter(None, sys.argv[1], smx.Schema([("v", np.uint8, (4,))]))
    print("SEGMENT", w.segment_name, flush=True)
    w.close()
"""


def run(env_domain, *args):
    env = dict(os.environ)
    if env_domain is None:
        env.pop("SMX_DOMAIN", None)
    else:
        env["SMX_DOMAIN"] = env_domain
    return subprocess.run([sys.executable, "-c", SCRIPT, *args], env=env, capture_output=True, text=True, timeout=60)


def test_a_participant_without_a_domain_joins_SMX_DOMAIN_else_0():
    r = run("211")
    assert r.returncode == 0, r.stderr
    assert "DOMAIN 211" in r.stdout
    # Unset, the default is 0 — asked without joining domain 0 (other work may use it).
    env = dict(os.environ)
    env.pop("SMX_DOMAIN", None)
    r = subprocess.run([sys.executable, "-c", "import smx; print('DEFAULT', smx._core.default_domain())"], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "DEFAULT 0" in r.stdout


def test_the_shared_participant_of_None_follows_SMX_DOMAIN_too(topic):
    r = run("212", topic)
    assert r.returncode == 0, r.stderr
    assert "DOMAIN 212" in r.stdout
    assert f"SEGMENT /smx.212.{topic}" in r.stdout, r.stdout  # SMWriter(None, ...) joined domain 212


def test_an_SMX_DOMAIN_that_is_not_a_domain_id_is_refused_naming_it():
    r = run("lab-7")
    assert r.returncode != 0
    assert "SMX_DOMAIN='lab-7'" in r.stderr and "0..230" in r.stderr, r.stderr
