#!/usr/bin/env bash
# start.sh DIR — throwaway mail stack for deskmail's tests, everything on 127.0.0.1, all
# state in DIR. Used by tests/common/mailstack.rs; install the packages first with
# scripts/install-test-deps.sh. (Adapted from the shared mailstack reference.)
#   Dovecot 2.3: IMAP (plain+STARTTLS), IMAPS, LMTP (unix socket + TCP)
#   Postfix 3.7: SMTP (open relay from loopback, STARTTLS/AUTH optional),
#                submission (STARTTLS + AUTH required), SMTPS (implicit TLS + AUTH required)
#   Mail for the users' domains -> Dovecot LMTP; any other domain -> catch-all mailbox.
# Writes DIR/env (KEY=VALUE, shell-sourceable) and prints it. Stop with stop.sh DIR.
# Optional env: MAILSTACK_BASE_PORT (uses BASE..BASE+5), MAILSTACK_USERS ("addr:pass ..."),
#   MAILSTACK_CATCHALL (address, "" = off), MAILSTACK_RUN_AS (root only; default nobody).
set -euo pipefail
export PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH"   # dovecot/postfix live in /usr/sbin

DIR=${1:?usage: start.sh DIR}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd -P)
# unix sockets (sun_path) are limited to 107 bytes; longest one is DIR + ~36 chars
if [ ${#DIR} -gt 70 ]; then echo "start.sh: DIR path too long (${#DIR} > 70 chars)" >&2; exit 2; fi

USERS=${MAILSTACK_USERS:-"support@example.test:support-pass alice@example.test:alice-pass staff@example.test:staff-pass catchall@example.test:catchall-pass"}
CATCHALL=${MAILSTACK_CATCHALL-catchall@example.test}

HERE=$(cd "$(dirname "$0")" && pwd)
STARTED=0
for bin in dovecot openssl setpriv; do
  command -v "$bin" >/dev/null 2>&1 || { echo "start.sh: '$bin' not found; run scripts/install-test-deps.sh (as root)" >&2; exit 3; }
done
if [ "$(id -u)" = 0 ] && ! command -v postfix >/dev/null 2>&1; then
  echo "start.sh: 'postfix' not found; run scripts/install-test-deps.sh (as root)" >&2; exit 3
fi
die() {
  echo "start.sh: $*" >&2
  for f in "$DIR"/log/*.log; do [ -f "$f" ] && { echo "== $f" >&2; tail -n 20 "$f" >&2; }; done
  [ "$STARTED" = 1 ] && "$HERE/stop.sh" "$DIR" >&2   # never leave half a stack running
  # auto-picked ports lost a race with another process: retry with new ones (3 tries)
  if [ "${AUTO_PORTS:-0}" = 1 ] && [ "${MAILSTACK_TRY:-1}" -lt 3 ] \
     && cat "$DIR"/log/*.log 2>/dev/null | grep -q 'Address already in use'; then
    rm -f "$DIR"/log/*.log
    echo "start.sh: port clash, retrying with other ports" >&2
    MAILSTACK_TRY=$(( ${MAILSTACK_TRY:-1} + 1 )) exec bash "$0" "$DIR"
  fi
  exit 1
}
alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# ---- what already runs in this DIR? ------------------------------------------------------
# Re-running start.sh on a DIR whose stack was (partly) stopped with stop.sh starts only the
# stopped daemon(s), with the same ports, users and certificates (used for fault tests).
dovecot_running() {
  local p; p=$(tr -d ' \n' 2>/dev/null < "$DIR/dovecot/run/master.pid") && alive "$p" \
    && tr '\0' ' ' 2>/dev/null < "/proc/$p/cmdline" | grep -qF "$DIR/dovecot/dovecot.conf"
}
postfix_running() {
  local p; p=$(tr -d ' \n' 2>/dev/null < "$DIR/postfix/spool/pid/master.pid") && alive "$p" \
    && [ "$(readlink "/proc/$p/cwd" 2>/dev/null)" = "$DIR/postfix/spool" ]
}
DOVECOT_UP=0; dovecot_running && DOVECOT_UP=1
POSTFIX_UP=0; postfix_running && POSTFIX_UP=1

# ---- who runs dovecot ----------------------------------------------------------------
if [ "$(id -u)" = 0 ]; then
  RUN_AS=${MAILSTACK_RUN_AS:-nobody}
  WITH_POSTFIX=1
else
  RUN_AS=$(id -un)
  WITH_POSTFIX=${MAILSTACK_SMTP:-0}   # postfix can only be started by root
  [ "$WITH_POSTFIX" = 0 ] || die "postfix needs root; unset MAILSTACK_SMTP to run IMAP/LMTP only"
fi
# refuse to start twice in the same DIR
if [ "$DOVECOT_UP" = 1 ] && { [ "$WITH_POSTFIX" = 0 ] || [ "$POSTFIX_UP" = 1 ]; }; then
  die "already running in $DIR (run stop.sh first)"
fi
[ "$RUN_AS" != root ] || die "dovecot refuses to run its login processes as root; pick another MAILSTACK_RUN_AS"
RUN_GROUP=$(id -gn "$RUN_AS")
RUN_UID=$(id -u "$RUN_AS"); RUN_GID=$(id -g "$RUN_AS")

# ---- ports ---------------------------------------------------------------------------
port_busy() {  # any socket (any state) bound to local port $1 on v4 or v6
  local hex; hex=$(printf ':%04X' "$1")
  awk -v p="$hex" 'FNR>1 && substr($2, length($2)-4)==p {f=1} END{exit !f}' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
if [ -n "${MAILSTACK_BASE_PORT:-}" ]; then
  BASE=$MAILSTACK_BASE_PORT
elif [ -s "$DIR/env" ]; then                      # restart: keep the previous ports
  BASE=$(sed -n 's/^MAILSTACK_IMAP_PORT=//p' "$DIR/env")
else
  BASE=; AUTO_PORTS=1
  for _ in $(seq 1 100); do
    b=$(( (20000 + (RANDOM * 32768 + RANDOM) % 40000) / 10 * 10 ))
    ok=1; for i in 0 1 2 3 4 5; do port_busy $((b + i)) && { ok=0; break; }; done
    [ $ok = 1 ] && { BASE=$b; break; }
  done
  [ -n "$BASE" ] || die "no free port range found"
fi
IMAP_PORT=$BASE; IMAPS_PORT=$((BASE + 1)); LMTP_PORT=$((BASE + 2))
SMTP_PORT=$((BASE + 3)); SUBMISSION_PORT=$((BASE + 4)); SMTPS_PORT=$((BASE + 5))

# ---- layout --------------------------------------------------------------------------
mkdir -p "$DIR"/{tls,log,mail,dovecot/run,dovecot/state,postfix/etc,postfix/spool,postfix/data}
chmod 755 "$DIR"               # mktemp -d gives 0700: the unprivileged user must traverse it

# every parent of DIR must be searchable by RUN_AS (e.g. not under /root, which is 0700)
if [ "$(id -u)" = 0 ] && ! setpriv --reuid="$RUN_UID" --regid="$RUN_GID" --clear-groups test -x "$DIR"; then
  die "user $RUN_AS cannot reach $DIR (a parent directory is not world-searchable); use e.g. /tmp"
fi

# ---- TLS: tiny CA + server cert (CA:FALSE, SAN localhost/127.0.0.1; rustls-compatible) --
if [ ! -s "$DIR/tls/cert.pem" ]; then
  (
    cd "$DIR/tls"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
      -subj "/CN=mailstack test CA" -keyout ca.key -out ca.pem 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -subj "/CN=localhost" -keyout key.pem -out server.csr 2>/dev/null
    printf '%s\n' 'basicConstraints=critical,CA:FALSE' \
      'keyUsage=critical,digitalSignature,keyEncipherment' 'extendedKeyUsage=serverAuth' \
      'subjectAltName=DNS:localhost,IP:127.0.0.1' > server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile server.ext -out cert.pem 2>/dev/null
  ) || die "openssl failed"
fi

# ---- users ---------------------------------------------------------------------------
: > "$DIR/dovecot/users"; : > "$DIR/postfix/etc/vmailbox"; DOMAINS=
for up in $USERS; do
  u=${up%%:*}; p=${up#*:}
  echo "$u:{PLAIN}$p::::::" >> "$DIR/dovecot/users"
  echo "$u ok" >> "$DIR/postfix/etc/vmailbox"
  d=${u#*@}; case " $DOMAINS " in *" $d "*) ;; *) DOMAINS="$DOMAINS $d";; esac
done
DOMAINS=${DOMAINS# }

# ---- dovecot.conf --------------------------------------------------------------------
cat > "$DIR/dovecot/dovecot.conf" <<EOF
# generated by start.sh — self-contained, nothing from /etc/dovecot is read
instance_name = mailstack-$BASE
base_dir = $DIR/dovecot/run
state_dir = $DIR/dovecot/state
log_path = $DIR/log/dovecot.log
info_log_path = $DIR/log/dovecot.log
hostname = mail.example.test
protocols = imap lmtp
listen = 127.0.0.1

# one unprivileged uid for everything ("rootless" layout; also used when started by root
# through setpriv). Group must be set too or listeners get chowned to group "dovecot".
default_login_user = $RUN_AS
default_internal_user = $RUN_AS
default_internal_group = $RUN_GROUP
mail_uid = $RUN_UID
mail_gid = $RUN_GID
first_valid_uid = $RUN_UID
last_valid_uid = $RUN_UID

ssl = yes
ssl_cert = <$DIR/tls/cert.pem
ssl_key = <$DIR/tls/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_max_userip_connections = 1000
# tests need no durability: skip fsync (LMTP/APPEND bulk loads get much faster)
mail_fsync = never

mail_home = $DIR/mail/%d/%n
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = /
  mailbox Drafts {
    special_use = \Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \Junk
    auto = subscribe
  }
}

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $DIR/dovecot/users
}
userdb {
  driver = passwd-file
  args = username_format=%u $DIR/dovecot/users
}

# chroot needs root; switch it off so the same config works started as any user
service anvil {
  chroot =
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $IMAPS_PORT
    ssl = yes
  }
}
service lmtp {
  unix_listener lmtp {
    mode = 0666
  }
  inet_listener lmtp {
    address = 127.0.0.1
    port = $LMTP_PORT
  }
}
service auth {
  # SASL socket for postfix smtpd (runs as user postfix)
  unix_listener auth-postfix {
    mode = 0666
  }
}
EOF

# ---- postfix -------------------------------------------------------------------------
PF=$DIR/postfix
cat > "$PF/etc/main.cf" <<EOF
# generated by start.sh
compatibility_level = 3.6
queue_directory = $PF/spool
data_directory = $PF/data
mail_owner = postfix
setgid_group = postdrop
maillog_file_prefixes = $DIR/log
maillog_file = $DIR/log/postfix.log
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mail.example.test
mydomain = example.test
myorigin = example.test
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
biff = no
smtputf8_enable = no
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtpd_banner = \$myhostname ESMTP mailstack
# mail for our domains -> dovecot LMTP; unknown local users rejected at RCPT time
virtual_mailbox_domains = $DOMAINS
recipient_delimiter = +
virtual_mailbox_maps = texthash:$PF/etc/vmailbox
virtual_transport = lmtp:unix:$DIR/dovecot/run/lmtp
# everything else is rewritten to the catch-all (or refused if there is none)
virtual_alias_domains =
virtual_alias_maps = regexp:$PF/etc/catchall.regexp
default_transport = error:outside mail is disabled in tests
relay_transport = error:outside mail is disabled in tests
# TLS + SASL (via dovecot)
smtpd_tls_cert_file = $DIR/tls/cert.pem
smtpd_tls_key_file = $DIR/tls/key.pem
smtpd_tls_security_level = may
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = $DIR/dovecot/run/auth-postfix
smtpd_tls_auth_only = no
# fast tests: no tarpitting, quick retries
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 1000
smtpd_hard_error_limit = 1000
in_flow_delay = 0
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
EOF
if [ -n "$CATCHALL" ]; then
  re=$(printf '%s' "$DOMAINS" | sed 's/\./\\./g; s/ /|/g')
  printf '!/@(%s)$/ %s\n' "$re" "$CATCHALL" > "$PF/etc/catchall.regexp"
else
  : > "$PF/etc/catchall.regexp"
fi
cat > "$PF/etc/master.cf" <<EOF
# generated by start.sh — no chroot anywhere (absolute socket paths)
# The plain port relays from loopback without AUTH, so it does not need Dovecot's SASL
# socket: with SASL on, every smtpd there dies while Dovecot is down and Postfix throttles
# the service for a minute.
127.0.0.1:$SMTP_PORT inet n - n - - smtpd
  -o smtpd_sasl_auth_enable=no
  -o syslog_name=postfix/relay
127.0.0.1:$SUBMISSION_PORT inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
127.0.0.1:$SMTPS_PORT inet n - n - - smtpd
  -o syslog_name=postfix/smtps
  -o smtpd_tls_wrappermode=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n -  0 cleanup
qmgr      unix  n - n 300 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n -  - trivial-rewrite
bounce    unix  - - n -  0 bounce
defer     unix  - - n -  0 bounce
trace     unix  - - n -  0 bounce
verify    unix  - - n -  1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -  - proxymap
proxywrite unix - - n -  1 proxymap
smtp      unix  - - n -  - smtp
relay     unix  - - n -  - smtp
showq     unix  n - n -  - showq
error     unix  - - n -  - error
retry     unix  - - n -  - error
discard   unix  - - n -  - discard
lmtp      unix  - - n -  - lmtp
anvil     unix  - - n -  1 anvil
scache    unix  - - n -  1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF

# postfix stalls ~2 s when main.cf or a lookup table is brand new (mtime < ~2 s ago): backdate
touch -d '-1 min' "$PF"/etc/*

# ---- ownership -----------------------------------------------------------------------
if [ "$(id -u)" = 0 ]; then
  chown -R "$RUN_AS:$RUN_GROUP" "$DIR/dovecot" "$DIR/mail" "$DIR/log" "$DIR/tls"
  chown postfix "$PF/data"          # postfix insists: data_directory owned by mail_owner
fi
chmod 600 "$DIR/tls/key.pem" "$DIR/tls/ca.key"

# ---- start ---------------------------------------------------------------------------
# NB: dovecot's master keeps the stderr it was started with; never let it inherit the
# caller's pipes (a Rust Command::output() on this script would wait for EOF forever).
t0=$(date +%s%N)
STARTED=1
if [ "$DOVECOT_UP" = 0 ]; then
  rm -f "$DIR/dovecot/run/master.pid"   # stale (killed) pid file would fool the poll below
  if [ "$(id -u)" = 0 ] && [ "$RUN_AS" != root ]; then
    setpriv --reuid="$RUN_UID" --regid="$RUN_GID" --clear-groups -- \
      dovecot -c "$DIR/dovecot/dovecot.conf" </dev/null >>"$DIR/log/dovecot-start.log" 2>&1 \
      || die "dovecot failed to start"
  else
    dovecot -c "$DIR/dovecot/dovecot.conf" </dev/null >>"$DIR/log/dovecot-start.log" 2>&1 \
      || die "dovecot failed to start"
  fi
fi
# dovecot binds its listeners before forking, but the child writes master.pid a moment
# after the parent has already returned: poll for it
for _ in $(seq 1 100); do [ -s "$DIR/dovecot/run/master.pid" ] && break; sleep 0.02; done
DOVECOT_PID=$(tr -d ' \n' < "$DIR/dovecot/run/master.pid") || die "dovecot wrote no pid file"
POSTFIX_PID=
if [ "$WITH_POSTFIX" = 1 ]; then
  if [ "$POSTFIX_UP" = 0 ]; then
    # A restart right after stop.sh can find the old master's lock not yet given up (seen once
    # in CI, 2026-12-07): try again for up to 5 s before giving up.
    pf_ok=0
    for _ in $(seq 1 10); do
      postfix -c "$PF/etc" start </dev/null >>"$DIR/log/postfix-start.log" 2>&1 && { pf_ok=1; break; }
      sleep 0.5
    done
    [ "$pf_ok" = 1 ] || die "postfix failed to start"
  fi
  POSTFIX_PID=$(tr -d ' \n' < "$PF/spool/pid/master.pid") || die "postfix wrote no pid file"
fi

# ---- wait until the banners answer -----------------------------------------------------
banner() { timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1 && head -c 4 <&3" 2>/dev/null; }
wait_banner() {  # port expected-prefix; gives up after ~10 s in all
  local end=$((SECONDS + 10))
  while [ $SECONDS -lt $end ]; do [ "$(banner "$1")" = "$2" ] && return 0; sleep 0.05; done
  die "port $1 did not answer with '$2'"
}
wait_banner "$IMAP_PORT" "* OK"
[ "$WITH_POSTFIX" = 1 ] && wait_banner "$SMTP_PORT" "220 "
t1=$(date +%s%N)

cat > "$DIR/env" <<EOF
MAILSTACK_DIR=$DIR
MAILSTACK_HOST=127.0.0.1
MAILSTACK_TLS_NAME=localhost
MAILSTACK_CA_CERT=$DIR/tls/ca.pem
MAILSTACK_IMAP_PORT=$IMAP_PORT
MAILSTACK_IMAPS_PORT=$IMAPS_PORT
MAILSTACK_LMTP_PORT=$LMTP_PORT
MAILSTACK_LMTP_SOCKET=$DIR/dovecot/run/lmtp
MAILSTACK_SMTP_PORT=$( [ "$WITH_POSTFIX" = 1 ] && echo "$SMTP_PORT" )
MAILSTACK_SUBMISSION_PORT=$( [ "$WITH_POSTFIX" = 1 ] && echo "$SUBMISSION_PORT" )
MAILSTACK_SMTPS_PORT=$( [ "$WITH_POSTFIX" = 1 ] && echo "$SMTPS_PORT" )
MAILSTACK_DOVECOT_CONF=$DIR/dovecot/dovecot.conf
MAILSTACK_DOVECOT_PID=$DOVECOT_PID
MAILSTACK_POSTFIX_PID=$POSTFIX_PID
MAILSTACK_MAIL_ROOT=$DIR/mail
MAILSTACK_USERS="$USERS"
MAILSTACK_CATCHALL=$CATCHALL
MAILSTACK_STARTUP_MS=$(( (t1 - t0) / 1000000 ))
EOF
cat "$DIR/env"
