"""What every benchmark does first, so mailcert is measured as an installed tool."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def compile_bytecode() -> None:
    """Compile mailcert's bytecode, as a regular (non-editable) install does.

    An editable install leaves compiling to the first import, which never writes the result
    where PYTHONDONTWRITEBYTECODE is set: every run would then compile the whole package
    again and the start-up figures would measure the compiler, not mailcert.
    """
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src" / "mailcert")], check=True, capture_output=True)
