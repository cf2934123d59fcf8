#!/usr/bin/env bash
# scripts/bench-e2e.sh — the end-to-end benchmark ("Prove it"), against a real Dovecot and
# Postfix on 127.0.0.1 (tests/mailstack), plain IMAP and SMTP on loopback. Run as root.
#   1. a throwaway mail stack in /tmp/dmb-XXXX, always stopped on exit;
#   2. backlog: 10,000 generated customer mails in support's INBOX;
#      (a) Python imaplib, UID FETCH BODY.PEEK[] in batches of 500: the server's pace;
#      (b) deskmail run --once (batch_size 200): fetch, parse, classify, SQLite, move, and
#          send every reply over SMTP; mails/s, peak RSS, and (b)/(a);
#      (c) the server floor, like for like: the same mails loaded again, Python imaplib
#          fetches and MOVEs them in batches of 200, then smtplib sends deskmail's own replies
#          (from its outbox, with the self-copy) 8 at once: what Dovecot and Postfix cost for
#          the work deskmail makes them do; (b)/(c);
#   3. one 25 MiB mail (just under the limit) processed, one 30 MiB mail quarantined unread:
#      peak RSS of each run, and `deskmail quarantine` lists the second;
#   4. latency with IDLE: the daemon (poll_interval 60 s) and 100 customer mails sent one by
#      one; time from the SMTP 250 to the acknowledgement in the customer's INBOX;
#   5. a summary table on stdout and in /tmp/deskmail-bench-e2e.txt.
# Env: BENCH_MAILS (/tmp/deskmail-bench-mails), BENCH_N (10000, when generating),
#      BENCH_LATENCY_N (100), BENCH_FETCH_RUNS (3), BENCH_OUT (/tmp/deskmail-bench-e2e.txt),
#      BENCH_NO_BUILD=1 (use the binaries in target/release), BENCH_KEEP=1 (keep the stack dir),
#      BENCH_DESKMAIL (a deskmail binary to measure instead of target/release/deskmail,
#      e.g. an older build for a before/after comparison; implies no build of it),
#      BENCH_PHASES ("backlog big latency": a subset runs only those parts).
#      BENCH_BATCH (200: deskmail's batch_size in (b), and the floor's FETCH/MOVE size in (c)).
set -euo pipefail
# The figures come from deskmail's info log; a good cron pass logs nothing without it.
export RUST_LOG="${RUST_LOG:-info}"
cd "$(dirname "$0")/.."
ROOT=$(pwd -P)
STARTED_AT=$(date -u '+%Y-%m-%d %H:%M UTC')
COMMAND="$( (env | grep '^BENCH_' || true) | sort | tr '\n' ' ')scripts/bench-e2e.sh${*:+ $*}"

MAILS=${BENCH_MAILS:-/tmp/deskmail-bench-mails}
GEN_N=${BENCH_N:-10000}
LAT_N=${BENCH_LATENCY_N:-100}
FETCH_RUNS=${BENCH_FETCH_RUNS:-3}
OUT=${BENCH_OUT:-/tmp/deskmail-bench-e2e.txt}
PY=${PYTHON:-python3}
HELPER=$ROOT/scripts/bench/mailbench.py
DESKMAIL=${BENCH_DESKMAIL:-$ROOT/target/release/deskmail}
BENCHBIN=$ROOT/target/release/deskmail-bench
LIMIT=26214400                 # deskmail's default max_message_bytes (25 MiB)
BIG_OK=$((LIMIT - 4096))       # the 25 MiB mail: just under the limit
BIG_OVER=$((30 * 1024 * 1024)) # the 30 MiB mail: over it
BATCH=${BENCH_BATCH:-200}
PHASES=" ${BENCH_PHASES:-backlog big latency} "
want() { [[ $PHASES == *" $1 "* ]]; }

DIR=
DAEMON_PID=
OK=0

section() { printf '\n==== %s\n' "$*" >&2; }
note() { printf '  %s\n' "$*" >&2; }
die() {
  echo "bench-e2e: ERROR: $*" >&2
  exit 1
}
trap 'rc=$?; echo "bench-e2e: failed (exit $rc) at line $LINENO: $BASH_COMMAND" >&2' ERR

