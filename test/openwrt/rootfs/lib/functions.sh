# Stand-in for the parts of OpenWrt's /lib/functions.sh that init scripts and opkg control
# scripts use here (our own code). The root is $IPKG_INSTROOT, else $MINI_ROOT (lib/mini-openwrt.sh).

# default_postinst / default_prerm: what opkg's generated postinst/prerm hand over to
# (contract: base-files default_postinst/default_prerm): source the package's own *-pkg body,
# then enable+start (install) or stop+disable (removal) every init script the package ships.
# $1 is the control script's path: <info dir>/<pkg>.postinst; the file list is <pkg>.list.
_mini_pkg_initscripts() {
	sed -n 's,^/etc/init.d/,,p' "${1%.*}.list" 2>/dev/null
}

_mini_rc() {
	sh "${IPKG_INSTROOT:-$MINI_ROOT}/etc/rc.common" "${IPKG_INSTROOT:-$MINI_ROOT}/etc/init.d/$1" "$2"
}

default_postinst() {
	ret=0
	if [ -f "$1-pkg" ]; then
		( . "$1-pkg" ) || ret=$?
	fi
	for s in $(_mini_pkg_initscripts "$1"); do
		[ "$PKG_UPGRADE" = 1 ] || _mini_rc "$s" enable
		_mini_rc "$s" start
	done
	return $ret
}

default_prerm() {
	ret=0
	if [ -f "$1-pkg" ]; then
		( . "$1-pkg" ) || ret=$?
	fi
	for s in $(_mini_pkg_initscripts "$1"); do
		[ "$PKG_UPGRADE" = 1 ] || _mini_rc "$s" disable
		_mini_rc "$s" stop
	done
	return $ret
}
