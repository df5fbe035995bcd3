#!/bin/sh
# Install mailcert-renew.service and .timer with the full path of this machine's mailcert
# filled in for @MAILCERT@ (systemd needs an absolute path; pipx, a venv and a package each
# put mailcert somewhere else), check them with systemd-analyze, reload systemd.
#
#   sh contrib/systemd/install.sh [/path/to/mailcert]     default: `command -v mailcert`
#
# DESTDIR=DIR installs into DIR instead of /etc/systemd/system (and does not reload systemd).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mailcert=${1:-$(command -v mailcert || true)}
if [ -z "$mailcert" ]; then
  echo "install.sh: mailcert is not on PATH; give its full path: sh $0 /opt/mailcert/bin/mailcert" >&2
  exit 1
fi
case $mailcert in
  /*) ;;
  *) echo "install.sh: $mailcert: give the absolute path (systemd needs one)" >&2; exit 1 ;;
esac
case $mailcert in
  *'|'*|*'&'*|*'\'*|*' '*) echo "install.sh: $mailcert: a path with | & \\ or a space cannot go into a unit as is" >&2; exit 1 ;;
esac
if [ ! -x "$mailcert" ] || [ -d "$mailcert" ]; then
  echo "install.sh: $mailcert is not an executable file" >&2
  exit 1
fi
dest=${DESTDIR:-/etc/systemd/system}
mkdir -p "$dest"
for unit in mailcert-renew.service mailcert-renew.timer; do
  sed "s|@MAILCERT@|$mailcert|g" "$here/$unit" > "$dest/.$unit.tmp"
  chmod 0644 "$dest/.$unit.tmp"
  mv "$dest/.$unit.tmp" "$dest/$unit"
done
if command -v systemd-analyze >/dev/null 2>&1; then
  systemd-analyze verify "$dest/mailcert-renew.service" "$dest/mailcert-renew.timer"
fi
if [ -z "${DESTDIR:-}" ]; then
  systemctl daemon-reload
fi
echo "installed $dest/mailcert-renew.service and .timer (ExecStart=$mailcert ...); enable with: systemctl enable --now mailcert-renew.timer"