cleanup() {
  local rc=$?
  trap - ERR
  if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
    kill -TERM "$DAEMON_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$DAEMON_PID" 2>/dev/null || true
  fi
  if [ -n "$DIR" ] && [ -d "$DIR" ]; then
    timeout 60 "$ROOT/tests/mailstack/stop.sh" "$DIR" >/dev/null 2>&1 || echo "bench-e2e: stop.sh $DIR failed" >&2
    if [ "$OK" = 1 ] && [ "${BENCH_KEEP:-0}" != 1 ]; then
      rm -rf "$DIR"
    else
      echo "bench-e2e: mail stack stopped; logs and configs kept in $DIR" >&2
    fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- preconditions --------------------------------------------------------------------
[ "$(id -u)" = 0 ] || die "run as root (Postfix's master must be started by root)"
[ -x /usr/bin/time ] || die "/usr/bin/time not found (apt-get install time)"
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || die "$PY is not Python >= 3.11"
for bin in dovecot postfix doveadm; do
  command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || die "$bin not found: run scripts/install-test-deps.sh"
done

# helper: run mailbench.py with a time limit, print its KEY=VALUE output and load it
kv() {
  local limit=$1; shift
  local f; f=$(mktemp /tmp/dmb-kv.XXXXXX)
  if ! timeout -k 5 "$limit" "$PY" "$HELPER" "$@" > "$f"; then
    rm -f "$f"; die "mailbench.py $1 failed or timed out (${limit}s)"
  fi
  # shellcheck disable=SC1090
  source "$f"; sed 's/^/  /' "$f" >&2; rm -f "$f"
}
# peak RSS in MB / elapsed seconds from a /usr/bin/time -v file
rss_mb() { awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); printf "%.1f", $2 / 1024}' "$1"; }
wall_s() {
  awk '/Elapsed \(wall clock\)/ {n = split($NF, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s}' "$1"
}
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
queue_len() {  # mails still in Postfix's queue (not counting deferred ones)
  find "$DIR/postfix/spool/maildrop" "$DIR/postfix/spool/incoming" "$DIR/postfix/spool/active" -type f 2>/dev/null | wc -l
}
deferred_len() { find "$DIR/postfix/spool/deferred" -type f 2>/dev/null | wc -l; }
wait_queue_empty() {  # seconds
  local end=$((SECONDS + $1))
  while [ "$(queue_len)" -gt 0 ]; do
    [ $SECONDS -lt "$end" ] || die "Postfix queue still holds $(queue_len) mails after $1 s (see $DIR/log/postfix.log)"
    sleep 0.5
  done
  [ "$(deferred_len)" = 0 ] || note "WARNING: $(deferred_len) mails deferred by Postfix (see $DIR/log/postfix.log)"
}

# ---- build and backlog -----------------------------------------------------------------
section "build (release)"
if [ "${BENCH_NO_BUILD:-0}" = 1 ]; then
  note "BENCH_NO_BUILD=1: using $DESKMAIL as it is"
