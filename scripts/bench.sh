#!/usr/bin/env bash
# The README's benchmark command ("Prove it"): builds in release, generates 10,000 realistic
# customer mails (once), then measures on one thread
#   - deskmail parse + screen + classify against mail-parser alone, over the shared corpus
#     and over the generated mails (the latter under /usr/bin/time -v for the peak RSS);
#   - classify with the default rules against the default rules plus 1,000 synthetic ones;
#   - the hostile mails of tests/faults.rs through `deskmail run --once` (scripts/bench-hostile.sh).
# Usage: scripts/bench.sh            (env: BENCH_MAILS=/tmp/deskmail-bench-mails BENCH_N=10000)
set -euo pipefail
cd "$(dirname "$0")/.."

MAILS=${BENCH_MAILS:-/tmp/deskmail-bench-mails}
N=${BENCH_N:-10000}
CORPUS=${DESKMAIL_CORPUS:-../shared/corpus}
BENCH=./target/release/deskmail-bench

section() { printf '\n==== %s\n\n' "$*"; }

section "build (release)"
cargo build --release --bin deskmail-bench --bin deskmail

if [ ! -d "$MAILS" ] || [ -z "$(ls -A "$MAILS" 2>/dev/null)" ]; then
  section "generate $N mails into $MAILS"
  "$BENCH" generate "$N" "$MAILS"
else
  section "generated mails: $MAILS exists ($(find "$MAILS" -name '*.eml' | wc -l) mails), kept"
fi

for set in support automated not-automated malformed; do
  if [ -d "$CORPUS/$set" ]; then
    section "corpus: $CORPUS/$set"
    "$BENCH" corpus "$CORPUS/$set"
  else
    section "corpus: $CORPUS/$set missing, skipped"
  fi
done

section "corpus: generated mails ($MAILS)"
if [ -x /usr/bin/time ]; then
  /usr/bin/time -v -o /tmp/deskmail-bench-time.txt "$BENCH" corpus "$MAILS"
  grep -E 'Maximum resident set size|Elapsed \(wall clock\)|User time|Percent of CPU' /tmp/deskmail-bench-time.txt |
    sed 's/^[[:space:]]*/time -v: /'
  rss_kb=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' /tmp/deskmail-bench-time.txt)
  bytes=$(find "$MAILS" -name '*.eml' -printf '%s\n' | awk '{s += $1} END {print s}')
  echo "peak RSS: $((rss_kb / 1024)) MB, with all $((bytes / 1000000)) MB of mail held in memory"
else
  echo "(/usr/bin/time not found: no peak RSS; apt-get install time)"
  "$BENCH" corpus "$MAILS"
fi

section "rules: default vs default + 1000 synthetic"
"$BENCH" rules 1000 --corpus "$MAILS"

section "hostile mails: deskmail run --once, one each (scripts/bench-hostile.sh)"
BENCH_NO_BUILD=1 scripts/bench-hostile.sh
