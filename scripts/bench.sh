#!/usr/bin/env bash
# `make bench`: Switchboard against SIPp with the method of shared/BENCH.md,
# side by side with a real Asterisk when one is installed (BENCH.md's
# figures stand in otherwise), printed as one table with the ratio.
#
#   scripts/bench.sh                       full run (1050 concurrent calls, 1000 setups/s)
#   BENCH_CALLS=300 BENCH_RATE=500 scripts/bench.sh     a reduced run
#   BENCH_ASTERISK=0 scripts/bench.sh      Switchboard only (BENCH.md figures for Asterisk)
#
# The machine must be otherwise idle: anything else scheduled on CPU 1 shows
# up as retransmissions (check `uptime` first).
#
# Pinning: the server under test on CPU 1, SIPp, tshark and loadgen on CPU 0.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

CALLS=${BENCH_CALLS:-1050}         # concurrent IVR calls to hold
RATE=${BENCH_RATE:-1000}           # call setups per second
# Asterisk is measured at its own clean level (BENCH.md: 350 calls, 500/s),
# to confirm it on this machine: at Switchboard's load it collapses.
AST_CALLS=${BENCH_AST_CALLS:-350}
AST_RATE=${BENCH_AST_RATE:-500}
SETUP_SECS=${BENCH_SETUP_SECS:-20}
WINDOW=${BENCH_WINDOW:-10}         # measurement window, seconds
SIP_PORT=${BENCH_SIP_PORT:-5080}
AST_PORT=${BENCH_AST_PORT:-5090}
MEDIA_PORT=6000
BIN=${BENCH_BIN:-$root/bin/switchboard}
ASTERISK_HOME=${ASTERISK_HOME:-/opt/asterisk}
SERVER_CPU=${BENCH_SERVER_CPU:-1}
LOAD_CPU=${BENCH_LOAD_CPU:-0}

for tool in sipp tshark dumpcap sox taskset; do
  command -v "$tool" >/dev/null || { echo "bench: $tool missing (make deps installs it)"; exit 1; }
done
[ -x "$BIN" ] || { echo "bench: $BIN missing (make build)"; exit 1; }

