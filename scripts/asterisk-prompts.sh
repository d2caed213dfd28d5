#!/usr/bin/env bash
# Installs Switchboard's prompts into an Asterisk sounds directory, where the
# ARI transport plays them as sound:switchboard/<lang>/<name>
# (configs/prompts/en/welcome.wav -> SOUNDS/switchboard/en/welcome.wav).
# Usage: scripts/asterisk-prompts.sh [SOUNDS_DIR]   (default /var/lib/asterisk/sounds)
set -euo pipefail
cd "$(dirname "$0")/.."
sounds=${1:-/var/lib/asterisk/sounds}
[ -d "$sounds" ] || { echo "asterisk-prompts: $sounds is not a directory" >&2; exit 1; }
dest="$sounds/switchboard"
mkdir -p "$dest"
for dir in configs/prompts/*/; do
  lang=$(basename "$dir")
  mkdir -p "$dest/$lang"
  cp -f "$dir"*.wav "$dest/$lang/" 2>/dev/null || true
done
echo "asterisk-prompts: installed $(find "$dest" -name '*.wav' | wc -l) prompts under $dest"
