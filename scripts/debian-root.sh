#!/usr/bin/env bash
# Builds a fresh Debian 12 (bookworm) root file system in DIR for the package tests: minbase plus
# systemd, systemd-sysv, dbus and man-db, what a minimal cloud image or container base gives. Nothing
# else of the build host's: the test that boots it in systemd-nspawn sees the package's Depends, not
# the build host's /usr and /etc.
#
# The archive is the one the host's apt uses: its bookworm sources (URIs and Signed-By) are copied
# from /etc/apt, never a host written here, and so are its Check-Valid-Until/Check-Date options
# (a snapshot mirror's Release files are past their Valid-Until). The package lists are kept, so that
# `apt install ./keyrotd.deb` inside resolves Depends as an operator's apt would.
#
# Usage: scripts/debian-root.sh DIR. Idempotent: a DIR that is complete is left as it is. Needs root
# and mmdebstrap (scripts/install-deps.sh test installs it). Prints the seconds it took.
set -euo pipefail
dir=${1:?usage: scripts/debian-root.sh DIR}
[ -e "$dir/.keyrotd-root-complete" ] && { echo "$dir: already built" >&2; exit 0; }
[ "$(id -u)" -eq 0 ] || { echo "building a root file system needs root" >&2; exit 1; }
start=$(date +%s)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# deb822 stanzas and one-line entries of the host whose suite is bookworm or one of its pockets.
python3 - "$work/bookworm.sources" <<'EOF'
import glob, sys
stanzas = []
for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    for block in open(path).read().split("\n\n"):
        fields = {}
        for line in block.splitlines():
            if line.startswith("#") or ":" not in line or line[0].isspace():
                continue
            key, value = line.split(":", 1)
            fields[key.strip()] = value.strip()
        suites = [s for s in fields.get("Suites", "").split() if s == "bookworm" or s.startswith("bookworm-")]
        if fields.get("Enabled", "yes") != "no" and suites and "deb" in fields.get("Types", "").split():
            fields["Types"], fields["Suites"] = "deb", " ".join(suites)
            stanzas.append("\n".join(f"{k}: {v}" for k, v in fields.items()))
for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
    try:
        lines = open(path).read().splitlines()
    except FileNotFoundError:
        continue
    for line in lines:
        words = line.split("#", 1)[0].split()
        if len(words) < 4 or words[0] != "deb":
            continue
        options = {}
        if words[1].startswith("["):
            end = next(i for i, w in enumerate(words) if w.endswith("]"))
            for option in " ".join(words[1:end + 1]).strip("[]").split():
                key, _, value = option.partition("=")
                options[key] = value
            words = [words[0]] + words[end + 1:]
        uri, suite, components = words[1], words[2], words[3:]
        if suite == "bookworm" or suite.startswith("bookworm-"):
            stanza = f"Types: deb\nURIs: {uri}\nSuites: {suite}\nComponents: {' '.join(components)}"
            if "signed-by" in options:
                stanza += f"\nSigned-By: {options['signed-by']}"
            stanzas.append(stanza)
if not stanzas:
    sys.exit("the host's apt has no bookworm source to build a root from")
open(sys.argv[1], "w").write("\n\n".join(stanzas) + "\n")
EOF
options=()
for name in Acquire::Check-Valid-Until Acquire::Check-Date; do
    value=$(apt-config dump "$name" | sed -n "s/^$name \"\(.*\)\";$/\1/p")
    [ -n "$value" ] && options+=(--aptopt="$name \"$value\"")
done

rm -rf "$dir"
mkdir -p "$(dirname "$dir")"
mmdebstrap --mode=root --variant=minbase --include=systemd,systemd-sysv,dbus,man-db \
    --skip=cleanup/apt/lists "${options[@]}" bookworm "$dir" "$work/bookworm.sources" >"$work/log" 2>&1 \
    || { tail -20 "$work/log" >&2; exit 1; }
touch "$dir/.keyrotd-root-complete"
echo "$(($(date +%s) - start))"
