#!/usr/bin/env bash
# Growth (issue 22): what processing, the staff commands and the metrics endpoint cost as
# the history grows. For each size N (stored messages; default 10000 100000 1000000) a
# database is built by `deskmail-bench growth-db` (a pool of generated mail through the real
# pipeline, copied back in time in SQL), then measured in a release build:
#   run --once     1,000 new generated mails from a Maildir (ms per mail, CPU ms per mail,
#                  peak RSS), ROUNDS times (default 5) with as many sets of new mail; the sizes
#                  take turns within each round, so that what else the machine does weighs on
#                  every size alike; the median, and the median of the rounds' ratios
#   tickets, show, sla, status   the staff commands (median wall time of 5 runs, peak RSS);
#                  `tickets` plain, by state, by customer, and searching a word found in few
#                  tickets (a transaction id), one found in many ("refund"), one in every
#                  follow-up (还没有), and "refund" of one customer
#   metrics        a scrape of /metrics from a running daemon (median of 5, curl)
#   replay         `rules replay` over the newest 100,000 stored mails (or all there are)
#   size           database bytes per stored message
# Prints one table, and the ratio of each figure to the first size's, measured in this run.
# Usage: scripts/bench-growth.sh [N...]   (env: GROWTH_DIR=/tmp/deskmail-growth, ROUNDS=5, PLAIN=1 to
# store raw mail uncompressed, as before issue 22; REUSE=1 measures the databases a run before
# built instead of building them again (each run adds its ROUNDS x 1,000 new mails: give it MAIL_SEED
# another number than the runs before, so that the new mail is new to the database)
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=("${@:-10000 100000 1000000}")
read -r -a SIZES <<< "${SIZES[*]}"
DIR=${GROWTH_DIR:-/tmp/deskmail-growth}
cargo build --release --bin deskmail-bench --bin deskmail >/dev/null
BIN=$PWD/target/release/deskmail
BENCH=$PWD/target/release/deskmail-bench
mkdir -p "$DIR"
# ROUNDS sets of 1,000 new mails, written today (their Date fields, which begin their content
# keys), the same at every size: `run --once` is timed over each in
# turn (the median is taken; each set is new to the database).
SEED=${MAIL_SEED:-4241}
ROUNDS=${ROUNDS:-5}
for set in $(seq "$ROUNDS"); do
  mail=$DIR/new-mail-$SEED-$set
  [ -d "$mail" ] || "$BENCH" generate 1000 "$mail" --seed $((SEED + set)) --today >/dev/null
done
plain=()
[ "${PLAIN:-0}" = 1 ] && plain=(--plain)

# Wall seconds and peak RSS (KB) of one run of a command, appended to $1 (stdout dropped).
once() {
  python3 - "$@" <<'PY'
import subprocess, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
# /usr/bin/time reports the peak RSS of the command alone (a forked Python would count its own).
rss = out + ".rss"
start = time.perf_counter()
status = subprocess.call(["/usr/bin/time", "-f", "%M %U %S", "-o", rss, *cmd], stdout=subprocess.DEVNULL)
elapsed = time.perf_counter() - start
if status != 0:
    sys.exit(f"{cmd}: exit status {status}")
kb, user, system = open(rss).read().split()[-3:]
# Wall seconds, peak RSS (KB), CPU seconds (user + system: less swayed by a busy machine).
open(out, "a").write(f"{elapsed:.6f} {kb} {float(user) + float(system):.2f}\n")
PY
}
# The same, 5 times.
timed() {
  for _ in 1 2 3 4 5; do once "$@"; done
}

