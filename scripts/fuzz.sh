#!/usr/bin/env bash
# Fuzzes deskmail with cargo-fuzz (libFuzzer) on the stable toolchain, each target for a
# bounded time, and prints per target the executions, exec/s, coverage and what it found.
#
#   scripts/fuzz.sh                 # all five targets, FUZZ_SECONDS each, one after the other
#   scripts/fuzz.sh parse screen    # only these
#
# Environment (defaults in brackets):
#   FUZZ_SECONDS [120]      time per target (libFuzzer -max_total_time)
#   FUZZ_JOBS [1]           targets run at once (the machine has 2 cores: at most 2)
#   FUZZ_SANITIZER [address] address | none; see below
#   FUZZ_RSS_MB [2048]      memory limit per target (-rss_limit_mb): over it is an OOM finding
#   FUZZ_TIMEOUT [10]       seconds one input may take (-timeout): over it is a timeout finding
#   FUZZ_MAX_LEN [65536]    largest input (-max_len)
#   DESKMAIL_CORPUS [../shared/corpus]  its *.eml are extra seeds for parse and screen,
#                           copied into a temporary directory, never into the project
#
# cargo-fuzz passes the sanitizer to rustc as `-Zsanitizer=address`, which stable rustc only
# accepts with RUSTC_BOOTSTRAP=1; the rest of its flags (-Cpasses=sancov-module, -Cllvm-args)
# are stable, and libfuzzer-sys builds libFuzzer itself with the system C++ compiler. So
# RUSTC_BOOTSTRAP=1 is set for cargo-fuzz alone when a sanitizer is asked for;
# FUZZ_SANITIZER=none needs no unstable flag at all (and runs about twice as fast, without
# AddressSanitizer's checks of the dependencies' unsafe code).
#
# The working corpus is fuzz/corpus/<target> (gitignored, kept between runs); findings land
# in fuzz/artifacts/<target>/, logs in fuzz/logs/. Minimise a finding with
#   RUSTC_BOOTSTRAP=1 cargo fuzz tmin -O --target-dir fuzz/target/address <target> FILE
# and keep it in fuzz/regressions/<target>/, which tests/fuzz_regressions.rs replays.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.2 # builds with Rust 1.95 (--locked)
FUZZ_SECONDS=${FUZZ_SECONDS:-120}
FUZZ_JOBS=${FUZZ_JOBS:-1}
FUZZ_SANITIZER=${FUZZ_SANITIZER:-address}
FUZZ_RSS_MB=${FUZZ_RSS_MB:-2048}
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-10}
FUZZ_MAX_LEN=${FUZZ_MAX_LEN:-65536}
DESKMAIL_CORPUS=${DESKMAIL_CORPUS:-../shared/corpus}
ALL_TARGETS=(parse screen thread rules compose)
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${ALL_TARGETS[@]}")

# libFuzzer is C++, compiled by libfuzzer-sys's build script.
if ! command -v c++ >/dev/null; then
    [[ $(id -u) -eq 0 ]] || { echo "fuzz.sh: needs a C++ compiler (apt-get install g++)" >&2; exit 1; }
    apt-get update -qq && apt-get install -y -qq g++
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

fuzz_env=()
[[ $FUZZ_SANITIZER == none ]] || fuzz_env=(RUSTC_BOOTSTRAP=1)
# -O: release without cargo-fuzz's global -Cdebug-assertions, so that fuzz/Cargo.toml's
# profile decides per crate (debug assertions and overflow checks on, but not in mail-parser).
# One target directory per sanitizer, so that switching does not rebuild everything.
fuzz() {
    local command=$1
    shift
    env "${fuzz_env[@]}" cargo fuzz "$command" -O --sanitizer "$FUZZ_SANITIZER" \
        --target-dir "fuzz/target/$FUZZ_SANITIZER" "$@"
}

echo "fuzz.sh: $(cargo fuzz --version), $(rustc --version), sanitizer $FUZZ_SANITIZER, ${FUZZ_SECONDS}s per target"
fuzz build

extra=$(mktemp -d)
trap 'rm -rf "$extra"' EXIT
mkdir -p fuzz/logs

# Extra seeds from the shared corpus, when there is one: raw mails for parse; for screen the
# same mails behind the byte that picks the machine signal.
seed_from_corpus() {
    local target=$1 dir=$extra/$1
    mkdir -p "$dir"
    [[ $target == parse || $target == screen ]] && [[ -d $DESKMAIL_CORPUS ]] || return 0
    local n=0 mail
    while IFS= read -r -d '' mail; do
        n=$((n + 1))
        if [[ $target == parse ]]; then
            cp "$mail" "$dir/$n.eml"
        else
            { printf "\\x$(printf %02x $((n % 256)))"; cat "$mail"; } >"$dir/$n.eml"
        fi
    done < <(find "$DESKMAIL_CORPUS" -name '*.eml' -type f -print0)
}

run_target() {
    local target=$1 log=fuzz/logs/$1.log
    mkdir -p "fuzz/corpus/$target" "fuzz/artifacts/$target" "fuzz/regressions/$target"
    seed_from_corpus "$target"
    touch "fuzz/logs/$target.start"
    # A finding stops the target (its input is in fuzz/artifacts); the others go on.
    fuzz run "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" \
        "fuzz/regressions/$target" "$extra/$target" -- \
        -max_total_time="$FUZZ_SECONDS" -rss_limit_mb="$FUZZ_RSS_MB" -timeout="$FUZZ_TIMEOUT" \
        -max_len="$FUZZ_MAX_LEN" -print_final_stats=1 >"$log" 2>&1 || true
    summary "$target"
}

# One line per target from libFuzzer's own figures.
summary() {
    local target=$1 log=fuzz/logs/$1.log
    local seconds execs rate cov ft findings
    seconds=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    cov=$(grep -ao 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    ft=$(grep -ao 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    findings=$(find "fuzz/artifacts/$target" -type f -newer "fuzz/logs/$target.start" -printf '%p ' 2>/dev/null)
    # A finding ends the run before libFuzzer's "Done" line: the time is then unknown.
    printf '%-8s %6ss  execs %-10s exec/s %-7s cov %-6s ft %-7s findings: %s\n' "$target" "${seconds:-?}" \
        "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${findings:-none}" | tee -a fuzz/logs/summary.txt
}

running=0
for target in "${targets[@]}"; do
    [[ " ${ALL_TARGETS[*]} " == *" $target "* ]] || { echo "fuzz.sh: no target $target" >&2; exit 1; }
    run_target "$target" &
    running=$((running + 1))
    if ((running >= FUZZ_JOBS)); then
        wait -n
        running=$((running - 1))
    fi
done
wait
