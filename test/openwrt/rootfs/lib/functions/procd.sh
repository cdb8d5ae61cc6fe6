# Stand-in for OpenWrt's procd.sh (our own code; contract: procd.sh and procd's service.c).
# An init script's start_service describes instances; procd_close_service sends the whole
# service to procd with ubus `service set`. A start that opens no instance registers the
# service with none, so procd starts nothing (`service list` answers {"<name>":{}}).

# JSON string of one word.
_procd_json_str() {
	printf '"%s"' "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"
}

# JSON array of the words "$@".
_procd_json_arr() {
	out='['
	sep=''
	for w in "$@"; do
		out="$out$sep$(_procd_json_str "$w")"
		sep=','
	done
	printf '%s]' "$out"
}

_procd_call() {
	ubus call service "$1" "$2"
}

procd_open_service() {
	_procd_service="$1"
	_procd_script="$2"
	_procd_instances=''
	_procd_triggers=''
	_procd_count=0
}

procd_open_instance() {
	_procd_count=$((_procd_count + 1))
	_procd_inst="${1:-instance$_procd_count}"
	_procd_cmd=''
	_procd_respawn=''
	_procd_signal=''
}

procd_set_param() {
	p="$1"
	shift
	case "$p" in
	command) _procd_cmd="$(_procd_json_arr "$@")" ;;
	respawn) _procd_respawn="$(_procd_json_arr "${1:-3600}" "${2:-5}" "${3:-5}")" ;;
	reload_signal) _procd_signal="$1" ;;
	*) ;; # env, file, pidfile, stdout, ...: not modelled
	esac
}

procd_append_param() {
	p="$1"
	shift
	[ "$p" = command ] || return 0
	extra="$(_procd_json_arr "$@")"
	if [ -z "$_procd_cmd" ]; then
		_procd_cmd="$extra"
	else
		_procd_cmd="${_procd_cmd%]},${extra#[}"
	fi
}

procd_close_instance() {
	[ -n "$_procd_cmd" ] || return 0 # procd drops an instance without a command
	i="$(_procd_json_str "$_procd_inst"):{\"command\":$_procd_cmd"
	[ -z "$_procd_respawn" ] || i="$i,\"respawn\":$_procd_respawn"
	i="$i}"
	_procd_instances="${_procd_instances:+$_procd_instances,}$i"
}

# config.change for package $1.. runs `<script> reload` (procd's trigger, 1000 ms delay).
procd_add_reload_trigger() {
	for pkg in "$@"; do
		t="[\"config.change\",[\"if\",[\"eq\",\"package\",$(_procd_json_str "$pkg")],[\"run_script\",$(_procd_json_str "$_procd_script"),\"reload\"]],1000]"
		_procd_triggers="${_procd_triggers:+$_procd_triggers,}$t"
	done
}

# Interface and data triggers are not modelled (nothing here raises those events).
procd_add_interface_trigger() { return 0; }
procd_add_reload_interface_trigger() { return 0; }
procd_add_reload_data_trigger() { return 0; }

procd_close_service() {
	type service_triggers >/dev/null 2>&1 && service_triggers
	_procd_call set "{\"name\":$(_procd_json_str "$_procd_service"),\"script\":$(_procd_json_str "$_procd_script"),\"instances\":{$_procd_instances},\"triggers\":[$_procd_triggers]}" >/dev/null
}

_procd_signum() {
	case "${1:-HUP}" in
	HUP | SIGHUP | 1) echo 1 ;;
	INT | SIGINT | 2) echo 2 ;;
	KILL | SIGKILL | 9) echo 9 ;;
	USR1 | SIGUSR1 | 10) echo 10 ;;
	USR2 | SIGUSR2 | 12) echo 12 ;;
	TERM | SIGTERM | 15) echo 15 ;;
	*) echo "$1" ;;
	esac
}

# procd_send_signal <service> [instance|'*'] [signal]: no instance, no signal.
procd_send_signal() {
	args="\"name\":$(_procd_json_str "$1")"
	[ -z "$2" ] || [ "$2" = '*' ] || args="$args,\"instance\":$(_procd_json_str "$2")"
	args="$args,\"signal\":$(_procd_signum "$3")"
	_procd_call signal "{$args}" >/dev/null 2>&1
	return 0
}

procd_kill() {
	args="\"name\":$(_procd_json_str "$1")"
	[ -z "$2" ] || args="$args,\"instance\":$(_procd_json_str "$2")"
	_procd_call delete "{$args}" >/dev/null 2>&1
	return 0
}

procd_running() {
	_procd_call list "{\"name\":$(_procd_json_str "$1")}" | grep -q '"running":true'
}