# Each size's database, built (or kept, REUSE=1), and its configuration.
for n in "${SIZES[@]}"; do
  work=$DIR/n$n
  if [ "${REUSE:-0}" = 1 ] && [ -f "$work/deskmail.db" ]; then
    # The figures of the run before go; the database (and its build time) stays. The run
    # before's mail (thousands of files) is moved aside, not deleted: for minutes after a mass
    # deletion ext4 looks past each recently freed inode for every new file
    # (`recently_deleted`), which had taken half of a pass. Delete $DIR/set-aside when done.
    rm -f "$work"/*.time "$work"/*.rss "$work"/*.count
    aside=$DIR/set-aside/$(date +%s)-n$n
    mkdir -p "$aside"
    for d in mailbox outbox; do
      [ -e "$work/$d" ] && mv "$work/$d" "$aside/"
    done
    mkdir -p "$work/mailbox/new" "$work/mailbox/cur" "$work/mailbox/tmp"
  else
    rm -rf "$work"
    mkdir -p "$work/mailbox/new" "$work/mailbox/cur" "$work/mailbox/tmp"
    t0=$(date +%s.%N)
    "$BENCH" growth-db "$n" "$work/deskmail.db" "${plain[@]}"
    t1=$(date +%s.%N)
    echo "$t0 $t1" > "$work/build.seconds"
  fi
  # Its size before the new mail comes.
  sqlite3 "$work/deskmail.db" "SELECT COUNT(*) FROM messages" > "$work/stored.count"
  stat -c %s "$work/deskmail.db" > "$work/bytes.count"
  port=$((20000 + RANDOM % 20000))
  echo "$port" > "$work/port.count"
  cat > "$work/deskmail.toml" <<TOML
[mailbox]
kind = "maildir"
path = "mailbox"
batch_size = 100
[smtp]
kind = "maildir"
path = "outbox"
[support]
address = "support@example.test"
staff = ["staff@example.test"]
[storage]
path = "deskmail.db"
[rules]
dir = "$PWD/rules"
[templates]
dir = "$PWD/templates"
[metrics]
listen = "127.0.0.1:$port"
TOML
done

# Processing: round by round, each size in turn over the same new mail. Each database is read
# once first: this VM gives an idle file's pages back to the host (kdamond), and a run that
# found the million's 4.5 GB cold measured the disk, not deskmail (2.4 ms a mail in the first
# round, 1.2 ms in the seventh).
for n in "${SIZES[@]}"; do
  cat "$DIR/n$n"/deskmail.db* > /dev/null
done
for set in $(seq "$ROUNDS"); do
  for n in "${SIZES[@]}"; do
    work=$DIR/n$n
    cp "$DIR"/new-mail-$SEED-$set/*.eml "$work/mailbox/new/"
    before=$(sqlite3 "$work/deskmail.db" "SELECT COUNT(*) FROM messages")
    once "$work/run.time" "$BIN" run --once --config "$work/deskmail.toml" 2>> "$work/run.log"
    after=$(sqlite3 "$work/deskmail.db" "SELECT COUNT(*) FROM messages")
    # Wall seconds, peak RSS, CPU seconds per new mail, one line a round.
    echo "$(tail -n 1 "$work/run.time" | awk -v n=$((after - before)) '{ printf "%.9f %s %.9f", $1 / n, $2, $3 / n }')" >> "$work/mail.time"
  done
done

# The staff commands, replay and the scrape, size by size.
results=$DIR/results.tsv
: > "$results"
for n in "${SIZES[@]}"; do
  work=$DIR/n$n
  cfg=(--config "$work/deskmail.toml")
  read -r t0 t1 < "$work/build.seconds"
  stored=$(cat "$work/stored.count")
  bytes=$(cat "$work/bytes.count")
  port=$(cat "$work/port.count")
  processed=$(sqlite3 "$work/deskmail.db" "SELECT COUNT(*) FROM messages")
  ticket=$(sqlite3 "$work/deskmail.db" "SELECT id FROM tickets WHERE id = (SELECT MAX(id) / 2 FROM tickets)")
  customer=$(sqlite3 "$work/deskmail.db" "SELECT customer FROM tickets WHERE id = $ticket")
  # A word of that ticket's text found in few tickets (a transaction id), and a common one.
  rare=$(sqlite3 "$work/deskmail.db" "SELECT new_text FROM messages WHERE ticket_id = $ticket" | grep -o 'T[0-9]\{9,\}' | head -n 1 || true)
  timed "$work/tickets.time" "$BIN" tickets "${cfg[@]}"
  timed "$work/tickets_state.time" "$BIN" tickets --state closed "${cfg[@]}"
  timed "$work/tickets_customer.time" "$BIN" tickets --customer "$customer" "${cfg[@]}"
  timed "$work/search_rare.time" "$BIN" tickets --search "${rare:-T2026}" "${cfg[@]}"
  timed "$work/search_common.time" "$BIN" tickets --search refund "${cfg[@]}"
  timed "$work/search_everywhere.time" "$BIN" tickets --search 还没有 "${cfg[@]}"
  timed "$work/search_customer.time" "$BIN" tickets --search refund --customer "$customer" "${cfg[@]}"
  timed "$work/show.time" "$BIN" show "$ticket" "${cfg[@]}"
  timed "$work/sla.time" "$BIN" sla "${cfg[@]}"
  timed "$work/status.time" "$BIN" status "${cfg[@]}"
  # The newest 100,000 stored mails: --since reaches back to the 100,000th newest.
  newest=$(sqlite3 "$work/deskmail.db" "SELECT received_at FROM messages WHERE state = 'processed' ORDER BY received_at DESC LIMIT 1 OFFSET 99999")
  since=$(( ($(date +%s) - ${newest:-0}) / 60 + 1 ))m
  once "$work/replay.time" sh -c "exec \"\$0\" \"\$@\" > $work/replay.json" "$BIN" rules replay --since "$since" --json "${cfg[@]}"
  replayed=$(python3 -c "import json; print(json.load(open('$work/replay.json'))['replayed'])")
  # A scrape of the running daemon's endpoint.
  "$BIN" run "${cfg[@]}" 2> "$work/daemon.log" &
  daemon=$!
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done
  for _ in 1 2 3 4 5; do
    curl -s -o /dev/null -w "%{time_total} 0\n" "http://127.0.0.1:$port/metrics" >> "$work/metrics.time"
  done
  kill "$daemon"; wait "$daemon" || true
  python3 - "$n" "$stored" "$bytes" "$processed" "$replayed" "$t0" "$t1" "$work" >> "$results" <<'PY'
import sys, statistics
n, stored, size, processed, replayed = map(int, sys.argv[1:6])
t0, t1 = float(sys.argv[6]), float(sys.argv[7])
work = sys.argv[8]
def read(name):
    rows = [l.split() for l in open(f"{work}/{name}.time") if l.strip() and l.split()[0][0].isdigit()]
    return statistics.median(float(r[0]) for r in rows), max(int(r[1]) for r in rows)
mail_s, run_kb = read("mail")
rounds = [l.split() for l in open(f"{work}/mail.time") if l.strip()]
cpu_s = statistics.median(float(r[2]) for r in rounds)
row = {"n": stored, "build_s": t1 - t0, "bytes_per_msg": size / stored,
       "mail_ms": mail_s * 1000, "mail_cpu_ms": cpu_s * 1000, "run_rss_mb": run_kb / 1024}
# Each round's figures, for the ratios round by round.
row["mail_rounds"] = ",".join(r[0] for r in rounds)
row["mail_cpu_rounds"] = ",".join(r[2] for r in rounds)
for name in ["tickets", "tickets_state", "tickets_customer", "search_rare", "search_common",
             "search_everywhere", "search_customer", "show", "sla", "status", "metrics"]:
    s, kb = read(name)
    row[f"{name}_ms"] = s * 1000
    if name != "metrics":
        row[f"{name}_rss_mb"] = kb / 1024
s, kb = read("replay")
row["replay_us_per_mail"] = s * 1e6 / max(replayed, 1)
row["replayed"] = replayed
row["replay_rss_mb"] = kb / 1024
print("\t".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()))
PY
  tail -n 1 "$results"
done

python3 - "$results" <<'PY'
import sys, statistics
rows = [dict(f.split("=", 1) for f in l.strip().split("\t")) for l in open(sys.argv[1]) if l.strip()]
keys = [k for k in rows[0] if not k.endswith("_rounds")]
print()
print("| figure | " + " | ".join(f"{int(r['n']):,} messages" for r in rows) + " | " +
      " | ".join(f"ratio {int(r['n']):,} / {int(rows[0]['n']):,}" for r in rows[1:]) + " |")
print("|" + " --- |" * (1 + 2 * len(rows) - 1))
for k in keys[1:]:
    vals = [float(r[k]) for r in rows]
    ratios = [f"{v / vals[0]:.2f}x" if vals[0] else "-" for v in vals[1:]]
    print(f"| {k} | " + " | ".join(f"{v:,.2f}" for v in vals) + " | " + " | ".join(ratios) + " |")
# Processing, round by round: each size against the first in the same round (they ran one
# after the other), the median of those ratios.
for k in ["mail_rounds", "mail_cpu_rounds"]:
    per = [[float(x) for x in r[k].split(",")] for r in rows]
    ratios = [statistics.median(a / b for a, b in zip(p, per[0])) for p in per[1:]]
    spread = [f"{min(a / b for a, b in zip(p, per[0])):.2f}-{max(a / b for a, b in zip(p, per[0])):.2f}" for p in per[1:]]
    print(f"| {k}: median of the rounds' ratios (range) | " + " | ".join("" for _ in rows) + " | " +
          " | ".join(f"{q:.2f}x ({s})" for q, s in zip(ratios, spread)) + " |")
PY
