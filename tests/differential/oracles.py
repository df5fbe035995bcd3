"""Ask real TLS implementations whether they accept a certificate for a host name.

Each oracle is one external program (C against OpenSSL/GnuTLS/NSS, Go, Java, Node.js, or
CPython) that speaks the same JSON-lines protocol and judges a whole batch in ONE process:

    stdin   {"id": "<cert_id>|<index>", "cert": "<base64 DER>", "host": "<host, UTF-8>"}
    stdout  {"id": ..., "accepted": true|false, "detail": "<library error or matched name>"}

Sources live in `oracles_src/`; programs are built into `.build/<oracle>/` and rebuilt
only when a source file or the build command changes (a stamp file holds their hash).
An oracle whose toolchain or library is missing raises `OracleUnavailable` with the
package to install (see scripts/deps/differential.sh); `available()` turns that into a
bool for skip decisions.

Public names used by the profile-vs-oracle comparison: `ORACLES`, `run_oracle`,
`OracleVerdict`, `OracleCase`, `cases_for`, `available`.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Final, Iterable, Iterator, Mapping, Sequence

from tests.differential.corpus import CorpusCert, ca_pem, leaf_key_pem

__all__ = [
    "ORACLES",
    "OracleVerdict",
    "OracleCase",
    "ChainCase",
    "CHAIN_ORACLES",
    "run_chain_oracle",
    "chain_request",
    "OracleUnavailable",
    "OracleError",
    "available",
    "unavailable_reason",
    "build",
    "run_oracle",
    "cases_for",
]

ORACLES: Final[tuple[str, ...]] = ("openssl", "python", "gnutls", "nss", "java", "node", "go", "thunderbird")

HERE: Final = Path(__file__).resolve().parent
SRC_DIR: Final = HERE / "oracles_src"
BUILD_DIR: Final = HERE / ".build"
DEPS_SCRIPT: Final = "scripts/deps/differential.sh"


@dataclass(frozen=True)
class OracleVerdict:
    """What one real implementation said about one (certificate, host) case."""

    accepted: bool
    detail: str


@dataclass(frozen=True)
class OracleCase:
    """One question: does the implementation accept `der` for `host`? `id` is `cert_id|index`."""

    id: str
    der: bytes
    host: str


class OracleUnavailable(RuntimeError):
    """The oracle cannot be built or run here (missing toolchain or library); says what to install."""


class OracleError(RuntimeError):
    """The oracle ran but broke the protocol (crashed, lost or duplicated a case)."""


def cases_for(certs: Iterable[CorpusCert]) -> list[OracleCase]:
    """Every (certificate, host) pair of the corpus, with ids `cert_id|index` into `hosts`."""
    return [
        OracleCase(f"{cert.id}|{index}", cert.der, host)
        for cert in certs
        for index, host in enumerate(cert.hosts)
    ]


# --- Building ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Recipe:
    """How to build and run one oracle.

    `sources` feed the stamp; `steps(out_dir)` are the build commands (empty for
    interpreted oracles); `argv(out_dir, ca, key)` is the command line that judges a batch;
    `needs` lists (executable, package) pairs checked before building, so a missing tool is
    reported as the package to install rather than as a compiler error.
    """

    sources: tuple[str, ...]
    needs: tuple[tuple[str, str], ...]
    steps: Callable[[Path], list[list[str]]]
    argv: Callable[[Path, Path, Path], list[str]]
    env: Callable[[Path], dict[str, str]] = lambda out: {}
    deps: str = DEPS_SCRIPT  # the scripts/deps/*.sh that installs `needs`


def _pkg_config(module: str, package: str) -> list[str]:
    """Compiler and linker flags of a pkg-config module, or OracleUnavailable naming the package."""
    if shutil.which("pkg-config") is None:
        raise OracleUnavailable(f"pkg-config is missing: apt-get install pkg-config ({DEPS_SCRIPT})")
    proc = subprocess.run(
        ["pkg-config", "--cflags", "--libs", module], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise OracleUnavailable(
            f"pkg-config cannot find {module!r}: apt-get install {package} ({DEPS_SCRIPT}): "
            f"{proc.stderr.strip()}"
        )
    return proc.stdout.split()


def _c_steps(source: str, module: str, package: str) -> Callable[[Path], list[list[str]]]:
    def steps(out: Path) -> list[list[str]]:
        flags = _pkg_config(module, package)
        return [
            [
                "gcc",
                "-O2",
                "-Wall",
                "-Wextra",
                "-Wno-unused-function",
                "-std=c11",
                "-D_POSIX_C_SOURCE=200809L",
                f"-I{SRC_DIR}",
                "-o",
                str(out / "oracle"),
                str(SRC_DIR / source),
                *flags,
            ]
        ]

    return steps


def _native(out: Path, ca: Path, key: Path) -> list[str]:
    return [str(out / "oracle")]


# mozilla::pkix, vendored from Debian's nss source package (oracles_src/mozpkix/README.md)
_MOZPKIX_SOURCES: Final = tuple(
    str(path.relative_to(SRC_DIR)) for path in sorted((SRC_DIR / "mozpkix").rglob("*")) if path.is_file()
)


def _mozpkix_steps(out: Path) -> list[list[str]]:
    """One g++ call over the harness and mozilla::pkix; NSS (libnss3-dev) for the crypto.

    -O1: the build is paid once per source change (CI: once), the batch runs in seconds."""
    flags = _pkg_config("nss", "libnss3-dev")
    return [
        [
            "g++", "-O1", "-std=c++17", "-w", f"-I{SRC_DIR}", f"-I{SRC_DIR / 'mozpkix' / 'include'}",
            "-o", str(out / "oracle"), str(SRC_DIR / "oracle_mozpkix.cpp"),
            *sorted(str(SRC_DIR / s) for s in _MOZPKIX_SOURCES if s.endswith(".cpp")),
            *flags,
        ]
    ]


def _mozpkix_argv(out: Path, ca: Path, key: Path) -> list[str]:
    # Thunderbird's pipeline: URL host parsing (Node's WHATWG parser), then mozilla::pkix
    return ["bash", "-c", 'set -o pipefail; node "$0" | "$1"', str(SRC_DIR / "oracle_mozpkix_host.js"), str(out / "oracle")]


def _go_env(out: Path) -> dict[str, str]:
    # Everything Go writes stays under .build, and nothing is fetched: stdlib only.
    return {
        "GOCACHE": str(out / "gocache"),
        "GOPATH": str(out / "gopath"),
        "GOPROXY": "off",
        "GO111MODULE": "off",
        "GOFLAGS": "",
        "CGO_ENABLED": "0",
    }


def _program_recipe(program: str, package: str, deps: str, *, by_name: bool = False,
                    name: str = "", probe: tuple[str, ...] = ()) -> _Recipe:
    """A real client program run against each served chain (oracles_src/chain_program.py
    ``name``, default the program's); ``by_name``: it reaches the server under the typed name,
    in namespaces of its own, which unshare (util-linux) and ip (iproute2) set up; ``probe``: a
    command that fails, as the build, where the program runs but lacks what it loads."""
    namespaces = (("unshare", "util-linux"), ("ip", "iproute2")) if by_name else ()
    return _Recipe(
        sources=("oracle_python.py", "chain_python.py", "chain_program.py", "gio_client.py"),
        needs=((program, package), *namespaces),
        steps=lambda out: [list(probe)] if probe else [],
        argv=lambda out, ca, key: [sys.executable, str(SRC_DIR / "chain_program.py"), name or program],
        deps=deps,
    )


# GIO must load glib-networking's GnuTLS backend (without it GIO has a dummy one that refuses all)
_GIO_PROBE: Final = ("/usr/bin/python3", "-c", "import gi; gi.require_version('Gio', '2.0'); from gi.repository import Gio;"
                     " b = type(Gio.TlsBackend.get_default()).__name__; assert 'Gnutls' in b,"
                     " f'GIO TLS backend {b}: apt-get install glib-networking (scripts/deps/gio.sh)'")


_RECIPES: Final[dict[str, _Recipe]] = {
    "openssl": _Recipe(
        sources=("jsonl.h", "oracle_openssl.c"),
        needs=(("gcc", "gcc"),),
        steps=_c_steps("oracle_openssl.c", "libcrypto", "libssl-dev"),
        argv=_native,
    ),
    "gnutls": _Recipe(
        sources=("jsonl.h", "oracle_gnutls.c"),
        needs=(("gcc", "gcc"),),
        steps=_c_steps("oracle_gnutls.c", "gnutls", "libgnutls28-dev"),
        argv=_native,
    ),
    "nss": _Recipe(
        sources=("jsonl.h", "oracle_nss.c"),
        needs=(("gcc", "gcc"),),
        steps=_c_steps("oracle_nss.c", "nss", "libnss3-dev"),
        argv=_native,
    ),
    "go": _Recipe(
        sources=("oracle_go.go",),
        needs=(("go", "golang-go"),),
        steps=lambda out: [["go", "build", "-o", str(out / "oracle"), str(SRC_DIR / "oracle_go.go")]],
        argv=_native,
        env=_go_env,
    ),
    # whole chains (CHAIN_ORACLES), not names
    "gnutls-chain": _Recipe(
        sources=("jsonl.h", "chain_gnutls.c"),
        needs=(("gcc", "gcc"),),
        steps=_c_steps("chain_gnutls.c", "gnutls", "libgnutls28-dev"),
        argv=_native,
    ),
    # the same call without GNUTLS_DT_KEY_PURPOSE_OID: how mutt, NeoMutt, msmtp and GIO ask
    "gnutls-chain-nopurpose": _Recipe(
        sources=("jsonl.h", "chain_gnutls.c"),
        needs=(("gcc", "gcc"),),
        steps=_c_steps("chain_gnutls.c", "gnutls", "libgnutls28-dev"),
        argv=lambda out, ca, key: [str(out / "oracle"), "--no-purpose"],
    ),
    "java-chain": _Recipe(
        sources=("Oracle.java", "ChainOracle.java"),
        needs=(("javac", "openjdk-17-jdk-headless"), ("java", "openjdk-17-jdk-headless")),
        steps=lambda out: [["javac", "-Xlint:-options", "-d", str(out), str(SRC_DIR / "Oracle.java"), str(SRC_DIR / "ChainOracle.java")]],
        argv=lambda out, ca, key: ["java", "-XX:+UseSerialGC", "-cp", str(out), "ChainOracle"],
    ),
    # the JDK by real handshake: a JSSE client (ChainClient.java, one JVM) against each served chain
    "java-tls-chain": _Recipe(
        sources=("Oracle.java", "ChainClient.java", "oracle_python.py", "chain_python.py", "chain_program.py", "chain_jsse.py"),
        needs=(("javac", "openjdk-17-jdk-headless"), ("java", "openjdk-17-jdk-headless")),
        steps=lambda out: [["javac", "-Xlint:-options", "-d", str(out), str(SRC_DIR / "Oracle.java"), str(SRC_DIR / "ChainClient.java")]],
        argv=lambda out, ca, key: [sys.executable, str(SRC_DIR / "chain_jsse.py"), str(out)],
    ),
    "go-chain": _Recipe(
        sources=("chain_go.go",),
        needs=(("go", "golang-go"),),
        steps=lambda out: [["go", "build", "-o", str(out / "oracle"), str(SRC_DIR / "chain_go.go")]],
        argv=_native,
        env=_go_env,
    ),
    # Thunderbird: the typed name through the WHATWG URL host parser, then mozilla::pkix's
    # CheckCertHostname (and, in chain mode, BuildCertChain with Firefox's policy)
    "thunderbird": _Recipe(
        sources=("jsonl.h", "oracle_mozpkix.cpp", "oracle_mozpkix_host.js", *_MOZPKIX_SOURCES),
        needs=(("g++", "g++"), ("node", "nodejs")),
        steps=_mozpkix_steps,
        argv=_mozpkix_argv,
    ),
    "java": _Recipe(
        sources=("Oracle.java",),
        needs=(("javac", "openjdk-17-jdk-headless"), ("java", "openjdk-17-jdk-headless")),
        steps=lambda out: [["javac", "-Xlint:-options", "-d", str(out), str(SRC_DIR / "Oracle.java")]],
        argv=lambda out, ca, key: [
            "java",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-cp",
            str(out),
            "Oracle",
            str(ca),
            str(key),
        ],
    ),
    "node": _Recipe(
        sources=("oracle_node.js",),
        needs=(("node", "nodejs"),),
        steps=lambda out: [],
        argv=lambda out, ca, key: ["node", str(SRC_DIR / "oracle_node.js")],
    ),
    "python": _Recipe(
        sources=("oracle_python.py",),
        needs=(),
        steps=lambda out: [],
        argv=lambda out, ca, key: [sys.executable, str(SRC_DIR / "oracle_python.py"), str(ca), str(key)],
    ),
    # whole chains over a real handshake (cases with the leaf's key: the chain corpus)
    "python-chain": _Recipe(
        sources=("oracle_python.py", "chain_python.py"),
        needs=(),
        steps=lambda out: [],
        argv=lambda out, ca, key: [sys.executable, str(SRC_DIR / "chain_python.py")],
    ),
    "node-chain": _Recipe(
        sources=("chain_node.js",),
        needs=(("node", "nodejs"),),
        steps=lambda out: [],
        argv=lambda out, ca, key: ["node", str(SRC_DIR / "chain_node.js")],
    ),
    # real client programs against each served chain: GnuTLS's own client (the library's API:
    # gnutls-chain), msmtp, mutt and NeoMutt (GnuTLS mail clients that pass no purpose)
    "gnutls-cli-chain": _program_recipe("gnutls-cli", "gnutls-bin", "scripts/deps/gnutls-cli.sh"),
    "msmtp-chain": _program_recipe("msmtp", "msmtp", "scripts/deps/clients.sh"),
    "mutt-chain": _program_recipe("mutt", "mutt", "scripts/deps/clients.sh"),
    "neomutt-chain": _program_recipe("neomutt", "neomutt", "scripts/deps/clients.sh", by_name=True),
    # GIO + glib-networking's GnuTLS backend, as Evolution connects (the library, not Evolution)
    "gio-chain": _program_recipe("/usr/bin/python3", "python3-gi", "scripts/deps/gio.sh", name="gio", probe=_GIO_PROBE),
}


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Serialise builds of one oracle between processes (pytest-xdist, a dump running alongside)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _check_needs(name: str, recipe: _Recipe) -> None:
    for exe, package in recipe.needs:
        if shutil.which(exe) is None:
            raise OracleUnavailable(
                f"oracle {name!r} needs {exe!r}: apt-get install {package} ({recipe.deps})"
            )


def build(name: str) -> Path:
    """Build oracle `name` if its sources changed; return its output directory."""
    recipe = _RECIPES.get(name)
    if recipe is None:
        raise ValueError(f"unknown oracle {name!r}; known: {', '.join(ORACLES)}")
    _check_needs(name, recipe)
    out = BUILD_DIR / name
    with _locked(BUILD_DIR / f"{name}.lock"):
        steps = recipe.steps(out)
        digest = hashlib.sha256()
        for source in recipe.sources:
            digest.update(source.encode() + b"\0" + (SRC_DIR / source).read_bytes() + b"\0")
        digest.update(json.dumps(steps).encode())
        stamp = out / "stamp"
        if stamp.exists() and stamp.read_text() == digest.hexdigest():
            return out
        out.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **recipe.env(out)}
        for step in steps:
            proc = subprocess.run(step, capture_output=True, text=True, env=env, check=False)
            if proc.returncode != 0:
                raise OracleUnavailable(
                    f"building oracle {name!r} failed ({' '.join(step[:2])} ...): "
                    f"{(proc.stderr or proc.stdout).strip()[-2000:]}"
                )
        stamp.write_text(digest.hexdigest())
    return out


def unavailable_reason(name: str) -> str | None:
    """None when oracle `name` builds here, else why not (with the package to install)."""
    try:
        build(name)
    except OracleUnavailable as exc:
        return str(exc)
    return None


def available(name: str) -> bool:
    """True when oracle `name` can be built and run on this machine."""
    return unavailable_reason(name) is None


# --- Running ---------------------------------------------------------------------------------


def _trust_material() -> tuple[Path, Path]:
    """Write the CA and the shared leaf key where the handshake oracles read them.

    Written atomically on every run: they are derived from fixed keys, so a concurrent
    writer produces the same bytes, and a reader never sees half a file.
    """
    keys = BUILD_DIR / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    paths = []
    for filename, data in (("ca.pem", ca_pem()), ("leaf-key.pem", leaf_key_pem())):
        path = keys / filename
        tmp = keys / f".{filename}.{os.getpid()}.{threading.get_ident()}"  # oracles run in threads too
        tmp.write_bytes(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
        paths.append(path)
    return paths[0], paths[1]


def run_oracle(name: str, cases: Sequence[OracleCase], *, timeout: float = 900.0) -> dict[str, OracleVerdict]:
    """Judge every case with oracle `name` in one process; verdicts keyed by case id.

    Raises OracleUnavailable when the oracle cannot be built, OracleError when it does not
    answer every case exactly once.
    """
    requests = [{"id": case.id, "cert": _b64(case.der), "host": case.host} for case in cases]
    return _judge(name, requests, timeout=timeout)


@dataclass(frozen=True)
class ChainCase:
    """A whole-certificate question: does the client connect to a server sending `chain`
    (leaf first) for the typed name `host` ("" = the chain only), trusting `roots`, at `time`?
    `key` (the leaf's PEM private key, when known) lets the handshake oracles serve the chain."""

    id: str
    chain: tuple[bytes, ...]
    roots: tuple[bytes, ...]
    time: int
    host: str
    key: bytes = b""


# mozilla::pkix (test_limbo/thunderbird); GnuTLS, the JDK and Go: tests/differential/test_chains_vs_real.py
CHAIN_ORACLES: Final[tuple[str, ...]] = (
    "thunderbird", "gnutls-chain", "gnutls-chain-nopurpose", "gnutls-cli-chain", "msmtp-chain", "mutt-chain", "neomutt-chain",
    "gio-chain", "java-chain", "java-tls-chain", "go-chain", "python-chain", "node-chain",
)


def run_chain_oracle(name: str, cases: Sequence[ChainCase], *, timeout: float = 900.0,
                     env: Mapping[str, str] | None = None) -> dict[str, OracleVerdict]:
    """Judge whole chains with oracle `name` (one of CHAIN_ORACLES) in one process; `env`: more
    environment for it (a PATH that finds another JDK first)."""
    if name not in CHAIN_ORACLES:
        raise ValueError(f"oracle {name!r} judges no chains; chain oracles: {', '.join(CHAIN_ORACLES)}")
    return _judge(name, [chain_request(case) for case in cases], timeout=timeout, env=env)


def chain_request(case: ChainCase) -> dict[str, str]:
    """One case as the chain oracles read it (a line of their JSON input)."""
    return {
        "id": case.id,
        "mode": "chain",
        "cert": _b64(case.chain[0]),
        "chain": " ".join(map(_b64, case.chain[1:])),
        "roots": " ".join(map(_b64, case.roots)),
        "time": str(case.time),
        "host": case.host,
        **({"key": _b64(case.key)} if case.key else {}),
    }


def _b64(der: bytes) -> str:
    return base64.b64encode(der).decode("ascii")


def _judge(name: str, requests: Sequence[dict[str, str]], *, timeout: float,
           env: Mapping[str, str] | None = None) -> dict[str, OracleVerdict]:
    """Send `requests` (JSON objects with an "id") to oracle `name`; one verdict per id."""
    out = build(name)
    recipe = _RECIPES[name]
    ca, key = _trust_material()
    ids = [request["id"] for request in requests]
    if len(set(ids)) != len(ids):
        raise ValueError("case ids must be unique")
    payload = "".join(json.dumps(request, ensure_ascii=False) + "\n" for request in requests).encode("utf-8")
    env = {**os.environ, **recipe.env(out), **(env or {})}
    try:
        proc = subprocess.run(
            recipe.argv(out, ca, key),
            input=payload,
            capture_output=True,
            timeout=timeout,
            env=env,
            check=False,
        )
    except FileNotFoundError as exc:
        raise OracleUnavailable(f"oracle {name!r} cannot start: {exc}") from exc
    if proc.returncode != 0:
        raise OracleError(
            f"oracle {name!r} exited with {proc.returncode}: "
            f"{proc.stderr.decode('utf-8', 'replace').strip()[-2000:]}"
        )
    known = set(ids)
    verdicts: dict[str, OracleVerdict] = {}
    for line in proc.stdout.decode("utf-8").splitlines():
        if not line.strip():
            continue
        answer = json.loads(line)
        case_id = answer.get("id")
        if case_id not in known:
            raise OracleError(f"oracle {name!r} answered an unknown case: {line[:300]}")
        if case_id in verdicts:
            raise OracleError(f"oracle {name!r} answered case {case_id!r} twice")
        verdicts[case_id] = OracleVerdict(bool(answer["accepted"]), str(answer["detail"]))
    missing = [case_id for case_id in ids if case_id not in verdicts]
    if missing:
        raise OracleError(
            f"oracle {name!r} gave no verdict for {len(missing)} case(s), first {missing[0]!r}; "
            f"stderr: {proc.stderr.decode('utf-8', 'replace').strip()[-1000:]}"
        )
    return verdicts