else
  bins=()
  [ -n "${BENCH_DESKMAIL:-}" ] || bins+=(--bin deskmail)
  if [ ! -d "$MAILS" ] || [ -z "$(ls -A "$MAILS" 2>/dev/null)" ]; then bins+=(--bin deskmail-bench); fi
  [ ${#bins[@]} = 0 ] || cargo build --release "${bins[@]}" >&2 || die "cargo build failed"
fi
[ -x "$DESKMAIL" ] || die "$DESKMAIL missing: build it (cargo build --release --bin deskmail)"
# the tree the binary was built from (others may commit while this runs)
GIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')
git -C "$ROOT" diff --quiet HEAD 2>/dev/null || GIT="$GIT + uncommitted changes"
[ "${BENCH_NO_BUILD:-0}" = 1 ] && GIT="$GIT (binary not rebuilt: $(date -u -r "$DESKMAIL" '+%H:%M UTC'))"
[ -n "${BENCH_DESKMAIL:-}" ] && GIT="binary $BENCH_DESKMAIL of $(date -u -r "$DESKMAIL" '+%Y-%m-%d %H:%M UTC') (tree at $GIT)"

if [ ! -d "$MAILS" ] || [ -z "$(ls -A "$MAILS" 2>/dev/null)" ]; then
  section "generate $GEN_N mails into $MAILS"
  [ -x "$BENCHBIN" ] || die "$BENCHBIN missing: cargo build --release --bin deskmail-bench"
  timeout 600 "$BENCHBIN" generate "$GEN_N" "$MAILS" >&2 || die "deskmail-bench generate failed"
else
  note "backlog: $MAILS exists, kept"
fi
N=$(find "$MAILS" -maxdepth 1 -name '*.eml' | wc -l)
[ "$N" -gt 0 ] || die "no .eml files in $MAILS"
MAIL_BYTES=$(find "$MAILS" -maxdepth 1 -name '*.eml' -printf '%s\n' | awk '{s += $1} END {print s}')

# ---- 1. mail stack -----------------------------------------------------------------------
section "start the mail stack"
DIR=$(mktemp -d /tmp/dmb-XXXX)
# a private copy: a rebuild of target/release during the run must not change what is measured
cp "$DESKMAIL" "$DIR/deskmail"; DESKMAIL=$DIR/deskmail
export MAILSTACK_USERS="support@example.test:support-pass staff@example.test:staff-pass catchall@example.test:catchall-pass cust@example.test:cust-pass"
timeout -k 5 120 "$ROOT/tests/mailstack/start.sh" "$DIR" > "$DIR/start.out" 2>&1 || {
  cat "$DIR/start.out" >&2; die "tests/mailstack/start.sh $DIR failed"; }
# shellcheck disable=SC1091
source "$DIR/env"
note "stack in $DIR: IMAP $MAILSTACK_IMAP_PORT, SMTP $MAILSTACK_SMTP_PORT, started in ${MAILSTACK_STARTUP_MS} ms"
MAIL_UID=$(stat -c %u "$DIR/mail"); MAIL_GID=$(stat -c %g "$DIR/mail")
SUPPORT_MAILDIR=$DIR/mail/example.test/support/Maildir
IMAP=(--port "$MAILSTACK_IMAP_PORT")
SUPPORT=("${IMAP[@]}" --user support@example.test --password support-pass)
DOVECOT_VERSION=$(dovecot --version 2>/dev/null | awk '{print $1}')
POSTFIX_VERSION=$(postconf -d -h mail_version 2>/dev/null || echo '?')

# write_config NAME POLL: a configuration in $DIR/NAME, following tests/common/setup.rs
write_config() {
  local work=$DIR/$1
  mkdir -p "$work"
  printf 'support-pass\n' > "$work/support.pass"
  chmod 600 "$work/support.pass"
  cat > "$work/deskmail.toml" <<EOF
# generated by scripts/bench-e2e.sh: plain IMAP and SMTP on loopback (tests/mailstack)
[mailbox]
kind = "imap"
host = "127.0.0.1"
port = $MAILSTACK_IMAP_PORT
tls = "none"
username = "support@example.test"
password_file = "$work/support.pass"
poll_interval = "$2"
batch_size = $BATCH

[smtp]
kind = "smtp"
host = "127.0.0.1"
port = $MAILSTACK_SMTP_PORT
tls = "none"

[support]
address = "support@example.test"
name = "OKPay Support"
staff = ["staff@example.test"]
# the benchmark's customers write more than 3 mails a day
max_auto_per_day = 1000

[sla]
time_zone = "Asia/Shanghai"

[storage]
path = "$work/deskmail.db"

[rules]
dir = "$ROOT/rules"

[templates]
dir = "$ROOT/templates"
EOF
  echo "$work/deskmail.toml"
}

# ---- 2. backlog --------------------------------------------------------------------------
if want backlog; then
section "2. backlog: load $N mails into support's INBOX (Maildir files, before the first login)"
kv 600 load-maildir "$MAILS" "$SUPPORT_MAILDIR" "$MAIL_UID" "$MAIL_GID"
[ "$LOADED" = "$N" ] || die "loaded $LOADED mails, expected $N"
kv 300 imap-count "${SUPPORT[@]}" INBOX   # first login: Dovecot indexes the new mail
[ "$COUNT_INBOX" = "$N" ] || die "support's INBOX holds $COUNT_INBOX mails, expected $N"

section "2a. Python imaplib: UID FETCH BODY.PEEK[] in batches of 500 (1 warm-up + $FETCH_RUNS runs)"
kv 600 imap-fetch "${SUPPORT[@]}" --batch 500
note "(warm-up: Dovecot's caches and the page cache)"
: > "$DIR/fetch-runs.txt"
for i in $(seq 1 "$FETCH_RUNS"); do
  kv 600 imap-fetch "${SUPPORT[@]}" --batch 500
  [ "$FETCHED" = "$N" ] || die "imaplib fetched $FETCHED mails, expected $N"
  echo "$FETCH_SECONDS" >> "$DIR/fetch-runs.txt"
done
A_SECONDS=$(sort -g "$DIR/fetch-runs.txt" | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}')
A_RATE=$(calc '%.0f' "$N / $A_SECONDS")
A_MB=$(calc '%.1f' "$FETCHED_BYTES / 1e6")
kv 60 imap-count "${SUPPORT[@]}" INBOX
[ "$COUNT_INBOX" = "$N" ] && [ "$UNSEEN_INBOX" = "$N" ] ||
  die "after the PEEK fetches INBOX has $COUNT_INBOX mails, $UNSEEN_INBOX unseen (expected $N, $N)"
note "INBOX unchanged by (a): $COUNT_INBOX mails, all unseen; no reload needed"

section "2b. deskmail run --once (batch_size $BATCH, tls none, SMTP to Postfix :$MAILSTACK_SMTP_PORT)"
CFG_B=$(write_config backlog 60s)
B_RC=0
timeout -k 10 3600 /usr/bin/time -v -o "$DIR/backlog/time.txt" \
  env -u NOTIFY_SOCKET -u WATCHDOG_USEC "$DESKMAIL" --log-format json run --once --config "$CFG_B" \
  2> "$DIR/backlog/deskmail.log" || B_RC=$?
[ "$B_RC" = 0 ] || { tail -n 5 "$DIR/backlog/deskmail.log" >&2; die "deskmail run --once exited $B_RC (log: $DIR/backlog/deskmail.log)"; }
B_SECONDS=$(wall_s "$DIR/backlog/time.txt")
B_RSS=$(rss_mb "$DIR/backlog/time.txt")
B_RATE=$(calc '%.0f' "$N / $B_SECONDS")
B_RATIO=$(calc '%.4f' "($N / $B_SECONDS) / ($N / $A_SECONDS)")
B_TIMES=$(calc '%.0f' "$B_SECONDS / $A_SECONDS")
B_CPU=$(awk -F: '/Percent of CPU/ {gsub(/[ %]/, "", $2); print $2}' "$DIR/backlog/time.txt")
B_CPU_S=$(awk -F: '/User time|System time/ {s += $2} END {printf "%.1f", s}' "$DIR/backlog/time.txt")
kv 60 log-phases "$DIR/backlog/deskmail.log"
B_PROCESSED=$LOG_PROCESSED; B_SENT=$LOG_SENT; B_QUAR=$LOG_QUARANTINED; B_ERRORS=$LOG_ERRORS
B_PROC_S=$LOG_PROCESS_SECONDS; B_SEND_S=$LOG_SEND_SECONDS
[ $((B_PROCESSED + B_QUAR + LOG_DUPLICATES)) = "$N" ] ||
  die "deskmail logged $B_PROCESSED processed + $B_QUAR quarantined + $LOG_DUPLICATES duplicates, expected $N"
kv 60 imap-count "${SUPPORT[@]}" Processed Quarantine
B_IN_PROCESSED=$COUNT_PROCESSED
note "waiting for Postfix to deliver the replies and their self-copies"
wait_queue_empty 900
kv 60 imap-count "${SUPPORT[@]}" INBOX
B_SELF_COPIES=$COUNT_INBOX
kv 60 imap-count --port "$MAILSTACK_IMAP_PORT" --user catchall@example.test --password catchall-pass INBOX
B_CATCHALL=$COUNT_INBOX
kv 60 imap-count --port "$MAILSTACK_IMAP_PORT" --user staff@example.test --password staff-pass INBOX
B_STAFF=$COUNT_INBOX
note "delivered: $B_CATCHALL replies to customers (catch-all), $B_SELF_COPIES self-copies to support, $B_STAFF to staff"
kv 300 imap-empty "${SUPPORT[@]}"   # the self-copies: the next tests want an empty INBOX

section "2c. server floor: the same $N mails again; imaplib FETCH + UID MOVE per $BATCH, smtplib sends deskmail's $B_SENT replies 8 at once"
kv 600 load-maildir "$MAILS" "$SUPPORT_MAILDIR" "$MAIL_UID" "$MAIL_GID"
kv 300 imap-count "${SUPPORT[@]}" INBOX   # Dovecot indexes the new mail, as before (b)
[ "$COUNT_INBOX" = "$N" ] || die "support's INBOX holds $COUNT_INBOX mails, expected $N"
kv 3600 server-floor "${SUPPORT[@]}" --smtp-port "$MAILSTACK_SMTP_PORT" --batch "$BATCH" \
  --concurrency 8 --db "$DIR/backlog/deskmail.db"
[ "$FLOOR_MAILS" = "$N" ] || die "the floor moved $FLOOR_MAILS mails, expected $N"
C_RATE=$(calc '%.0f' "$N / $FLOOR_SECONDS")
C_TIMES=$(calc '%.2f' "$B_SECONDS / $FLOOR_SECONDS")
C_PROC_TIMES=$(calc '%.2f' "$B_PROC_S / $FLOOR_MOVE_SECONDS")
C_SEND_TIMES=$(calc '%.2f' "$B_SEND_S / ($FLOOR_SEND_SECONDS > 0 ? $FLOOR_SEND_SECONDS : 1)")
note "waiting for Postfix to deliver the floor's mails"
wait_queue_empty 900
kv 300 imap-empty "${SUPPORT[@]}"   # the floor's self-copies
fi

# ---- 3. one big mail, one too big --------------------------------------------------------
if want big; then
section "3. one 25 MiB mail (under the limit), then one 30 MiB mail (over it)"
CFG_BIG=$(write_config big 60s)
run_big() {  # tag bytes -> BIG_RC, BIG_RSS, BIG_S
  local tag=$1 bytes=$2
  wait_queue_empty 120                  # earlier replies' self-copies land in support's INBOX:
  kv 300 imap-empty "${SUPPORT[@]}"     # start from an empty one
  kv 120 big-mail "$SUPPORT_MAILDIR" "$MAIL_UID" "$MAIL_GID" "$bytes" "$tag"
  kv 60 imap-count "${SUPPORT[@]}" INBOX
  [ "$COUNT_INBOX" = 1 ] || die "support's INBOX holds $COUNT_INBOX mails, expected only the $tag mail"
  BIG_RC=0
  timeout -k 10 600 /usr/bin/time -v -o "$DIR/big/time-$tag.txt" \
    env -u NOTIFY_SOCKET -u WATCHDOG_USEC "$DESKMAIL" --log-format json run --once --config "$CFG_BIG" \
    2> "$DIR/big/deskmail-$tag.log" || BIG_RC=$?
  [ "$BIG_RC" = 0 ] || { tail -n 5 "$DIR/big/deskmail-$tag.log" >&2; die "deskmail run --once ($tag mail) exited $BIG_RC"; }
  BIG_RSS=$(rss_mb "$DIR/big/time-$tag.txt"); BIG_S=$(wall_s "$DIR/big/time-$tag.txt")
  kv 60 log-phases "$DIR/big/deskmail-$tag.log"
}
run_big 25MiB "$BIG_OK"
BIG1_SIZE=$BIG_SIZE; BIG1_RSS=$BIG_RSS; BIG1_S=$BIG_S
[ "$LOG_PROCESSED" = 1 ] && [ "$LOG_QUARANTINED" = 0 ] ||
  die "the 25 MiB mail was not processed (processed $LOG_PROCESSED, quarantined $LOG_QUARANTINED)"
BIG1_SENT=$LOG_SENT
run_big 30MiB "$BIG_OVER"
BIG2_SIZE=$BIG_SIZE; BIG2_RSS=$BIG_RSS; BIG2_S=$BIG_S
[ "$LOG_QUARANTINED" = 1 ] && [ "$LOG_PROCESSED" = 0 ] ||
  die "the 30 MiB mail was not quarantined (processed $LOG_PROCESSED, quarantined $LOG_QUARANTINED)"
timeout 60 "$DESKMAIL" quarantine --config "$CFG_BIG" > "$DIR/big/quarantine.txt" 2>&1 ||
  die "deskmail quarantine failed: $(cat "$DIR/big/quarantine.txt")"
sed 's/^/  | /' "$DIR/big/quarantine.txt" >&2
grep -q "^1 quarantined mail(s)" "$DIR/big/quarantine.txt" || die "deskmail quarantine does not list exactly one mail"
grep -q "$BIG2_SIZE bytes" "$DIR/big/quarantine.txt" || note "WARNING: quarantine list does not show the size $BIG2_SIZE"
BIG2_REASON=$(sed -n 's/^ *reason: //p' "$DIR/big/quarantine.txt" | head -n 1)
kv 60 imap-count "${SUPPORT[@]}" INBOX Quarantine
[ "$COUNT_QUARANTINE" -ge 1 ] || die "the 30 MiB mail is not in the Quarantine folder"
[ "$COUNT_INBOX" = 0 ] || die "INBOX not empty after the big-mail runs ($COUNT_INBOX)"
wait_queue_empty 120
kv 60 imap-empty "${SUPPORT[@]}"
fi

# ---- 4. latency with IDLE ----------------------------------------------------------------
if want latency; then
section "4. latency: deskmail run (daemon, poll_interval 60s, IDLE), $LAT_N mails one by one"
CFG_IDLE=$(write_config idle 60s)
env -u NOTIFY_SOCKET -u WATCHDOG_USEC "$DESKMAIL" --log-format json run --config "$CFG_IDLE" \
  2> "$DIR/idle/deskmail.log" &
DAEMON_PID=$!
sleep 1
kill -0 "$DAEMON_PID" 2>/dev/null || { cat "$DIR/idle/deskmail.log" >&2; die "the daemon exited at once"; }
note "daemon pid $DAEMON_PID; 2 warm-up mails (not counted), then $LAT_N timed ones, 0.5 s apart"
kv 2400 latency --port "$MAILSTACK_IMAP_PORT" --smtp-port "$MAILSTACK_SMTP_PORT" \
  --cust-user cust@example.test --cust-pass cust-pass --count "$LAT_N" --warmup 2 \
  --watch-pid "$DAEMON_PID" --detail "$DIR/idle/latency.tsv"
D_RSS=$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$DAEMON_PID/status" 2>/dev/null || echo '?')
kill -TERM "$DAEMON_PID"
t_term=$(date +%s%N)
for _ in $(seq 1 300); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$DAEMON_PID" 2>/dev/null; then
  die "the daemon did not stop within 30 s of SIGTERM"
fi
D_RC=0; wait "$DAEMON_PID" || D_RC=$?
D_STOP_MS=$(( ($(date +%s%N) - t_term) / 1000000 ))
DAEMON_PID=
[ "$D_RC" = 0 ] || die "the daemon exited $D_RC after SIGTERM (expected 0; log: $DIR/idle/deskmail.log)"
note "daemon stopped by SIGTERM: exit $D_RC in ~${D_STOP_MS} ms"
kv 60 log-phases "$DIR/idle/deskmail.log"
D_ERRORS=$LOG_ERRORS
D_OWN=$(grep -c 'copy of our own mail' "$DIR/idle/deskmail.log" || true)
SPLIT_IN_MEDIAN=; SPLIT_OUT_MEDIAN=
if timeout 60 "$PY" "$HELPER" latency-split "$DIR/idle/latency.tsv" "$DIR/idle/deskmail.log" > "$DIR/idle/split.txt"; then
  # shellcheck disable=SC1091
  source "$DIR/idle/split.txt"; sed 's/^/  /' "$DIR/idle/split.txt" >&2
else
  note "WARNING: could not split the latencies (see above)"
fi
fi

# ---- 5. summary ----------------------------------------------------------------------------
CPU=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
MEM=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
mb() { calc '%.1f' "$1 / 1048576"; }
{
  echo "deskmail end-to-end benchmark"
  echo
  echo "date:     $STARTED_AT (took $((SECONDS / 60)) min $((SECONDS % 60)) s)"
  echo "machine:  $(nproc) cores (nproc), $CPU, $MEM RAM, Linux $(uname -r)"
  echo "command:  $COMMAND   (as root)"
  echo "deskmail: $("$DESKMAIL" --version 2>/dev/null | awk '{print $2}') release build, git $GIT"
  echo "servers:  Dovecot $DOVECOT_VERSION + Postfix $POSTFIX_VERSION on 127.0.0.1 (tests/mailstack), plain IMAP and SMTP"
  echo "backlog:  $N generated customer mails ($(calc '%.1f' "$MAIL_BYTES / 1e6") MB, $MAILS)"
  echo
  echo "| what | figure |"
  echo "| --- | --- |"
  if want backlog; then
  echo "| (a) Python imaplib, \`UID FETCH BODY.PEEK[]\` 500 per command, whole INBOX (median of $FETCH_RUNS) | $A_RATE mails/s ($N mails, $A_MB MB in $(calc '%.2f' "$A_SECONDS") s) |"
  echo "| (b) \`deskmail run --once\`, batch_size $BATCH: fetch, parse, classify, SQLite, move, send replies | $B_RATE mails/s ($N mails in $B_SECONDS s; deskmail's own CPU $B_CPU_S s, $B_CPU%) |"
  echo "| (b) of which processing / sending $B_SENT replies over SMTP | $(calc '%.1f' "$B_PROC_S") s / $(calc '%.1f' "$B_SEND_S") s ($(calc '%.1f' "1000 * $B_PROC_S / $N") / $(calc '%.1f' "1000 * $B_SEND_S / ($B_SENT > 0 ? $B_SENT : 1)") ms per mail) |"
  echo "| (b) peak RSS | $B_RSS MB |"
  echo "| (b) / (a) | $B_RATIO ((a) is ${B_TIMES}x faster: it only reads; (b) also moves each mail, commits to SQLite and sends a reply) |"
  echo "| (c) server floor: imaplib \`UID FETCH\` + \`UID MOVE\` per $BATCH, then smtplib sends the same $FLOOR_SENT replies (+ self-copy) 8 at once | $C_RATE mails/s ($(calc '%.1f' "$FLOOR_SECONDS") s: $(calc '%.1f' "$FLOOR_MOVE_SECONDS") s fetch and move, $(calc '%.1f' "$FLOOR_SEND_SECONDS") s sending) |"
  echo "| (b) / (c): deskmail's time over the floor's | ${C_TIMES}x in all; processing ${C_PROC_TIMES}x the fetch and move, sending ${C_SEND_TIMES}x the floor's sending |"
  echo "| (b) outcome | $B_PROCESSED processed, $B_QUAR quarantined, $B_IN_PROCESSED in Processed, $B_CATCHALL replies delivered, $B_ERRORS errors logged |"
  fi
  if want big; then
  echo "| one $(mb "$BIG1_SIZE") MiB mail ($BIG1_SIZE bytes, < $LIMIT): \`run --once\` | processed, $BIG1_SENT sent, peak RSS $BIG1_RSS MB, $BIG1_S s |"
  echo "| one $(mb "$BIG2_SIZE") MiB mail ($BIG2_SIZE bytes, > $LIMIT): \`run --once\` | quarantined unread, peak RSS $BIG2_RSS MB, $BIG2_S s; listed by \`deskmail quarantine\` (reason: $BIG2_REASON) |"
  fi
  if want latency; then
  echo "| IDLE latency, SMTP 250 -> acknowledgement in the customer's INBOX ($LAT_N mails, poll_interval 60 s) | median $(calc '%.3f' "$LAT_MEDIAN") s, p90 $(calc '%.3f' "$LAT_P90") s, worst $(calc '%.3f' "$LAT_WORST") s (best $(calc '%.3f' "$LAT_BEST") s, $LAT_TIMEOUTS timeouts) |"
  if [ -n "$SPLIT_IN_MEDIAN" ]; then
  echo "| IDLE latency, median split at deskmail's \"processed\" log line | $(calc '%.3f' "$SPLIT_IN_MEDIAN") s from the 250 to processed (Postfix -> Dovecot, IDLE notice, fetch, pipeline), $(calc '%.3f' "$SPLIT_OUT_MEDIAN") s from processed to visible (SMTP send, Postfix -> Dovecot, 20 ms poll) |"
  fi
  echo "| daemon peak RSS during the latency test | $D_RSS MB; SIGTERM -> exit $D_RC in ${D_STOP_MS} ms; $D_OWN self-copies confirmed, $D_ERRORS errors logged |"
  fi
} > "$DIR/summary.txt"
cp "$DIR/summary.txt" "$OUT"
echo >&2
cat "$DIR/summary.txt"
echo
echo "(written to $OUT)"
OK=1
