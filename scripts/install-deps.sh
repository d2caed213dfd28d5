#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine: the packages listed
# in scripts/debian-packages.txt (real SIP user agents, audio tools,
# Chromium), and Asterisk from ../shared/asterisk when that folder exists.
# Quick and quiet when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null; then sudo="sudo"; else
    echo "install-deps: not root and no sudo; skipping package installation" >&2; exit 0
  fi
fi

missing=()
while read -r pkg; do
  pkg=${pkg%%#*}; pkg=$(echo "$pkg" | xargs)
  [ -z "$pkg" ] && continue
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done < scripts/debian-packages.txt

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The redis-server, kamailio and postgresql packages start system services on the
# well-known ports (6379, 5060, 5432) where the machine has an init system; the
# tests start their own throw-away servers on free ports, so keep the system
# ones stopped and disabled.
for svc in redis-server kamailio postgresql; do
  if command -v systemctl >/dev/null && systemctl is-active --quiet "$svc" 2>/dev/null; then
    $sudo systemctl disable --now "$svc" >/dev/null 2>&1 || true
  elif [ -x "/etc/init.d/$svc" ] && "/etc/init.d/$svc" status >/dev/null 2>&1; then
    $sudo "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
    command -v update-rc.d >/dev/null && $sudo update-rc.d "$svc" disable >/dev/null 2>&1 || true
  fi
done

if [ -x scripts/asterisk-install.sh ]; then
  ./scripts/asterisk-install.sh
fi
