#!/usr/bin/env bash
# wrk against `swingpipe serve` on loopback: GET /health (no key) and an authenticated
# GET /v1/library/stats with the key cache warm (one bcrypt, cost 12, before the measurement).
#
#   tools/bench-server.sh [--duration 10s] [--connections 16] [--threads 2] [--recordings 24]
#
# The server gets http.threads = connections (each keep-alive connection holds a worker), no rate
# limit, and the demo library; everything lives in a temporary folder that is removed at the end.
# Prints wrk's report (--latency) for both endpoints and a summary line each: req/s and p99.
# Needs wrk (Debian) and a built swingpipe: $SWINGPIPE_BIN, or build*/tools/swingpipe.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=10s connections=16 threads=2 recordings=24
while [[ $# -gt 0 ]]; do
  case $1 in
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --recordings) recordings=$2; shift 2 ;;
    *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "bench-server: wrk is not installed (apt-get install wrk)" >&2; exit 2; }
bin=${SWINGPIPE_BIN:-}
if [[ -z $bin ]]; then
  for b in build/tools/swingpipe build*/tools/swingpipe; do [[ -x $b ]] && { bin=$b; break; }; done
fi
[[ -x ${bin:-} ]] || { echo "bench-server: no swingpipe binary (build first or set SWINGPIPE_BIN)" >&2; exit 2; }

work=$(mktemp -d)
server_pid=
cleanup() {
  [[ -n $server_pid ]] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$bin" --quiet --library "$work/library.db" demo-data --count "$recordings" >/dev/null
key=$("$bin" --json keys --keys-db "$work/keys.db" create --name bench --scopes read |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["secret"])')
cat >"$work/server.json" <<EOF
{
  "listen": {"host": "127.0.0.1", "port": 0},
  "data": {"library": "$work/library.db", "keys_database": "$work/keys.db",
           "tasks_database": "$work/tasks.db", "output_dir": "$work/out"},
  "http": {"threads": $connections, "rate_limit_per_second": 0}
}
EOF
mkfifo "$work/out.fifo"
"$bin" --json --quiet serve --config "$work/server.json" >"$work/out.fifo" 2>"$work/server.log" &
server_pid=$!
exec 3<"$work/out.fifo"
read -r -t 60 line <&3 || { echo "bench-server: the server did not start:" >&2; cat "$work/server.log" >&2; exit 1; }
port=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["port"])' "$line")
base=http://127.0.0.1:$port

# Warm: the first authenticated request pays the one bcrypt.
python3 - "$base" "$key" <<'EOF'
import sys, urllib.request
req = urllib.request.Request(sys.argv[1] + "/v1/library/stats",
                             headers={"Authorization": "Bearer " + sys.argv[2]})
assert urllib.request.urlopen(req).status == 200
EOF

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "wrk -t$threads -c$connections -d$duration --latency; server: $bin, http.threads=$connections"
summary=()
for target in health stats; do
  if [[ $target == health ]]; then
    out=$(wrk -t"$threads" -c"$connections" -d"$duration" --latency "$base/health")
  else
    out=$(wrk -t"$threads" -c"$connections" -d"$duration" --latency \
      -H "Authorization: Bearer $key" "$base/v1/library/stats")
  fi
  echo "== $target"
  echo "$out"
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  summary+=("$target: ${rps} req/s, p99 ${p99}${errors:+, non-2xx $errors}")
done
echo "== summary"
printf '%s\n' "${summary[@]}"
