#!/usr/bin/env bash
# Installs Switchboard's prompts into an Asterisk sounds directory, where the
# ARI transport plays them as sound:switchboard/<lang>/<name>
# (configs/prompts/en/welcome.wav -> SOUNDS/switchboard/en/welcome.wav,
#  configs/prompts/zh/digits/7.wav -> SOUNDS/switchboard/zh/digits/7.wav).
# Usage: scripts/asterisk-prompts.sh [SOUNDS_DIR]   (default /var/lib/asterisk/sounds)
set -euo pipefail
cd "$(dirname "$0")/.."
sounds=${1:-/var/lib/asterisk/sounds}
[ -d "$sounds" ] || { echo "asterisk-prompts: $sounds is not a directory" >&2; exit 1; }
dest="$sounds/switchboard"
mkdir -p "$dest"
cp -R configs/prompts/. "$dest/"
echo "asterisk-prompts: installed $(find "$dest" -name '*.wav' | wc -l) prompts under $dest"
