#!/usr/bin/env bash
# scripts/vendor-mozpkix.sh - regenerate tests/differential/oracles_src/mozpkix from Debian's nss
# source package (lib/mozpkix: mozilla::pkix, the certificate verifier of Firefox and Thunderbird).
#
#   bash scripts/vendor-mozpkix.sh [PATH/TO/nss_VERSION.dsc]
#
# With a .dsc (and its tarballs beside it) the package is unpacked with Debian's patches applied
# (dpkg-source -x).  Without one, as root: a deb-src entry for the suites of the machine's own
# Debian entry is added to a temporary file, `apt-get source --download-only nss` fetches the
# newest source of those suites, and the entry is removed again (apt's lists are refreshed
# after, so the machine's apt configuration is left as found, on failure too).
#
# Only what the harness compiles is kept: include/pkix/*.h (as include/mozpkix/, with
# cpputil/nss_scoped_ptrs.h, which pkixnss.cpp includes from there) and lib/*.cpp, NSS's COPYING (the
# MPL 2.0 text) and VERSION (the Debian version they come from).  Why vendored rather than
# fetched in CI: deterministic, and no 70 MB download on every fresh clone.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=tests/differential/oracles_src/mozpkix
work=$(mktemp -d)
src_list=/etc/apt/sources.list.d/mailcert-vendor-mozpkix-src.sources
cleanup() {
  if [[ -e $src_list ]]; then
    rm -f "$src_list"
    apt-get update -q -o DPkg::Lock::Timeout=600 </dev/null >/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

dsc=${1:-}
if [[ -z $dsc ]]; then
  [[ $(id -u) == 0 ]] || { echo "vendor-mozpkix: run as root, or pass a .dsc" >&2; exit 1; }
  [[ -r /etc/apt/sources.list.d/debian.sources ]] || {
    echo "vendor-mozpkix: no /etc/apt/sources.list.d/debian.sources to copy the suites from; pass a .dsc" >&2; exit 1; }
  # the same archive entries as the machine's "deb" ones, as deb-src
  sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources >"$src_list"
  apt-get update -q -o DPkg::Lock::Timeout=600 </dev/null >/dev/null
  (cd "$work" && apt-get source -q --download-only nss </dev/null >/dev/null)
  dsc=$(ls "$work"/nss_*.dsc)
fi
dsc=$(realpath "$dsc")
(cd "$work" && dpkg-source -q -x "$dsc" nss-src >/dev/null 2>&1)
version=$(sed -n 's/^Version: //p' "$dsc")
rm -rf "$dest"
mkdir -p "$dest/include/mozpkix" "$dest/lib"
# NSS installs these headers as <mozpkix/...> (lib/mozpkix/exports.gyp, cpputil/exports.gyp)
cp "$work"/nss-src/nss/lib/mozpkix/include/pkix/*.h "$work"/nss-src/nss/cpputil/nss_scoped_ptrs.h "$dest/include/mozpkix/"
cp "$work"/nss-src/nss/lib/mozpkix/lib/*.cpp "$dest/lib/"
cp "$work"/nss-src/nss/COPYING "$dest/COPYING"
echo "$version" >"$dest/VERSION"
echo "vendor-mozpkix: $dest now holds lib/mozpkix of Debian's nss $version" >&2
