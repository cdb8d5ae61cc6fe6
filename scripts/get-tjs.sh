#!/bin/sh
# Provides a plain `tjs` (txiki.js 24.12) for tests and the demo: .cache/bin/tjs.
# The npm build of tjs needs glibc 2.38, so it runs through Debian trixie's loader
# (see ../shared/TESTBED.md). Everything is cached under .cache/ (git-ignored).
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
C=$ROOT/.cache
W=$C/bin/tjs
if [ -x "$W" ] && "$W" --version >/dev/null 2>&1; then exit 0; fi

mkdir -p "$C/bin" "$C/npm"
if [ ! -x "$C/npm/package/dist/linux-x64/tjs" ]; then
	(cd "$C/npm" && npm pack --silent txiki.js@0.1.13 >/dev/null && tar xzf txiki.js-0.1.13.tgz)
fi

D=$C/trixie
if [ ! -x "$D/root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" ]; then
	mkdir -p "$D/lists/partial" "$D/cache/archives/partial"
	URI=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
	[ -n "$URI" ] || URI=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list)
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $URI trixie main" >"$D/sources.list"
	set -- -o "Dir::Etc::sourcelist=$D/sources.list" -o Dir::Etc::sourceparts=/dev/null \
		-o "Dir::State::Lists=$D/lists" -o "Dir::Cache=$D/cache"
	apt-get "$@" -qq update
	(cd "$D" && apt-get "$@" -qq download libc6)
	dpkg -x "$D"/libc6_*.deb "$D/root"
fi

L=$D/root/usr/lib/x86_64-linux-gnu
cat >"$W" <<WRAP
#!/bin/sh
exec "$L/ld-linux-x86-64.so.2" --library-path "$L:/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu" "$C/npm/package/dist/linux-x64/tjs" "\$@"
WRAP
chmod 755 "$W"
"$W" --version
