#!/usr/bin/env bash
# Installs the Debian packages keyrotd builds and tests with (libsystemd for the journal and
# sd_notify, systemd-container for the nspawn tests, man-db and groff to check that the manual
# renders); with `test`, also lintian, which checks the Debian package, and mmdebstrap, which builds
# the fresh Debian root the package is tested on. Idempotent; needs root only
# when something is missing.
set -euo pipefail
packages=(libsystemd-dev pkg-config systemd-container man-db groff-base)
if [ "${1:-}" = test ]; then packages+=(lintian mmdebstrap); fi
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages: ${missing[*]}; run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
echo "installing ${missing[*]}" >&2
DEBIAN_FRONTEND=noninteractive apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
