"""``mailcert demo`` is the README's main job: it must reproduce the seed and fix it."""

from __future__ import annotations

import os
import subprocess
import sys

from mailcert.names.profiles import DEFAULT_CLIENTS


def test_demo_reproduces_and_fixes_the_seed() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mailcert", "demo"], capture_output=True, text=True, timeout=60,
        stdin=subprocess.DEVNULL, env={**os.environ, "NO_COLOR": "1"},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "The target principal name is incorrect" in out
    assert out.count("refused by outlook2007 [first-san-not-name]") == 3
    assert out.count(f"OK       accepted by all {len(DEFAULT_CLIENTS)} client profiles") == 3
    assert "new SAN order: remote.contoso.com, sbs.contoso.local, sites, companyweb" in out
    assert proc.stderr == ""