work=$(mktemp -d /tmp/switchboard-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "${ast_dir:-}" ] && "$root/../shared/asterisk/instance.sh" stop "$ast_dir" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
cp bench/sipp/*.xml "$work/"
# caller.ulaw: what SIPp streams as the caller's voice (raw 8 kHz u-law).
sox -q -n -r 8000 -c 1 -t ul "$work/caller.ulaw" synth 10 sine 300 sine 450 vol 0.3

proc_cpu() { # pid -> utime+stime ticks
  awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$1/stat"
}
proc_rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

# sipp_stat FILE COLUMN -> last value of a column of SIPp's -stf file
sipp_stat() {
  awk -F';' -v col="$2" 'NR == 1 {for (i = 1; i <= NF; i++) if ($i == col) c = i; next} {v = $c} END {print v + 0}' "$1"
}

# concurrent HOST_PORT SERVICE PID LABEL: hold CALLS IVR calls, measure a window.
concurrent() {
  local port=$1 service=$2 pid=$3 label=$4
  local ramp=$(( (CALLS + 49) / 50 ))
  local hold_ms=$(( (ramp + 3 + WINDOW + 8) * 1000 ))
  local rss0; rss0=$(proc_rss_kib "$pid")
  (cd "$work" && exec taskset -c "$LOAD_CPU" timeout $(( ramp * 2 + hold_ms / 1000 + 60 )) \
     sipp "127.0.0.1:$port" -sf ivr-hold.xml -s "$service" -d "$hold_ms" -r 50 -m "$CALLS" -l "$CALLS" \
     -i 127.0.0.1 -mi 127.0.0.1 -mp "$MEDIA_PORT" -nostdin -trace_stat -stf "hold-$label.csv" -fd 1 \
     >/dev/null 2>&1) &
  local sipp_pid=$!
  sleep $(( ramp + 3 ))
  local cpu0 rss; cpu0=$(proc_cpu "$pid")
  taskset -c "$LOAD_CPU" timeout $(( WINDOW + 5 )) dumpcap -q -i lo -f "udp dst port $MEDIA_PORT" \
     -a duration:"$WINDOW" -w "$work/rtp-$label.pcapng" >/dev/null 2>&1 &
  local cap=$!
  sleep "$WINDOW"
  local cpu1; cpu1=$(proc_cpu "$pid"); rss=$(proc_rss_kib "$pid")
  wait "$cap" || true
  wait "$sipp_pid" || true
  local f="$work/hold-$label.csv"
  local failed retrans created
  failed=$(sipp_stat "$f" 'FailedCall(C)'); retrans=$(sipp_stat "$f" 'Retransmissions(C)')
  created=$(sipp_stat "$f" 'TotalCallCreated')
  # Per stream the server sent: packets/s, max inter-packet delta, mean jitter.
  python3 - "$work/rtp-$label.pcapng" "$WINDOW" > "$work/rtp-$label.txt" <<'PY' || true
import subprocess, sys, statistics
cap, window = sys.argv[1], float(sys.argv[2])
out = subprocess.run(["tshark", "-r", cap, "-o", "rtp.heuristic_rtp:TRUE", "-q", "-z", "rtp,streams"],
                     capture_output=True, text=True).stdout
pps, gaps, jit = [], [], []
for line in out.splitlines():
    # Start End SrcIP SrcPort DstIP DstPort SSRC Payload Pkts Lost (pct) MinDelta MeanDelta MaxDelta MinJit MeanJit MaxJit
    f = line.split()
    s = next((i for i, x in enumerate(f) if x.startswith("0x")), None)
    if s is None:
        continue
    i = s + 2
    while i < len(f) and not f[i].isdigit():
        i += 1
    nums = [x for x in f[i:] if not x.startswith("(")]
    if len(nums) < 8:
        continue
    pps.append(int(nums[0]) / window); gaps.append(float(nums[4])); jit.append(float(nums[6]))
def pct(xs, q):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else 0
print(len(pps), "%.1f" % (statistics.mean(pps) if pps else 0), "%.1f" % pct(gaps, 0.99), "%.2f" % pct(jit, 0.5), "%.2f" % pct(jit, 0.99))
PY
  read -r streams pps gap_p99 jit_p50 jit_p99 < "$work/rtp-$label.txt" || true
  local cpu_pct; cpu_pct=$(awk -v a="$cpu0" -v b="$cpu1" -v w="$WINDOW" 'BEGIN {printf "%.0f", (b - a) / w}')
  local kib; kib=$(awk -v a="$rss0" -v b="$rss" -v n="$CALLS" 'BEGIN {printf "%.0f", (b - a) / n}')
  echo "$label calls=$CALLS created=$created failed=$failed retrans=$retrans streams=${streams:-0} pps=${pps:-0} gap_p99=${gap_p99:-0} jitter_p50=${jit_p50:-0} jitter_p99=${jit_p99:-0} cpu=$cpu_pct rss_mib=$((rss / 1024)) kib_per_call=$kib" \
    | tee "$work/concurrent-$label.txt"
}

# setup_rate PORT SERVICE PID LABEL
setup_rate() {
  local port=$1 service=$2 pid=$3 label=$4
  local n=$(( RATE * SETUP_SECS ))
  local cpu0; cpu0=$(proc_cpu "$pid")
  local t0; t0=$(date +%s.%N)
  (cd "$work" && taskset -c "$LOAD_CPU" timeout $(( SETUP_SECS * 3 + 60 )) \
     sipp "127.0.0.1:$port" -sf setup.xml -s "$service" -r "$RATE" -m "$n" \
     -i 127.0.0.1 -mi 127.0.0.1 -nostdin -trace_stat -stf "setup-$label.csv" -fd 1 \
     -trace_rtt -rtt_freq 1 >/dev/null 2>&1) || true
  local t1; t1=$(date +%s.%N)
  local cpu1; cpu1=$(proc_cpu "$pid")
  local f="$work/setup-$label.csv"
  local ok failed retrans
  ok=$(sipp_stat "$f" 'SuccessfulCall(C)'); failed=$(sipp_stat "$f" 'FailedCall(C)'); retrans=$(sipp_stat "$f" 'Retransmissions(C)')
  local cpu_pct; cpu_pct=$(awk -v a="$cpu0" -v b="$cpu1" -v t0="$t0" -v t1="$t1" 'BEGIN {printf "%.0f", (b - a) / (t1 - t0)}')
  local p99; p99=$(cat "$work"/*_rtt.csv 2>/dev/null | awk -F';' '$3 == 1 || $3 == "rtd1" {print $2}' | sort -n \
    | awk '{a[NR] = $1} END {i = int(NR * 0.99); if (i < 1) i = 1; if (NR) printf "%.1f", a[i]; else print "n/a"}' || true)
  rm -f "$work"/*_rtt.csv
  echo "$label rate=$RATE ok=$ok failed=$failed retrans=$retrans cpu=$cpu_pct p99_ms=$p99" | tee "$work/setup-$label.txt"
}

field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" "$1"; }

echo "== Switchboard (CPU $SERVER_CPU) =="
taskset -c "$SERVER_CPU" "$BIN" serve --config configs/bench/switchboard.yaml --sip "127.0.0.1:$SIP_PORT" \
  --http 127.0.0.1:0 --data "$work/data" > "$work/serve.log" 2>&1 &
sb_pid=$!; pids+=("$sb_pid")
for _ in $(seq 100); do grep -q "switchboard ready" "$work/serve.log" && break; sleep 0.1; done
grep -q "switchboard ready" "$work/serve.log" || { cat "$work/serve.log"; exit 1; }
concurrent "$SIP_PORT" 96069 "$sb_pid" switchboard
sleep 2
setup_rate "$SIP_PORT" 96069 "$sb_pid" switchboard
echo "-- loadgen (our own caller: prompt audio checked, digits sent) --"
taskset -c "$LOAD_CPU" "$BIN" loadgen --target "127.0.0.1:$SIP_PORT" --calls 100 --rate 50 --hold 4s \
  --digits 1,2 --digit-delay 1s --pid "$sb_pid" 2>/dev/null | tee "$work/loadgen.txt" || true

ast=""
if [ "${BENCH_ASTERISK:-1}" != 0 ] && [ -x "$ASTERISK_HOME/sbin/asterisk" ] && [ -x "$root/../shared/asterisk/instance.sh" ]; then
  echo "== Asterisk (CPU $SERVER_CPU, extension 96070) =="
  ast_dir="$work/asterisk"
  ast_pid=$("$root/../shared/asterisk/instance.sh" start "$ast_dir" --sip "$AST_PORT" --http 18088 --rtp 40000-49999 | tail -1)
  taskset -cp "$SERVER_CPU" "$ast_pid" >/dev/null
  for t in $(ls /proc/"$ast_pid"/task); do taskset -cp "$SERVER_CPU" "$t" >/dev/null 2>&1 || true; done
  CALLS=$AST_CALLS RATE=$AST_RATE concurrent "$AST_PORT" 96070 "$ast_pid" asterisk
  sleep 2
  CALLS=$AST_CALLS RATE=$AST_RATE setup_rate "$AST_PORT" 96070 "$ast_pid" asterisk
  ast=measured
fi

s_c="$work/concurrent-switchboard.txt"; s_s="$work/setup-switchboard.txt"
clean_c=no; [ "$(field "$s_c" failed)" = 0 ] && [ "$(field "$s_c" retrans)" = 0 ] && clean_c=yes
clean_s=no; [ "$(field "$s_s" failed)" = 0 ] && [ "$(field "$s_s" retrans)" = 0 ] && clean_s=yes
if [ -n "$ast" ]; then
  a_c="$work/concurrent-asterisk.txt"; a_s="$work/setup-asterisk.txt"
  a_calls=$(field "$a_c" calls); a_rate=$(field "$a_s" rate)
  a_cpu_c=$(field "$a_c" cpu); a_kib=$(field "$a_c" kib_per_call); a_cpu_s=$(field "$a_s" cpu)
  a_clean_c=no; [ "$(field "$a_c" failed)" = 0 ] && [ "$(field "$a_c" retrans)" = 0 ] && a_clean_c=yes
  a_clean_s=no; [ "$(field "$a_s" failed)" = 0 ] && [ "$(field "$a_s" retrans)" = 0 ] && a_clean_s=yes
  a_note="measured in this run"
else
  a_calls=350; a_rate=500; a_cpu_c=87; a_kib=358; a_cpu_s=67; a_clean_c=yes; a_clean_s=yes
  a_note="BENCH.md figures"
fi
echo
echo "== Result (server pinned to one core; clean = 0 failed calls, 0 retransmissions) =="
printf '%-12s %-34s %-34s %s\n' "" "concurrent IVR calls" "call setups/s" "KiB per call"
printf '%-12s %-34s %-34s %s\n' "Switchboard" \
  "$CALLS clean=$clean_c cpu=$(field "$s_c" cpu)% pps=$(field "$s_c" pps) jit99=$(field "$s_c" jitter_p99)ms" \
  "$RATE clean=$clean_s cpu=$(field "$s_s" cpu)% p99=$(field "$s_s" p99_ms)ms" \
  "$(field "$s_c" kib_per_call)"
printf '%-12s %-34s %-34s %s\n' "Asterisk" "$a_calls clean=$a_clean_c cpu=${a_cpu_c}%" "$a_rate clean=$a_clean_s cpu=${a_cpu_s}%" "$a_kib   ($a_note)"
awk -v c="$CALLS" -v ac="$a_calls" -v r="$RATE" -v ar="$a_rate" -v k="$(field "$s_c" kib_per_call)" -v ak="$a_kib" \
  'BEGIN {printf "%-12s %-34s %-34s %s\n", "ratio", sprintf("%.1fx", c / ac), sprintf("%.1fx", r / ar), (k > 0 ? sprintf("%.1fx less", ak / k) : "n/a")}'
echo "(a ratio counts only when both rows say clean=yes; raise BENCH_CALLS/BENCH_RATE until Switchboard is no longer clean to find its ceiling)"
