#!/bin/sh
# Builds dist/ha-router_<version>_all.ipk without an OpenWrt SDK, byte for byte the way OpenWrt's
# include/package-ipkg.mk and scripts/ipkg-build do: a gzip'd GNU tar (not ar) holding
# ./debian-binary, ./data.tar.gz and ./control.tar.gz in that order; names sorted, owner 0:0,
# mtime SOURCE_DATE_EPOCH (default: the last commit's time), gzip -n. The package metadata
# (DEPENDS, description, conffiles, maintainer scripts) is read from openwrt/ha-router/Makefile,
# so the feed package and this one cannot drift apart.
# It also writes the release tarball the feed Makefile builds from (PKG_SOURCE):
# ha-router-<version>.tar.gz with ha-router-<version>/{dist/ha-router.js,files/,package.json}.
#
#   sh scripts/build-ipk.sh <version> [output-dir]      (make ipk passes package.json's version)
set -eu
export LC_ALL=C

version="${1:-}"
[ -n "$version" ] || {
	echo "usage: sh scripts/build-ipk.sh <version> [output-dir]" >&2
	exit 2
}
cd "$(dirname "$0")/.."
out_dir="${2:-dist}"
mk=openwrt/ha-router/Makefile
bundle="${IPK_BUNDLE:-dist/ha-router.js}" # IPK_BUNDLE: tests pin one copy of the bundle
pkg=ha-router

die() {
	echo "build-ipk: $*" >&2
	exit 1
}

[ -f "$bundle" ] || die "$bundle is missing: run 'make build' first"
[ -f "$mk" ] || die "$mk is missing"
case "$version" in
*[!A-Za-z0-9.+~-]*) die "invalid version '$version'" ;;
esac

# One variable (NAME:=value) or one define block (define NAME ... endef) of the feed Makefile.
mk_var() {
	sed -n "s/^[[:space:]]*$1:=//p" "$mk" | head -n 1
}
mk_block() {
	awk -v name="define $1" '$0 == name { on = 1; next } on && $0 == "endef" { exit } on { print }' "$mk" |
		sed 's/\$\$/$/g'
}

mk_version="$(mk_var PKG_VERSION)"
[ "$mk_version" = "$version" ] || die "$mk has PKG_VERSION '$mk_version' but the version asked for is '$version'"

# DEPENDS:=+a +b -> "libc, a, b" (package-ipkg.mk strips '+' and prepends libc for every package).
depends="libc"
for d in $(mk_var DEPENDS); do
	case "$d" in
	+*) depends="$depends, ${d#+}" ;;
	*) die "unsupported DEPENDS entry '$d' in $mk" ;;
	esac
done

if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
	epoch="$SOURCE_DATE_EPOCH"
else
	epoch="$(git log -1 --format=%ct 2>/dev/null || echo 0)"
fi
case "$epoch" in
'' | *[!0-9]*) die "SOURCE_DATE_EPOCH must be a number of seconds, got '$epoch'" ;;
esac

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT INT TERM
data="$tmp/data"
ctrl="$tmp/control"
outer="$tmp/outer"
mkdir -p "$data" "$ctrl" "$outer"

# data: the router filesystem from files/ plus the bundle as /usr/bin/ha-router.
if [ -d files ]; then
	odd="$(find files ! -type f ! -type d)"
	[ -z "$odd" ] || die "files/ may hold only regular files and directories: $odd"
	cp -R files/. "$data/"
