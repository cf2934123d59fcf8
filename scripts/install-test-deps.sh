#!/bin/sh
# install-test-deps.sh — install the Debian packages for the test mail stack
# (tests/mailstack/start.sh): dovecot-imapd dovecot-lmtpd postfix openssl, and cargo-deb,
# WITHOUT letting the packages start their system daemons (dovecot on :143/:993,
# postfix on :25). Idempotent: does nothing (not even `apt-get update`) when all
# packages are already installed. Re-runs itself through sudo when not root.
set -eu

PKGS="dovecot-imapd dovecot-lmtpd postfix openssl"

# cargo-deb builds the Debian package the package test installs (scripts/package.sh). It
# comes from crates.io, built by the user's own cargo, so it is installed before the root
# check below.
if ! cargo deb --version >/dev/null 2>&1; then
  echo "install-test-deps.sh: installing cargo-deb (cargo install --locked)"
  cargo install cargo-deb --locked --quiet
fi

missing=
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -z "$missing" ]; then
  echo "install-test-deps.sh: already installed ($PKGS)"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    exec sudo -- sh "$0" "$@"
  fi
  echo "install-test-deps.sh: must run as root (missing:$missing; no sudo found)" >&2
  exit 1
fi

# policy-rc.d exiting 101 makes invoke-rc.d refuse every start/restart during install.
# (Docker-style images already ship one; only add/remove ours if there is none.)
ours=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  ours=1
fi
cleanup() { if [ "$ours" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

# "No configuration": postinst writes no /etc/postfix/main.cf and asks nothing.
echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections

export DEBIAN_FRONTEND=noninteractive
echo "install-test-deps.sh: installing$missing"
apt-get update -qq
apt-get install -y -qq --no-install-recommends $PKGS >/dev/null

# Belt and braces: if some daemon did get started anyway (policy-rc.d not honoured, e.g.
# systemd), stop it by its own pid file. Our test instances never use these.
for pf in /run/dovecot/master.pid /var/spool/postfix/pid/master.pid; do
  if [ -s "$pf" ]; then
    pid=$(tr -d ' \n' < "$pf")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" || true; fi
  fi
done
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now dovecot.service postfix.service >/dev/null 2>&1 || true
fi
echo "install-test-deps.sh: ok"
