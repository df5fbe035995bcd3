"""Icinga2's own parsers, for tests of what mailcert hands to a monitoring system.

``icinga2 console -e`` evaluates an Icinga DSL expression without a daemon, so the plugin line
is split and every performance-data item parsed exactly as Icinga2 parses it when it receives a
check result (``parse_performance_data``).  Without icinga2 (scripts/deps/monitor.sh installs it)
the tests that need it skip, or fail when ``CI`` is set.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import Any

import pytest

def need_program(program: str, package: str) -> str:
    """The path of ``program`` (root's PATH or /usr/sbin); skip without it, fail in CI, where
    scripts/deps/monitor.sh must have installed ``package``."""
    sbin = f"/usr/sbin/{program}"
    found = shutil.which(program) or (sbin if os.path.exists(sbin) else None)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{program} missing: scripts/deps/monitor.sh installs {package}")
        pytest.skip(f"{program} not installed (scripts/deps/monitor.sh)")
    return found


def need_icinga2() -> str:
    return need_program("icinga2", "icinga2-bin")


def split_perfdata(perfdata: str) -> list[str]:
    """Items separated by spaces, a quoted label may hold spaces (the plugin guidelines' rule)."""
    items, current, quoted = [], "", False
    for c in perfdata.strip():
        if c == "'":
            quoted = not quoted
        if c == " " and not quoted:
            if current:
                items.append(current)
            current = ""
        else:
            current += c
    if current:
        items.append(current)
    return items


def parse_plugin_output(line: str) -> tuple[str, list[dict[str, Any]]]:
    """(text before ``|``, every item as Icinga2 parsed it: label, value, warn, crit, min)."""
    text, bar, perfdata = line.rstrip("\n").partition("|")
    assert "\n" not in line.rstrip("\n")
    items = split_perfdata(perfdata) if bar else []
    exprs = ", ".join(
        f"(function(p) {{ return {{label=p.label, value=p.value, warn=p.warn, crit=p.crit, min=p.min}} }})"
        f"(parse_performance_data({json.dumps(item)}))"
        for item in items
    )
    proc = subprocess.run(
        [need_icinga2(), "console", "-e", f"Json.encode([{exprs}])"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0 and "Error" not in proc.stdout, (items, proc.stdout, proc.stderr)
    return text.strip(), json.loads(json.loads(proc.stdout))
