#!/bin/sh
# Mosquitto dynamic security for a Loa fleet (deploy/mosquitto/README.md).
#
#   loa-dynsec-init.sh file <dynamic-security.json> [admin-username]
#       Before Mosquitto's first start with the plugin: creates the plugin's file with an administrator account for
#       people (password from $LOA_DYNSEC_ADMIN_PASSWORD, else asked), and the default ACL access Loa needs.
#
#   loa-dynsec-init.sh server [mosquitto_ctrl connection options: -h host -p port --cafile …]
#       Mosquitto running: creates the role `loa-server` and the account the Loa instances log in with
#       ($LOA_MQTT_USERNAME, default loa-server; password $LOA_MQTT_PASSWORD), logged in as the administrator
#       ($LOA_DYNSEC_ADMIN_USER, default admin; $LOA_DYNSEC_ADMIN_PASSWORD). Safe to run again (it sets the password
#       again and adds what is missing).
#
# The Loa instances then keep everything else up to date themselves: the shared device role, one role per area, and
# one account per device.
set -eu

die() {
	echo "loa-dynsec-init: $*" >&2
	exit 1
}

case "${1:-}" in
file)
	[ $# -ge 2 ] || die "usage: $0 file <dynamic-security.json> [admin-username]"
	file=$2
	admin=${3:-admin}
	[ ! -e "$file" ] || die "$file exists: the plugin's accounts are in it (move it away to start afresh)"
	if [ -n "${LOA_DYNSEC_ADMIN_PASSWORD:-}" ]; then
		mosquitto_ctrl dynsec init "$file" "$admin" "$LOA_DYNSEC_ADMIN_PASSWORD" >/dev/null
	else
		mosquitto_ctrl dynsec init "$file" "$admin"
	fi
	# What a client receives is decided by its roles or, for a device's own topics, by loa.acl; the plugin's default
	# must then be "deny", not init's "allow" (which would let a device read what it managed to subscribe to).
	# Edited in the file just made because Mosquitto 2.0.11's `mosquitto_ctrl dynsec setDefaultACLAccess` does not
	# work (fixed in 2.0.12); the Loa instances check it at every start anyway.
	sed -i 's/"publishClientReceive":\([[:space:]]*\)true/"publishClientReceive":\1false/' "$file"
	grep -q '"publishClientReceive":[[:space:]]*false' "$file" || die "could not set the default publishClientReceive to deny in $file"
	chmod 0600 "$file"
	if id mosquitto >/dev/null 2>&1; then chown mosquitto: "$file"; fi
	echo "created $file with the administrator $admin; start Mosquitto, then: $0 server [-h host -p port]"
	;;
server)
	shift
	admin=${LOA_DYNSEC_ADMIN_USER:-admin}
	[ -n "${LOA_DYNSEC_ADMIN_PASSWORD:-}" ] || die "set LOA_DYNSEC_ADMIN_PASSWORD (the administrator's password)"
	[ -n "${LOA_MQTT_PASSWORD:-}" ] || die "set LOA_MQTT_PASSWORD (the Loa instances' password, as in their LOA_MQTT_PASSWORD)"
	server=${LOA_MQTT_USERNAME:-loa-server}
	role=loa-server

	# mosquitto_ctrl exits 0 even when refused: read what it says. "already exists" is what a second run meets.
	ctrl() {
		out=$(mosquitto_ctrl "$@" 2>&1) || die "mosquitto_ctrl failed: $out"
		msg=$(printf '%s\n' "$out" | grep -v -e 'running mosquitto_ctrl without encryption' -e 'visible on the network' -e '^$' || true)
		case "$msg" in
		*"already exists"* | "") ;;
		*[Ee]rror*) die "$(printf '%s' "$msg" | tr '\n' ' ')" ;;
		esac
	}
	opts="$*"
	# mosquitto_ctrl takes passwords only as arguments: run this on the broker host (-h 127.0.0.1), where no one
	# else reads the process list.
	run() {
		# shellcheck disable=SC2086 # the connection options are separate words on purpose
		ctrl $opts -u "$admin" -P "$LOA_DYNSEC_ADMIN_PASSWORD" dynsec "$@"
	}

	run createRole "$role"
	# Everything Loa publishes and receives: timelines, acks, commands, alerts down; reports, status, telemetry up.
	run addRoleACL "$role" publishClientSend 'loa/#' allow
	run addRoleACL "$role" publishClientReceive 'loa/#' allow
	run addRoleACL "$role" subscribePattern 'loa/#' allow
	# Device channels are shared between the instances: $share/<LOA_MQTT_SHARE_GROUP>/loa/v1/d/+/<channel>.
	run addRoleACL "$role" subscribePattern '$share/+/loa/#' allow
	# The plugin's commands and their answers (devices' accounts, roles, reconciliation).
	run addRoleACL "$role" publishClientSend '$CONTROL/dynamic-security/#' allow
	run addRoleACL "$role" publishClientReceive '$CONTROL/dynamic-security/#' allow
	run addRoleACL "$role" subscribePattern '$CONTROL/dynamic-security/#' allow

	# Its client id changes with LOA_INSTANCE_ID (loa-server-<id>): not pinned.
	run createClient "$server" -p "$LOA_MQTT_PASSWORD"
	run setClientPassword "$server" "$LOA_MQTT_PASSWORD"
	# Adding a role the client already holds is an "Internal error" in 2.0.11: only when missing.
	run getClient "$server"
	case "$msg" in
	*"$role (priority"*) ;;
	*) run addClientRole "$server" "$role" 10 ;;
	esac
	echo "the Loa instances may log in as $server (LOA_MQTT_USERNAME=$server LOA_BROKER_ACCOUNTS=dynsec)"
	;;
*)
	die "usage: $0 file <dynamic-security.json> [admin-username] | $0 server [-h host -p port --cafile …]"
	;;
esac
