"""The sub-commands.  Each module defines ``register(subparsers)``; its handler is set as
``func`` on the parser and returns an exit status.  Modules import heavy libraries inside
their handlers only, so ``mailcert --help`` and ``mailcert inspect`` stay quick to start.
"""

# order = order in ``mailcert --help``
COMMANDS = ["demo", "inspect", "check", "clients", "address", "cert", "acme", "deploy", "dane", "scan", "report", "completion"]
