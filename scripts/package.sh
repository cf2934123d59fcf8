#!/usr/bin/env bash
# Builds the Debian package target/debian/deskmail_*.deb: the release binary, the systemd
# units (deskmail.service, deskmail@.service), the default rules and templates under
# /usr/share/deskmail, /etc/deskmail/deskmail.toml pointing at them, the `deskmail` system
# user (postinst), man pages (clap_mangen) and shell completions (clap_complete).
# Needs cargo-deb (scripts/install-test-deps.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --locked
bin=target/release/deskmail
assets=target/deb-assets
rm -rf "$assets"
mkdir -p "$assets"/{man,completions}

"$bin" man "$assets/man" >/dev/null
gzip -9n "$assets"/man/*.1
"$bin" completions bash > "$assets/completions/deskmail.bash"
"$bin" completions zsh > "$assets/completions/_deskmail"
"$bin" completions fish > "$assets/completions/deskmail.fish"


cargo deb --no-build
