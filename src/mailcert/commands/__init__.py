"""The sub-commands.  Each module defines ``register(subparsers)``; its handler is set as
``func`` on the parser and returns an exit status.  ``mailcert X`` imports only module X (and
``--help`` all of them): a module imports the library at its top, except the heavy optional
parts (sqlalchemy with the inventory, dnspython, certbot's acme, pyOpenSSL, rich, tomlkit) and
what only one option needs, which load inside the handler that uses them, each import saying
why (``tests/test_function_imports.py``).
"""

# order = order in ``mailcert --help``
COMMANDS = ["demo", "inspect", "check", "clients", "address", "cert", "acme", "deploy", "dane", "scan", "report", "completion"]
