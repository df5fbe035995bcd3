"""``mailcert report``: the inventory's latest scan as HTML, CSV or JSON, with what changed."""

from __future__ import annotations

import argparse
from typing import Any

from mailcert.commands._common import emit, open_inventory, parse_when
from mailcert.fsutil import write_atomic
from mailcert.judgement import Judgement

__all__ = ["register", "run"]


def register(sub: Any) -> None:
    p = sub.add_parser(
        "report",
        help="report on the scan inventory: changes since the previous scan, expiries; HTML, CSV, JSON",
        description=(
            "Report on the newest scan in the inventory (or --scan ID) compared with the scan before it:"
            " what changed (new and gone targets, status, certificate and findings changes) and which"
            " certificates expire when. --html writes a self-contained page (server-by-client matrix,"
            " findings grouped by code with remedies, expiry timeline chart); --csv one row per target;"
            " --json everything. Without any of them, a summary is printed."
        ),
    )
    p.add_argument("--html", metavar="FILE", help="write the HTML page here")
    p.add_argument("--csv", metavar="FILE", help="write one CSV row per target here")
    p.add_argument("--json", metavar="FILE", help="write the JSON report here")
    p.add_argument("--db", metavar="URL", help="inventory: a file, sqlite:///FILE or postgresql://USER@HOST/DB (default: the XDG data dir)")
    p.add_argument("--scan", type=int, metavar="ID", help="report on this scan instead of the newest")
    p.add_argument("--warn-days", type=int, default=30, metavar="N", help="expiry within N days is highlighted (default 30)")
    p.add_argument("--at", metavar="ISO-DATE", help="count days left from this date instead of now")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # lazy: sqlalchemy comes with the inventory the report reads: not for mailcert --help
    from mailcert.report import fleet

    with open_inventory(args.db) as inventory:
        report = fleet.build_report(inventory, Judgement(now=parse_when(args.at), warn_days=args.warn_days), scan_id=args.scan)
    def write(path: str, text: str) -> None:
        # a report is replaced whole (readers never see half a page); no backups of old reports
        write_atomic(path, text.encode("utf-8"), mode=0o644, backup=False)

    if args.html:
        # lazy: only --html renders the page
        from mailcert.report import html

        write(args.html, html.render(report))
    if args.csv:
        write(args.csv, fleet.csv_text(report))
    if args.json:
        write(args.json, fleet.json_text(report))
    if not (args.html or args.csv or args.json):
        emit(fleet.text_summary(report))
    return 0
