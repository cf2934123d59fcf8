#!/usr/bin/env bash
# Resource limits, measured ("Prove it"): each hostile mail of tests/faults.rs (10,000 MIME
# parts, 100 levels of nesting, a 1 MB header line, a 20 MiB base64 part of zeros) is put
# alone in a Maildir and taken by the release binary's `deskmail run --once`, as cron runs it
# (parse, screen, classify, the SQLite commit, the reply into a Maildir outbox), under
# /usr/bin/time -v: wall time, peak RSS, and what became of the mail. `0-ordinary-mail`, a
# one-line customer mail, shows what any run costs (start, SQLite, rules, one reply).
# Usage: scripts/bench-hostile.sh   (env: BENCH_NO_BUILD=1 uses the existing release build,
# BENCH_KEEP=1 keeps the work directory with each run's log and database)
set -euo pipefail
cd "$(dirname "$0")/.."
PROJECT=$(pwd)
DESKMAIL=$PROJECT/target/release/deskmail
BENCH=$PROJECT/target/release/deskmail-bench

if [ -z "${BENCH_NO_BUILD:-}" ]; then
  cargo build --release --bin deskmail-bench --bin deskmail
fi
if [ ! -x /usr/bin/time ]; then
  echo "bench-hostile.sh: /usr/bin/time is needed (apt-get install time)" >&2
  exit 1
fi

WORK=$(mktemp -d /tmp/deskmail-hostile.XXXXXX)
[ -n "${BENCH_KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT
"$BENCH" hostile "$WORK/mails" >/dev/null

echo "| mail | size | outcome | wall time | peak RSS |"
echo "| --- | ---: | --- | ---: | ---: |"
for mail in "$WORK"/mails/*.eml; do
  case=$(basename "$mail" .eml)
  dir=$WORK/$case
  mkdir -p "$dir/mailbox/new" "$dir/mailbox/cur" "$dir/mailbox/tmp"
  cp "$mail" "$dir/mailbox/new/1.eml"
  sed -e "s|^dir = \"rules\"|dir = \"$PROJECT/rules\"|" \
      -e "s|^dir = \"templates\"|dir = \"$PROJECT/templates\"|" \
      fixtures/demo.toml > "$dir/deskmail.toml"
  (cd "$dir" && /usr/bin/time -v -o time.txt "$DESKMAIL" run --once --config deskmail.toml >out.txt 2>err.txt)
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$dir/time.txt")
  rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$dir/time.txt")
  # `messages: processed 1` or `messages: quarantined 1`
  outcome=$(cd "$dir" && "$DESKMAIL" status --config deskmail.toml 2>&1 | awk -F':[[:space:]]+' '/^messages:/ {print $2}')
  replies=$(find "$dir/outbox" -type f 2>/dev/null | wc -l)
  size=$(stat -c %s "$mail")
  printf '| %s | %.1f MB | %s; %s mail(s) out | %s | %d MB |\n' \
    "$case" "$(echo "$size / 1000000" | bc -l)" "$outcome" "$replies" "$wall" "$((rss_kb / 1024))"
done
