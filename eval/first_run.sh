#!/usr/bin/env bash
# Time a newcomer's first `make run`: clone this repository (committed HEAD) into a fresh
# directory with ../shared beside it, start `make run`, poll /health every second, then ask
# for a matchmaker's shortlist with the demo's key. Prints the seconds to each; stops the server.
# Usage: bash eval/first_run.sh [WORKDIR]  (emptied first; default /tmp/werkmatch-first-run)
set -u
repo="$(cd "$(dirname "$0")/.." && pwd)"
root="${1:-/tmp/werkmatch-first-run}"
rm -rf "$root" && mkdir -p "$root" && ln -s "$(cd "$repo/../shared" && pwd)" "$root/shared"
git clone -q "$repo" "$root/werkmatch" && cd "$root/werkmatch" || exit 1
start=$(date +%s)
setsid make run > "$root/make-run.log" 2>&1 &  # its own process group: stopped as one
run=$!
until curl -sf -m 2 http://127.0.0.1:8000/health > /dev/null; do
  sleep 1
  if (( $(date +%s) - start > 1800 )); then
    echo "no /health after 30 min: $root/make-run.log"; kill -- -"$run"; exit 1
  fi
done
health=$(( $(date +%s) - start ))
key=$(awk -F'\t' '$1 == "matchmaker" {print $2}' var/demo/api_keys.txt)
code=$(curl -s -o "$root/shortlist.json" -w "%{http_code}" -H "Authorization: Bearer $key" \
  -H "X-Purpose: first-run timing" "http://127.0.0.1:8000/v1/vacancies/VAC-000001/shortlist?k=5")
echo "health after ${health} s; shortlist HTTP ${code} after $(( $(date +%s) - start )) s (log: $root/make-run.log)"
kill -- -"$run"
wait
