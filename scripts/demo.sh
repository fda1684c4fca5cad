#!/usr/bin/env bash
# `make demo`: the main job end to end, offline. Start the simulated marketplace on a free 127.0.0.1 port,
# crawl it for review sellers, show the flagged sellers, look one up, export the flags, stop the testbed.
#
# The simulated marketplace answers 5% of requests with a block page, as a real one does. The crawl comes
# through them (each blocked page is retried with backoff, up to 8 times: a page stays blocked with odds of
# 0.05^9), and should one still stay blocked, the crawl says so (exit 1, "blocked") and the demo goes on to
# export and verify what was stored: a demo never depends on luck. Any other failure stops it.
set -euo pipefail
out="${DEMO_DIR:-demo-output}"
mkdir -p "$out"
db="$out/gigscan.db"
rm -f "$db" "$db-wal" "$db-shm" "$out/port"

gigscan testbed serve --port 0 --seed 7 --listings 600 --block-rate 0.05 --port-file "$out/port" >/dev/null &
testbed_pid=$!
trap 'kill "$testbed_pid" 2>/dev/null || true; wait "$testbed_pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$out/port" ] && break; sleep 0.1; done
[ -s "$out/port" ] || { echo "demo: the testbed did not start" >&2; exit 1; }
base="http://127.0.0.1:$(cat "$out/port")"
echo "== simulated marketplace at $base"

echo "== crawl"
status=0
gigscan crawl fiverr --base-url "$base" --db "$db" --delay 0 --max-pages 2 --set RETRY_TIMES=8 \
  --query "amazon reviews" --query "google reviews" --query "trustpilot reviews" --query "5 star reviews" \
  --query "app reviews" --query "logo design" || status=$?
case "$status" in
  0) ;;
  1) echo "demo: the crawl ended incomplete (the reason is above); exporting what it stored" >&2 ;;
  *) echo "demo: the crawl could not run (exit $status)" >&2; exit "$status" ;;
esac

echo "== export"
gigscan export --db "$db" --format csv --output "$out/flagged.csv"
gigscan export --db "$db" --format jsonl --output "$out/flagged.jsonl"
gigscan export --db "$db" --format html --output "$out/report.html"
gigscan export --db "$db" --format exhibit --output "$out/exhibit.txt"
head -n 8 "$out/exhibit.txt"

if [ -s "$out/flagged.jsonl" ]; then
  first=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["username"])' "$out/flagged.jsonl")
  echo "== search $first (and look-alike usernames)"
  gigscan search "$first" --fuzzy --db "$db"
  echo "== history $first"
  gigscan history "$first" --db "$db" > "$out/history.txt"
  head -n 25 "$out/history.txt"
else
  echo "demo: nothing was flagged, so there is no seller to look up" >&2
fi

echo "== verify the evidence log"
gigscan verify --db "$db"

echo
echo "database: $db"
echo "exports:  $out/flagged.csv  $out/flagged.jsonl  $out/report.html  $out/exhibit.txt"
