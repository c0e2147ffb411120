#!/bin/sh
# notify.sh - log keepalived VRRP state changes (example for keepalived / keepalived-py).
#
# Install:  install -o root -g root -m 0755 notify.sh /etc/keepalived/notify.sh
#
# Called two ways by examples/notify/keepalived.conf:
#   notify.sh MASTER|BACKUP|FAULT                 from notify_master / notify_backup / notify_fault
#   notify.sh INSTANCE|GROUP NAME STATE PRIORITY  from the generic "notify" (keepalived adds these)
#
# The script only appends one line to a log file: it runs as root, so it takes no input from
# the network, never evaluates its arguments, and refuses anything it does not expect.

set -eu
umask 027

LOG=/var/log/keepalived-notify.log

# Keep only characters that are safe in a log line (names are free text in keepalived.conf).
clean() {
    printf '%s' "$1" | tr -cd 'A-Za-z0-9_.:@/-' | cut -c1-64
}

log() {
    printf '%s %s\n' "$(date '+%Y-%m-%dT%H:%M:%S%z')" "$*" >>"$LOG"
}

case "${1:-}" in
    MASTER | BACKUP | FAULT)
        log "state $1"
        ;;
    INSTANCE | GROUP)
        if [ "$#" -lt 3 ]; then
            log "error: $1 notification without name and state"
            exit 1
        fi
        kind=$1
        name=$(clean "$2")
        state=$(clean "$3")
        priority=$(clean "${4:-}")
        log "$kind $name is now $state (priority ${priority:-unknown})"
        ;;
    *)
        log "error: unexpected arguments: $(clean "${1:-}")"
        exit 1
        ;;
esac
exit 0
