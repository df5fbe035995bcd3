"""docs/clients.md carries the generated profile reference; it must match the table."""

from __future__ import annotations

from pathlib import Path

from mailcert.commands.clients import render_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "clients.md"


def test_clients_doc_is_in_step_with_the_profile_table() -> None:
    assert render_markdown() in DOC.read_text(encoding="utf-8"), (
        "docs/clients.md is stale: regenerate its generated part with `mailcert clients --format markdown`"
    )
