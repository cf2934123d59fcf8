#!/usr/bin/env bash
# stop.sh DIR — stop the mail stack started by tests/mailstack/start.sh DIR. Only touches the two master
# processes recorded in DIR (checked against /proc before signalling) and their own
# process groups. Idempotent: exits 0 when nothing is running.
# usage: stop.sh DIR [all|dovecot|postfix]   (default all)
set -uo pipefail
DIR=${1:?usage: stop.sh DIR [all|dovecot|postfix]}
DIR=$(cd "$DIR" 2>/dev/null && pwd -P) || { echo "stop.sh: no such dir" >&2; exit 0; }

# field N (1 = state, 3 = pgrp) of /proc/PID/stat, after the "pid (comm) " prefix (no forks)
stat_field() {
  local line
  { read -r line < "/proc/$1/stat"; } 2>/dev/null || return 1
  set -- ${line##*") "} "$2"
  local n=${!#}
  echo "${!n}"
}

# alive PID: exists and is not a zombie (our daemons' parent is PID 1, which may reap late)
alive() { local s; s=$(stat_field "$1" 1) && [ "$s" != Z ]; }

# is_ours PID KIND: pid alive and really is this instance's master?
is_ours() {
  local pid=$1 kind=$2
  alive "$pid" || return 1
  case $kind in
    dovecot) tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF "$DIR/dovecot/dovecot.conf" ;;
    postfix) [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$DIR/postfix/spool" ] ;;  # master chdirs to its queue
  esac
}

# any live (non-zombie) process whose process group is $1?
group_alive() {
  local want=$1 f line
  for f in /proc/[0-9]*/stat; do
    { read -r line < "$f"; } 2>/dev/null || continue
    set -- ${line##*") "}
    [ "$3" = "$want" ] && [ "$1" != Z ] && return 0
  done
  return 1
}

stop_one() {  # pidfile kind
  local pf=$1 kind=$2 pid pgid
  [ -s "$pf" ] || return 0
  pid=$(tr -d ' \n' < "$pf")
  is_ours "$pid" "$kind" || { rm -f "$pf"; return 0; }
  pgid=$(stat_field "$pid" 3)
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 200); do alive "$pid" || break; sleep 0.05; done
  alive "$pid" && kill -KILL "$pid" 2>/dev/null
  # the masters are session/group leaders (they setsid when daemonizing): sweep leftover
  # children of *this* group only, e.g. an imap process still draining a connection
  if [ -n "$pgid" ] && [ "$pgid" = "$pid" ]; then
    for _ in $(seq 1 40); do
      group_alive "$pgid" || break
      sleep 0.05
    done
    group_alive "$pgid" && kill -KILL -- "-$pgid" 2>/dev/null
  fi
  rm -f "$pf"
  echo "stopped $kind (pid $pid)"
}

# optional second argument: stop only one daemon (fault tests); start.sh DIR restarts it
WHICH=${2:-all}
case $WHICH in
  all)     stop_one "$DIR/postfix/spool/pid/master.pid" postfix &
           stop_one "$DIR/dovecot/run/master.pid" dovecot &
           wait ;;
  postfix) stop_one "$DIR/postfix/spool/pid/master.pid" postfix ;;
  dovecot) stop_one "$DIR/dovecot/run/master.pid" dovecot ;;
  *) echo "usage: stop.sh DIR [all|dovecot|postfix]" >&2; exit 2 ;;
esac
exit 0
