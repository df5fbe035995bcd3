"""Servers for the big scan tests, in their own process (so the scanning process's file
descriptors are its own): one embedded endpoint serving CERT/KEY and two silent servers (they
accept and never say a word).  Prints their ports as one JSON line, then serves until its
standard input closes.

    python -m tests.scan.fleet_servers CERT KEY
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from mailcert.model import Protocol
from mailcert.testing import MailEndpoint
from tests.probe.hostile import hostile_server, silence


async def main(cert: Path, key: Path) -> None:
    async with MailEndpoint(cert.read_bytes(), key.read_bytes(), hostname="fleet.test") as endpoint:
        async with hostile_server(silence) as quiet_imaps, hostile_server(silence, Protocol.SMTP) as quiet_smtp:
            ports = {**endpoint.ports, "silent_imaps": quiet_imaps, "silent_smtp": quiet_smtp}
            print(json.dumps(ports), flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), Path(sys.argv[2])))
