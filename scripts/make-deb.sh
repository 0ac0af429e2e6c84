#!/usr/bin/env bash
# Builds keyrotd_<version>_<arch>.deb with dpkg-deb from a built keyrotd: the binary (stripped), the
# unit and reload templates, sysusers, tmpfiles, the catalog, the proxy-only drop-in, the manuals,
# completions and /etc/keyrotd/keyrotd.toml as a conffile, with packaging/debian's maintainer scripts.
#
# KEYROTD_BIN picks the binary (default the release build, which links the Swift runtime statically);
# KEYROTD_DEB_VERSION overrides the version (default: what `keyrotd --version` prints);
# KEYROTD_DEB_DIR is where the package is written (default .build/deb); KEYROTD_DEB_COMPRESSION and
# KEYROTD_DEB_LEVEL are dpkg-deb's -Z and -z (default xz, 6; the tests use gzip, 1). Prints the
# package's path.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${KEYROTD_BIN:-.build/release/keyrotd}
[ -x "$BIN" ] || { echo "no keyrotd binary at $BIN; run: make release" >&2; exit 1; }
VERSION=${KEYROTD_DEB_VERSION:-$("$BIN" --version)}
OUT=${KEYROTD_DEB_DIR:-.build/deb}
ARCH=$(dpkg --print-architecture)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/keyrotd_${VERSION}_${ARCH}"
# The files, laid out as scripts/install.sh lays them out under /usr (keyrotd-emulator, the demo's,
# is not part of the daemon's package).
DESTDIR="$root" PREFIX=/usr KEYROTD_BIN="$BIN" scripts/install.sh 2>/dev/null
rm -f "$root/usr/bin/keyrotd-emulator" "$root/usr/share/man/man1/keyrotd-emulator.1"
rmdir --ignore-fail-on-non-empty "$root/usr/share/man/man1"
# Debian's zsh reads vendor completions from here.
mkdir -p "$root/usr/share/zsh/vendor-completions"
mv "$root/usr/share/zsh/site-functions/_keyrotd" "$root/usr/share/zsh/vendor-completions/_keyrotd"
rmdir "$root/usr/share/zsh/site-functions"
# A completion is sourced, not run: no interpreter line.
sed -i '1{/^#!/d}' "$root/usr/share/bash-completion/completions/keyrotd"
# AsyncHTTPClient links swift-nio-extras, which carries its own zlib (symbols prefixed, never
# exported); no build option leaves it out.
install -D -m 0644 packaging/debian/lintian-overrides "$root/usr/share/lintian/overrides/keyrotd"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/keyrotd"
gzip -9n "$root"/usr/share/man/man*/*
install -D -m 0644 packaging/debian/copyright "$root/usr/share/doc/keyrotd/copyright"
sed -e "s/@VERSION@/$VERSION/" -e "s/@DATE@/$(date -R -d "@$(git log -1 --format=%ct 2>/dev/null || date +%s)")/" \
    packaging/debian/changelog | gzip -9n > "$root/usr/share/doc/keyrotd/changelog.gz"
chmod 0644 "$root/usr/share/doc/keyrotd/changelog.gz"

# Depends: the shared libraries the binary needs, as dpkg-shlibdeps finds their packages. A debug
# build's Swift libraries live in the toolchain, which no package provides (tests only).
mkdir -p "$work/debian"
printf 'Source: keyrotd\n\nPackage: keyrotd\nArchitecture: any\n' > "$work/debian/control"
depends=$(cd "$work" && dpkg-shlibdeps -O --ignore-missing-info -e "$root/usr/bin/keyrotd" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "dpkg-shlibdeps found no dependencies of $BIN" >&2; exit 1; }
# Packed relative relocations (the release link) need glibc 2.36, which libc6's symbols file does not say.
if readelf -d "$root/usr/bin/keyrotd" | grep -q '(RELR)'; then
    depends=$(echo "$depends" | sed -E 's/libc6 \(>= [0-9.]+\)/libc6 (>= 2.36)/')
fi

install -d -m 0755 "$root/DEBIAN"
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@DEPENDS@/$depends/" \
    -e "s/@SIZE@/$(du -sk --exclude=DEBIAN "$root" | cut -f1)/" packaging/debian/control > "$root/DEBIAN/control"
install -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm "$root/DEBIAN/"
echo /etc/keyrotd/keyrotd.toml > "$root/DEBIAN/conffiles"
(cd "$root" && find usr -type f -exec md5sum {} + | sort -k2) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"

mkdir -p "$OUT"
deb="$OUT/keyrotd_${VERSION}_${ARCH}.deb"
dpkg-deb --root-owner-group -Z"${KEYROTD_DEB_COMPRESSION:-xz}" -z"${KEYROTD_DEB_LEVEL:-6}" --build "$root" "$deb" >/dev/null
echo "$deb"
