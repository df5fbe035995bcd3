"""contrib/icinga2 and contrib/nagios: checked by the monitoring systems' own config checks
(``icinga2 daemon -C``, ``nagios4 -v``) with a minimal configuration that uses every command,
a broken copy must fail the same check, and the Nagios command line runs as Nagios would run it."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factory import make_cert, pem
from tests.monitor.icinga import need_icinga2, need_program, parse_plugin_output

ROOT = Path(__file__).resolve().parents[2]
ICINGA_CONF = ROOT / "contrib" / "icinga2" / "mailcert.conf"
NAGIOS_CFG = ROOT / "contrib" / "nagios" / "mailcert.cfg"


def _need_nagios4() -> str:
    return need_program("nagios4", "nagios4-core")


def _icinga_check(tmp_path: Path, conf: Path) -> subprocess.CompletedProcess[str]:
    main = tmp_path / "icinga2.conf"
    main.write_text(
        f'const PluginDir = "{tmp_path}/plugins"\n'
        f'include "{conf}"\n'
        'object CheckCommand "alive" { command = [ "/bin/true" ] }\n'
        'object Host "mail" { check_command = "alive"; address = "127.0.0.1" }\n'
        'object Service "imaps" { host_name = "mail"; check_command = "mailcert"\n'
        '  vars.mailcert_target = "imaps://127.0.0.1:993"; vars.mailcert_name = [ "remote.contoso.com" ]\n'
        '  vars.mailcert_clients = [ "outlook2007", "thunderbird" ]; vars.mailcert_critical_days = 7\n'
        '  vars.mailcert_ocsp = true; vars.mailcert_crl = false }\n'
        'object Service "file" { host_name = "mail"; check_command = "mailcert-file"; vars.mailcert_file = "/etc/ssl/mail.pem" }\n'
    )
    # as root icinga2 drops to its own user, which cannot read pytest's private directories
    import grp
    import pwd

    env = {**os.environ, "ICINGA2_USER": pwd.getpwuid(os.getuid()).pw_name, "ICINGA2_GROUP": grp.getgrgid(os.getgid()).gr_name}
    return subprocess.run([need_icinga2(), "daemon", "-C", "-c", str(main)], capture_output=True, text=True, timeout=120, env=env)


def test_icinga2_accepts_the_check_commands(tmp_path: Path) -> None:
    proc = _icinga_check(tmp_path, ICINGA_CONF)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "Instantiated 2 Services" in proc.stdout and "Finished validating" in proc.stdout


def test_icinga2_check_fails_on_a_broken_copy(tmp_path: Path) -> None:
    broken = tmp_path / "broken.conf"
    broken.write_text(ICINGA_CONF.read_text().replace("skip_key = true", "skip_kee = true", 1))
    assert _icinga_check(tmp_path, broken).returncode != 0


_OBJECTS = """
define timeperiod {
    timeperiod_name always
    alias always
    monday 00:00-24:00
}
define command {
    command_name alive
    command_line /bin/true
}
define contact {
    contact_name admin
    host_notification_period always
    service_notification_period always
    host_notification_options n
    service_notification_options n
    host_notification_commands alive
    service_notification_commands alive
}
define host {
    host_name mail
    address 127.0.0.1
    check_command alive
    max_check_attempts 1
    check_period always
    contacts admin
    notification_period always
}
"""
_SERVICE = """
define service {{
    host_name mail
    service_description {name}
    check_command {command}
    max_check_attempts 1
    check_interval 5
    retry_interval 1
    check_period always
    contacts admin
    notification_period always
}}
"""
_COMMANDS = {
    "check_mailcert!imaps://$HOSTADDRESS$!remote.contoso.com!30!7",
    "check_mailcert_args!imaps://$HOSTADDRESS$!--client outlook2007",
    "check_mailcert_file!/etc/ssl/mail.pem!remote.contoso.com!30!7",
}


def _nagios_verify(tmp_path: Path, cfg: Path) -> subprocess.CompletedProcess[str]:
    objects = tmp_path / "objects.cfg"
    objects.write_text(_OBJECTS + "".join(_SERVICE.format(name=f"s{i}", command=c) for i, c in enumerate(sorted(_COMMANDS))))
    (tmp_path / "resource.cfg").write_text(f"$USER1$={tmp_path}/plugins\n")
    main = tmp_path / "nagios.cfg"
    main.write_text(
        "".join(f"{k}={tmp_path}/{v}\n" for k, v in {
            "cfg_file": cfg.name if cfg.parent == tmp_path else "", "resource_file": "resource.cfg",
            "log_file": "nagios.log", "status_file": "status.dat", "temp_file": "nagios.tmp", "temp_path": "",
            "lock_file": "nagios.lock", "check_result_path": "", "object_cache_file": "objects.cache",
            "precached_object_file": "objects.precache", "state_retention_file": "retention.dat", "command_file": "nagios.cmd",
        }.items()).replace(f"cfg_file={tmp_path}/\n", f"cfg_file={cfg}\n")
        + f"cfg_file={objects}\nnagios_user=root\nnagios_group=root\n"
    )
    return subprocess.run([_need_nagios4(), "-v", str(main)], capture_output=True, text=True, timeout=120)


def test_nagios_accepts_the_command_definitions(tmp_path: Path) -> None:
    proc = _nagios_verify(tmp_path, NAGIOS_CFG)
    assert proc.returncode == 0 and "Total Errors:   0" in proc.stdout, proc.stdout[-3000:]


def test_nagios_check_fails_on_a_broken_copy(tmp_path: Path) -> None:
    broken = tmp_path / "broken.cfg"
    broken.write_text(NAGIOS_CFG.read_text().replace("command_name    check_mailcert_file", "command_nme    check_mailcert_file"))
    assert _nagios_verify(tmp_path, broken).returncode != 0


def test_nagios_file_command_line_runs_as_nagios_runs_it(tmp_path: Path) -> None:
    """$USER1$ and $ARGn$ filled in, run through /bin/sh like Nagios does: one plugin line that
    Icinga2's perfdata parser reads, and the exit status is the verdict (2: within 7 days)."""
    text = NAGIOS_CFG.read_text()
    line = re.search(r"command_name\s+check_mailcert_file\s*\n\s*command_line\s+(.*)\n", text)
    assert line
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    wrapper = plugins / "mailcert"
    wrapper.write_text(f"#!/bin/sh\nexec {sys.executable} -m mailcert \"$@\"\n")
    wrapper.chmod(0o755)
    cert = tmp_path / "mail.pem"
    now = dt.datetime.now(dt.timezone.utc)
    cert.write_bytes(pem(make_cert(("DNS:remote.contoso.com",), cn=("remote.contoso.com",), days=(-100, 5), now=now)))
    macros = {"$USER1$": str(plugins), "$ARG1$": str(cert), "$ARG2$": "remote.contoso.com", "$ARG3$": "30", "$ARG4$": "7"}
    command = line.group(1)
    for k, v in macros.items():
        command = command.replace(k, v)
    proc = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2, proc.stderr
    summary, items = parse_plugin_output(proc.stdout)
    assert summary.startswith(f"MAILCERT CRITICAL - {cert} CN=remote.contoso.com") and "expiring-critical" in summary
    assert (items[0]["label"], items[0]["warn"], items[0]["crit"]) == ("days_left", 30, 7)


def _options_of(command: str) -> set[str]:
    from mailcert.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.choices and command in a.choices)  # type: ignore[operator]
    return {o for a in sub.choices[command]._actions for o in a.option_strings}  # type: ignore[index]


def test_contrib_options_exist_in_the_parser() -> None:
    """A renamed flag must not leave the definitions behind."""
    blocks = re.split(r'object CheckCommand "', ICINGA_CONF.read_text())[1:]
    seen = 0
    for block in blocks:
        command = re.search(r'PluginDir \+ "/mailcert", "(\w+)"', block)
        assert command
        for flag in re.findall(r'"(--[a-z-]+)" = \{', block):
            assert flag in _options_of(command.group(1)), (command.group(1), flag)
            seen += 1
    for command, flags in re.findall(r"\$USER1\$/mailcert (\w+) (.*)", NAGIOS_CFG.read_text()):
        for flag in re.findall(r"(--[a-z-]+)", flags):
            assert flag in _options_of(command), (command, flag)
            seen += 1
    assert seen >= 15
