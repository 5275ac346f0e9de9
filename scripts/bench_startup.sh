#!/usr/bin/env bash
# Start-up cost of occ as whole processes (issue 24): wall time and peak RSS
# of `occ --help`, `occ inspect FILE`, the --help of eval, train, predict,
# prep synth and export, and `occ --version`, beside `h5dump -H FILE` as the
# reference in the same run. Every round runs every case of every binary
# once, interleaved, so a busy machine slows all alike; the table prints
# medians over the rounds and the ratios to h5dump.
#   wall: date +%s%N around the process (fork and exec included, as for h5dump)
#   RSS:  /usr/bin/time -f %M (maximum resident set, KiB) of a separate run
# usage: scripts/bench_startup.sh [--rounds N] [--file FRAMES.h5] [OCC ...]
#   OCC: occ binaries to compare (default build/occ), e.g. a main build and this one
#   --file: the file to inspect (default: a 4-frame `occ prep synth` file)
set -euo pipefail
rounds=11
file=
binaries=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --file) file=$2; shift 2 ;;
    -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) binaries+=("$1"); shift ;;
  esac
done
[ ${#binaries[@]} -gt 0 ] || binaries=(build/occ)
command -v h5dump >/dev/null || { echo "bench_startup.sh: h5dump not found (apt install hdf5-tools)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench_startup.sh: /usr/bin/time not found (apt install time)" >&2; exit 1; }
for occ in "${binaries[@]}"; do
  [ -x "$occ" ] || { echo "bench_startup.sh: $occ is not an executable" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "$file" ]; then
  file=$work/small.h5
  "${binaries[0]}" prep synth --scenes 1 --frames-per-scene 4 -q -o "$file"
fi

cases=("--help" "inspect FILE" "eval --help" "train --help" "predict --help" "prep synth --help" "export --help"
  "--version")
# run_case LABEL COMMAND...: one timed run and one RSS run, appended to $work/LABEL.{ms,kib}
run_case() {
  local label=$1
  shift
  local start end
  start=$(date +%s%N)
  "$@" >/dev/null 2>"$work/err" || { echo "bench_startup.sh: '$*' failed:" >&2; cat "$work/err" >&2; exit 1; }
  end=$(date +%s%N)
  echo "$(((end - start) / 1000))" >>"$work/$label.us"
  /usr/bin/time -f %M -o "$work/rss" "$@" >/dev/null 2>&1
  cat "$work/rss" >>"$work/$label.kib"
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

for ((round = 1; round <= rounds; ++round)); do
  run_case ref h5dump -H "$file"
  for b in "${!binaries[@]}"; do
    for c in "${!cases[@]}"; do
      read -r -a args <<<"${cases[$c]/FILE/$file}"
      run_case "b$b.c$c" "${binaries[$b]}" "${args[@]}"
    done
  done
done

ref_ms=$(median <"$work/ref.us" | awk '{ printf "%.1f", $1 / 1000 }')
ref_mib=$(median <"$work/ref.kib" | awk '{ printf "%.1f", $1 / 1024 }')
echo "occ start-up: median of $rounds interleaved rounds; reference h5dump -H $(basename "$file"): $ref_ms ms, $ref_mib MiB"
printf '%-34s %-18s %10s %8s %10s %8s\n' binary command "wall ms" "x h5dump" "peak MiB" "x h5dump"
for b in "${!binaries[@]}"; do
  for c in "${!cases[@]}"; do
    ms=$(median <"$work/b$b.c$c.us" | awk '{ printf "%.1f", $1 / 1000 }')
    mib=$(median <"$work/b$b.c$c.kib" | awk '{ printf "%.1f", $1 / 1024 }')
    printf '%-34s %-18s %10s %8s %10s %8s\n' "${binaries[$b]}" "${cases[$c]}" "$ms" \
      "$(awk -v a="$ms" -v b="$ref_ms" 'BEGIN { printf "%.1f", a / b }')" "$mib" \
      "$(awk -v a="$mib" -v b="$ref_mib" 'BEGIN { printf "%.1f", a / b }')"
  done
done
