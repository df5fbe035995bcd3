"""``python -m mailcert`` is the same as the ``mailcert`` command."""

from mailcert.cli import run

run()
