"""mailcert's own directories: XDG for users, /etc and /var/lib for root (not the inventory)."""

from __future__ import annotations

from pathlib import Path

from mailcert.paths import mailcert_dir


def test_user_dirs_follow_xdg() -> None:
    env = {"HOME": "/home/ann", "XDG_STATE_HOME": "/x/state"}
    assert mailcert_dir("config", env=env, euid=1000) == Path("/home/ann/.config/mailcert")
    assert mailcert_dir("state", env=env, euid=1000) == Path("/x/state/mailcert")
    assert mailcert_dir("data", env=env, euid=1000) == Path("/home/ann/.local/share/mailcert")


def test_relative_xdg_values_are_ignored() -> None:
    env = {"HOME": "/home/ann", "XDG_CONFIG_HOME": "relative/dir"}
    assert mailcert_dir("config", env=env, euid=1000) == Path("/home/ann/.config/mailcert")


def test_root_uses_system_places_but_keeps_the_inventory_in_xdg() -> None:
    env = {"HOME": "/root", "XDG_DATA_HOME": "/srv/data"}
    assert mailcert_dir("config", env=env, euid=0) == Path("/etc/mailcert")
    assert mailcert_dir("state", env=env, euid=0) == Path("/var/lib/mailcert")
    assert mailcert_dir("data", env=env, euid=0) == Path("/srv/data/mailcert")