fi
mkdir -p "$data/usr/bin"
cp "$bundle" "$data/usr/bin/$pkg"
chmod 0755 "$data/usr/bin/$pkg"
find "$data" -type d -exec chmod 0755 {} +
find "$data" -type f | while IFS= read -r f; do
	case "${f#"$data"}" in
	/etc/config/*) chmod 0600 "$f" ;; # INSTALL_CONF
	*) if [ -x "$f" ]; then chmod 0755 "$f"; else chmod 0644 "$f"; fi ;; # INSTALL_BIN / INSTALL_DATA
	esac
done

tar_c() {
	tar --format=gnu --numeric-owner --owner=0 --group=0 --sort=name --mtime="@$epoch" "$@"
}

(cd "$data" && tar_c -cpf - .) | gzip -n >"$outer/data.tar.gz"
installed_size="$(gzip -dc "$outer/data.tar.gz" | wc -c | tr -d ' ')"

# control: the fields package-ipkg.mk emits, in its order; empty ones omitted.
{
	echo "Package: $pkg"
	echo "Version: $version"
	echo "Depends: $depends"
	echo "Source: feeds/ha_router/$pkg"
	echo "SourceName: $pkg"
	echo "License: $(mk_var PKG_LICENSE)"
	echo "Section: $(mk_var SECTION)"
	echo "SourceDateEpoch: $epoch"
	echo "URL: $(mk_var URL)"
	echo "Maintainer: $(mk_var PKG_MAINTAINER)"
	echo "Architecture: all"
	echo "Installed-Size: $installed_size"
	printf 'Description: '
	mk_block "Package/$pkg/description" | sed -e 's,^[[:space:]]*, ,'
} >"$ctrl/control"

# conffiles: like ipkg-build, only entries that are regular files in the package, sorted.
mk_block "Package/$pkg/conffiles" | while IFS= read -r cf; do
	[ -n "$cf" ] && [ -f "$data$cf" ] && printf '%s\n' "$cf"
done | sort >"$ctrl/conffiles"
[ -s "$ctrl/conffiles" ] || rm -f "$ctrl/conffiles"

# Maintainer scripts: the generated wrappers, with the package's own bodies as *-pkg.
cat >"$ctrl/postinst" <<'SCRIPT'
#!/bin/sh
[ "${IPKG_NO_SCRIPT}" = "1" ] && exit 0
[ -s ${IPKG_INSTROOT}/lib/functions.sh ] || exit 0
. ${IPKG_INSTROOT}/lib/functions.sh
default_postinst $0 $@
SCRIPT
cat >"$ctrl/prerm" <<'SCRIPT'
#!/bin/sh
[ -s ${IPKG_INSTROOT}/lib/functions.sh ] || exit 0
. ${IPKG_INSTROOT}/lib/functions.sh
default_prerm $0 $@
SCRIPT
for s in postinst prerm; do
	body="$(mk_block "Package/$pkg/$s")"
	[ -z "$body" ] || printf '%s\n' "$body" >"$ctrl/$s-pkg"
done
chmod 0755 "$ctrl"
chmod 0644 "$ctrl/control"
[ ! -f "$ctrl/conffiles" ] || chmod 0644 "$ctrl/conffiles"
for s in postinst prerm postinst-pkg prerm-pkg; do
	[ ! -f "$ctrl/$s" ] || chmod 0755 "$ctrl/$s"
done
(cd "$ctrl" && tar_c -cf - .) | gzip -n >"$outer/control.tar.gz"

echo "2.0" >"$outer/debian-binary"
chmod 0644 "$outer/debian-binary" "$outer/data.tar.gz" "$outer/control.tar.gz"
mkdir -p "$out_dir"
ipk="$out_dir/${pkg}_${version}_all.ipk"
(cd "$outer" && tar_c -cf - ./debian-binary ./data.tar.gz ./control.tar.gz) | gzip -n >"$tmp/ipk"
mv "$tmp/ipk" "$ipk"
# Release tarball: what $(PKG_BUILD_DIR) holds for the feed Makefile's install section.
src="$tmp/src/$pkg-$version"
mkdir -p "$src/dist"
cp "$bundle" "$src/dist/ha-router.js"
cp package.json "$src/package.json"
if [ -d files ]; then
	cp -R files "$src/files"
fi
find "$tmp/src" -type d -exec chmod 0755 {} +
find "$tmp/src" -type f | while IFS= read -r f; do
	if [ -x "$f" ]; then chmod 0755 "$f"; else chmod 0644 "$f"; fi
done
chmod 0755 "$src/dist/ha-router.js"
tarball="$out_dir/$pkg-$version.tar.gz"
(cd "$tmp/src" && tar_c -cf - "$pkg-$version") | gzip -n >"$tmp/tarball"
mv "$tmp/tarball" "$tarball"

echo "build-ipk: $ipk ($(wc -c <"$ipk" | tr -d ' ') bytes, Installed-Size $installed_size), $tarball"
