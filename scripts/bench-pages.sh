#!/usr/bin/env bash
# Which indexes a pass writes back (issue 22, "A year of mail"): copies a database that
# scripts/bench-growth.sh built, runs `run --once` over 1,000 new generated mails on the copy,
# then compares the copy with the original page by page and counts the 4 KB pages that changed
# per b-tree (table or index, named by SQLite's `dbstat`; pages past the original's end or on
# its free list count as "(new or free)"). An index with random keys changes about one page
# per mail once it is much larger than a pass; one that grows at its end, a handful.
# Usage: scripts/bench-pages.sh GROWTH_DIR/nN [SEED]   (needs python3 and the sqlite3 shell;
# the copy needs as much free disk as the database)
set -euo pipefail
cd "$(dirname "$0")/.."
src=${1:?usage: scripts/bench-pages.sh GROWTH_DIR/nN [SEED]}
seed=${2:-99002}
cargo build --release --bin deskmail-bench --bin deskmail >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/mailbox/new" "$work/mailbox/cur" "$work/mailbox/tmp" "$work/outbox"
cp "$src/deskmail.toml" "$src/deskmail.db" "$work/"
# A database of an older schema is migrated (and backed up) by a pass with no mail first, so
# that the pass measured changes only what processing changes.
target/release/deskmail run --once --config "$work/deskmail.toml" 2>/dev/null
rm -f "$work"/deskmail.db.before-*.bak
cp "$work/deskmail.db" "$work/before.db"
target/release/deskmail-bench generate 1000 "$work/mailbox/new" --seed "$seed" --today >/dev/null
target/release/deskmail run --once --config "$work/deskmail.toml" 2>/dev/null
sqlite3 "$work/before.db" "SELECT pageno, name FROM dbstat" > "$work/owners.txt"
python3 - "$work/before.db" "$work/deskmail.db" "$work/owners.txt" <<'PY'
import collections, sys
before, after, owners = sys.argv[1:4]
size = 4096
owner = {}
for line in open(owners):
    page, name = line.rstrip("\n").split("|", 1)
    owner[int(page)] = name
changed = collections.Counter()
with open(before, "rb") as a, open(after, "rb") as b:
    page = 0
    while True:
        x, y = a.read(size * 256), b.read(size * 256)
        if not y:
            break
        for i in range(0, len(y), size):
            page += 1
            if x[i:i + size] != y[i:i + size]:
                changed[owner.get(page, "(new or free)")] += 1
print(f"pages changed by one pass of 1,000 new mails: {sum(changed.values())}")
for name, n in changed.most_common():
    print(f"{n:7}  {name}")
PY
