#!/usr/bin/env bash
# Regenerates configs/prompts/<lang>/*.wav (8 kHz mono 16-bit PCM) from
# scripts/prompts.tsv with espeak-ng, plus digits, numbers 0-99, a beep and
# music on hold. The WAVs are committed so `serve` needs nothing at run time;
# run this only after editing prompts.tsv. Needs espeak-ng and sox.
# With names as arguments (scripts/gen-prompts.sh callback_refused ...) only
# those prompts of prompts.tsv are written, in both languages, and nothing
# else is touched.
set -euo pipefail
cd "$(dirname "$0")/.."
out=configs/prompts
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

say() { # lang text file
  local voice=en-us speed=165
  [ "$1" = zh ] && voice=cmn && speed=160
  espeak-ng -v "$voice" -s "$speed" -w "$tmp/raw.wav" "$2"
  sox -q "$tmp/raw.wav" -r 8000 -c 1 -b 16 -e signed-integer "$3" norm -3
}

if [ $# -gt 0 ]; then
  for lang in en zh; do
    while IFS=$'\t' read -r name en zh; do
      [[ -z "$name" || "$name" == \#* ]] && continue
      for want in "$@"; do
        if [ "$name" = "$want" ]; then
          text=$en; [ "$lang" = zh ] && text=$zh
          say "$lang" "$text" "$out/$lang/$name.wav"
        fi
      done
    done < scripts/prompts.tsv
  done
  echo "prompts $* written to $out"
  exit 0
fi

en_digits=(zero one two three four five six seven eight nine)
zh_digits=(零 一 二 三 四 五 六 七 八 九)
for lang in en zh; do
  mkdir -p "$out/$lang/digits" "$out/$lang/numbers"
  while IFS=$'\t' read -r name en zh; do
    [[ -z "$name" || "$name" == \#* ]] && continue
    text=$en; [ "$lang" = zh ] && text=$zh
    say "$lang" "$text" "$out/$lang/$name.wav"
  done < scripts/prompts.tsv
  for d in 0 1 2 3 4 5 6 7 8 9; do
    if [ "$lang" = en ]; then say en "${en_digits[$d]}" "$out/en/digits/$d.wav"
    else say zh "${zh_digits[$d]}" "$out/zh/digits/$d.wav"; fi
  done
  say "$lang" "$([ $lang = en ] && echo star || echo 星号)" "$out/$lang/digits/star.wav"
  say "$lang" "$([ $lang = en ] && echo pound || echo 井号)" "$out/$lang/digits/pound.wav"
  for n in $(seq 0 99); do say "$lang" "$n" "$out/$lang/numbers/$n.wav"; done
  # A short 1 kHz beep before recordings, and music on hold: a slow arpeggio.
  sox -q -n -r 8000 -c 1 -b 16 "$out/$lang/beep.wav" synth 0.4 sine 1000 vol 0.5
done
mkdir -p "$tmp/moh"
i=0
for f in 262 330 392 523 392 330 294 349 440 587 440 349; do
  sox -q -n -r 8000 -c 1 -b 16 "$tmp/moh/$(printf %02d $i).wav" synth 0.75 sine "$f" sine "$((f*3/2))" fade q 0.05 0.75 0.2 vol 0.35
  i=$((i+1))
done
sox -q "$tmp"/moh/*.wav "$tmp/moh1.wav"
sox -q "$tmp/moh1.wav" "$tmp/moh1.wav" "$tmp/moh1.wav" "$out/en/moh.wav"
cp "$out/en/moh.wav" "$out/zh/moh.wav"
echo "prompts written to $out"
