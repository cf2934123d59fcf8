#!/bin/sh
# The phrasing figures of the README (issue 17): splits the development sets of
# $DESKMAIL_CORPUS/phrasing into a dev part and a held-out part (shuffled with seed 17),
# turns each into mails with the corpus's to_mail.py and scores them with its score.py. With
# PHRASING_REST=1 it also scores the rows outside that split ("rest": BANKING77 and Cathay; the
# AFQMC file has none), the README's figures for "the rows outside our split".
# usage: [PHRASING_REST=1] scripts/phrasing-score.sh [DESKMAIL_BINARY] [OUTDIR]
set -eu
corpus=${DESKMAIL_CORPUS:-../shared/corpus}/phrasing
binary=${1:-target/release/deskmail}
out=${2:-/tmp/deskmail-phrasing}
mkdir -p "$out"
python3 - "$corpus" "$out" <<'PY'
import random, sys
corpus, out = sys.argv[1], sys.argv[2]
for name, dev, held in [("banking77-train", 2000, 1000), ("cathay-train", 3000, 1500), ("afqmc-dev", 500, 244)]:
    lines = open(f"{corpus}/{name}.tsv", encoding="utf-8").read().splitlines()
    head, rows = lines[0], lines[1:]
    random.Random(17).shuffle(rows)
    for part, chosen in [("dev", rows[:dev]), ("ho", rows[dev:dev + held]), ("rest", rows[dev + held:])]:
        if not chosen:
            continue
        with open(f"{out}/{name}.{part}.tsv", "w", encoding="utf-8") as f:
            f.write("\n".join([head] + chosen) + "\n")
PY
parts="dev ho"
[ "${PHRASING_REST:-0}" = 1 ] && parts="$parts rest"
for part in $parts; do
    folders=""
    for name in banking77-train cathay-train afqmc-dev; do
        [ -f "$out/$name.$part.tsv" ] || continue # AFQMC has no rows outside the split
        rm -rf "$out/mails/$name.$part"
        python3 "$corpus/to_mail.py" "$out/$name.$part.tsv" "$out/mails/$name.$part" >/dev/null
        folders="$folders $out/mails/$name.$part"
    done
    # shellcheck disable=SC2086 # the folders are words by design (no spaces in $out)
    python3 "$corpus/score.py" "$binary" $folders --cwd "$(pwd)" --json "$out/$part.json" \
        --mistakes "$out/$part-wrong.tsv"
done
