#!/usr/bin/env bash
# The README's test command: installs what the tests need (Dovecot, Postfix), then runs the
# whole suite: the rule checks and rule tests staff run, and `cargo test` (unit tests,
# end-to-end tests against a real mail stack, corpus tests).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-deps.sh

# The shared test corpus lives beside the repository; tests read it through this variable.
if [ -z "${DESKMAIL_CORPUS:-}" ] && [ -d ../shared/corpus ]; then
  DESKMAIL_CORPUS=$(cd ../shared/corpus && pwd)
  export DESKMAIL_CORPUS
fi
echo "test.sh: corpus: ${DESKMAIL_CORPUS:-none (corpus tests will be skipped)}"

cargo build --locked
# The Debian package, checked and (as root) installed by tests/package.rs.
bash scripts/package.sh
DESKMAIL_DEB=$(ls -t target/debian/deskmail_*.deb | head -n 1)
export DESKMAIL_DEB
./target/debug/deskmail rules check rules --templates templates
./target/debug/deskmail rules test rules --templates templates
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --locked --no-fail-fast 2>&1 | tee "$log" || status=$?
# One closing line for the whole suite, summed over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i == "passed;") p += $(i-1); if ($i == "failed;") f += $(i-1) } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
