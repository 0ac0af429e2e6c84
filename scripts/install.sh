#!/usr/bin/env bash
# Installs keyrotd: the binary, the systemd unit, sysusers and tmpfiles snippets, the journal catalog
# and (if none exists yet) the example configuration. Honours DESTDIR and PREFIX (default /usr/local).
# KEYROTD_BIN picks the binary (default: the release build); keyrotd-emulator, which `keyrotd demo`
# runs, is installed from beside it when it was built.
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
BIN=${KEYROTD_BIN:-.build/release/keyrotd}
[ -x "$BIN" ] || { echo "no keyrotd binary at $BIN; run: swift build -c release" >&2; exit 1; }

install -D -m 0755 "$BIN" "$DESTDIR$PREFIX/bin/keyrotd"
EMULATOR="$(dirname "$BIN")/keyrotd-emulator"
if [ -x "$EMULATOR" ]; then
    install -D -m 0755 "$EMULATOR" "$DESTDIR$PREFIX/bin/keyrotd-emulator"
else
    echo "note: no keyrotd-emulator beside $BIN; keyrotd demo needs it (swift build -c release --product keyrotd-emulator)" >&2
fi
unit=$(mktemp)
trap 'rm -f "$unit"' EXIT
sed "s|/usr/local/bin/keyrotd|$PREFIX/bin/keyrotd|g" systemd/keyrotd.service > "$unit"
install -D -m 0644 "$unit" "$DESTDIR$PREFIX/lib/systemd/system/keyrotd.service"
install -D -m 0644 "systemd/keyrotd-reload@.path" "$DESTDIR$PREFIX/lib/systemd/system/keyrotd-reload@.path"
install -D -m 0644 "systemd/keyrotd-reload@.service" "$DESTDIR$PREFIX/lib/systemd/system/keyrotd-reload@.service"
install -D -m 0644 systemd/keyrotd.sysusers "$DESTDIR$PREFIX/lib/sysusers.d/keyrotd.conf"
install -D -m 0644 systemd/keyrotd.tmpfiles "$DESTDIR$PREFIX/lib/tmpfiles.d/keyrotd.conf"
install -D -m 0644 systemd/keyrotd.catalog "$DESTDIR$PREFIX/lib/systemd/catalog/keyrotd.catalog"
install -D -m 0644 systemd/proxy-only-egress.conf "$DESTDIR$PREFIX/share/keyrotd/proxy-only-egress.conf"
install -D -m 0644 man/keyrotd.toml.5 "$DESTDIR$PREFIX/share/man/man5/keyrotd.toml.5"
install -D -m 0644 man/keyrotd.8 "$DESTDIR$PREFIX/share/man/man8/keyrotd.8"
install -D -m 0644 man/keyrotd-emulator.1 "$DESTDIR$PREFIX/share/man/man1/keyrotd-emulator.1"
# Shell completions, made by the argument parser from the binary's own commands and options.
completions=$(mktemp -d)
trap 'rm -f "$unit"; rm -rf "$completions"' EXIT
"$BIN" --generate-completion-script bash > "$completions/keyrotd"
"$BIN" --generate-completion-script zsh > "$completions/_keyrotd"
"$BIN" --generate-completion-script fish > "$completions/keyrotd.fish"
install -D -m 0644 "$completions/keyrotd" "$DESTDIR$PREFIX/share/bash-completion/completions/keyrotd"
install -D -m 0644 "$completions/_keyrotd" "$DESTDIR$PREFIX/share/zsh/site-functions/_keyrotd"
install -D -m 0644 "$completions/keyrotd.fish" "$DESTDIR$PREFIX/share/fish/vendor_completions.d/keyrotd.fish"
install -d -m 0755 "$DESTDIR/etc/keyrotd"
[ -e "$DESTDIR/etc/keyrotd/keyrotd.toml" ] || install -m 0644 config/keyrotd.toml "$DESTDIR/etc/keyrotd/keyrotd.toml"

# On the live system, create the user and directories and register the catalog and the unit.
if [ -z "$DESTDIR" ] && [ "$(id -u)" -eq 0 ]; then
    systemd-sysusers "$PREFIX/lib/sysusers.d/keyrotd.conf"
    systemd-tmpfiles --create "$PREFIX/lib/tmpfiles.d/keyrotd.conf"
    journalctl --update-catalog
    if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
    echo "installed; for a service principal with a secret put it in /etc/credstore/keyrotd-client-secret (mode 0600), edit /etc/keyrotd/keyrotd.toml, then: systemctl enable --now keyrotd"
fi
