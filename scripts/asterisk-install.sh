#!/usr/bin/env bash
# Installs a real Asterisk for the ARI end-to-end tests, from ../shared/asterisk
# when that folder exists (under /opt/asterisk, needs root), and Switchboard's
# prompts as Asterisk sounds (scripts/asterisk-prompts.sh). Without the folder
# and without an Asterisk at $ASTERISK_HOME or /opt/asterisk it does nothing:
# the tests that need Asterisk then skip and say why.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${SWITCHBOARD_SHARED:-../shared}/asterisk
home=${ASTERISK_HOME:-/opt/asterisk}

sudo=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then sudo="sudo"; fi

if [ -x "$shared/install.sh" ]; then
  $sudo "$shared/install.sh"
elif [ ! -x "$home/sbin/asterisk" ]; then
  echo "asterisk-install: no $shared and no Asterisk at $home; the ARI end-to-end tests will skip" >&2
  exit 0
fi
$sudo ./scripts/asterisk-prompts.sh "$home/var/lib/asterisk/sounds"
