#!/bin/sh
# Installs what the build, the tests and the demo need on a fresh Debian machine (as root):
# the real daemons and tools from Debian, the npm dev dependencies, and tjs 24.12.
set -eu
cd "$(dirname "$0")/.."

PKGS="keepalived conntrackd conntrack nftables dnsmasq-base udhcpc iproute2 ethtool tcpdump
	libcurl4 libffi8 time busybox ca-certificates iputils-ping shellcheck chromium"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
if [ -n "$missing" ]; then
	echo "deps: installing$missing"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# The Debian packages start their daemons on the host; the project runs its own copies in namespaces.
for s in keepalived conntrackd; do
	if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$s" 2>/dev/null; then
		systemctl stop "$s" || true
		systemctl disable "$s" >/dev/null 2>&1 || true
	fi
done

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
	npm ci --no-audit --no-fund --loglevel=error
fi

sh scripts/get-tjs.sh >/dev/null
