#!/usr/bin/env bash
# `deskmail rules replay` throughput: BENCH_N generated customer mails (default 10,000) are
# processed once by `run --once` (Maildir in, Maildir out) into a fresh database, then the
# replay of all of them is timed, three times, with the same rules (the reference in the same
# run: `deskmail classify --json` over the same files, which parses and classifies them
# without the database). Prints mails/s for both and their ratio.
# Usage: scripts/bench-replay.sh        (env: BENCH_MAILS=/tmp/deskmail-bench-mails BENCH_N=10000)
set -euo pipefail
cd "$(dirname "$0")/.."

MAILS=${BENCH_MAILS:-/tmp/deskmail-bench-mails}
N=${BENCH_N:-10000}
cargo build --release --bin deskmail-bench --bin deskmail >/dev/null
BIN=$PWD/target/release/deskmail
if [ ! -d "$MAILS" ] || [ -z "$(ls -A "$MAILS" 2>/dev/null)" ]; then
  ./target/release/deskmail-bench generate "$N" "$MAILS" >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/mailbox/new" "$work/mailbox/cur" "$work/mailbox/tmp"
find "$MAILS" -name '*.eml' | sort | head -n "$N" > "$work/files"
while read -r f; do cp "$f" "$work/mailbox/new/"; done < "$work/files"
count=$(ls "$work/mailbox/new" | wc -l)
cat > "$work/deskmail.toml" <<TOML
[mailbox]
kind = "maildir"
path = "mailbox"
batch_size = 200
[smtp]
kind = "maildir"
path = "outbox"
[support]
address = "support@example.test"
[storage]
path = "deskmail.db"
[rules]
dir = "$PWD/rules"
[templates]
dir = "$PWD/templates"
TOML
"$BIN" run --once --config "$work/deskmail.toml"

now() { date +%s.%N; }
for pass in 1 2 3; do
  t0=$(now)
  "$BIN" rules replay --since 3650d --json --config "$work/deskmail.toml" > "$work/replay.json"
  t1=$(now)
  xargs -n 2000 "$BIN" classify --json --config "$work/deskmail.toml" < "$work/files" > /dev/null
  t2=$(now)
  replayed=$(python3 -c "import json,sys; print(json.load(open('$work/replay.json'))['replayed'])")
  python3 - "$t0" "$t1" "$t2" "$replayed" "$count" <<'PY'
import sys
t0, t1, t2, replayed, count = map(float, sys.argv[1:])
replay = replayed / (t1 - t0)
classify = count / (t2 - t1)
print(f"pass: replay {int(replayed)} mails in {t1 - t0:.2f} s = {replay:,.0f} mails/s; "
      f"classify --json {int(count)} files in {t2 - t1:.2f} s = {classify:,.0f} mails/s; "
      f"replay/classify = {replay / classify:.2f}x")
PY
done
