#!/usr/bin/env bash
# Load benchmark of `backbone serve` over loopback, bounded in time: requests/s and
# p50/p99 latency of validate and generate for an example, with limits off and on
# (in-memory and Redis rate limits, API-key auth), and optionally a memory soak.
#
#   benches/serve-load.sh                      # 10 s per run
#   DURATION=30 SOAK=300 benches/serve-load.sh # longer runs, then a 5-minute soak
#   TABLE=0 SOAK=300 benches/serve-load.sh     # the soak alone
#
# Needs wrk (Debian package `wrk`); Redis on 127.0.0.1:6379 for the Redis leg (skipped
# when it does not answer). Only 127.0.0.1 is ever targeted.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-1}
EXAMPLE=${EXAMPLE:-examples/library.json}
SOAK=${SOAK:-0}
PORT=${PORT:-18471}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }

cargo build --release --locked --quiet --bin backbone
work=$(mktemp -d)
daemon=""
cleanup() {
  if [ -n "$daemon" ]; then kill -TERM "$daemon" 2>/dev/null || true; wait "$daemon" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/post.lua" <<LUA
wrk.method = "POST"
local file = io.open("$EXAMPLE", "rb")
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
if os.getenv("BENCH_KEY") then wrk.headers["X-API-Key"] = os.getenv("BENCH_KEY") end
LUA

# Quotas high enough that the limiter is exercised on every request but never refuses.
cat >"$work/limits-on.toml" <<TOML
[rate_limit]
public_per_minute = 1000000000
authenticated_per_minute = 1000000000
generation_per_minute = 1000000000
generation_per_hour = 1000000000
validation_per_minute = 1000000000
redis_prefix = "backbone-bench:$$:"
TOML

start() { # start ARGS... (LOG=info to include the cost of the access log)
  ./target/release/backbone serve --listen "127.0.0.1:$PORT" --log "${LOG:-warn}" "$@" >"$work/daemon.log" 2>&1 &
  daemon=$!
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/health/readiness" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "daemon did not start:" >&2; cat "$work/daemon.log" >&2; exit 1
}
stop() { kill -TERM "$daemon" 2>/dev/null || true; wait "$daemon" || true; daemon=""; }

measure() { # measure LABEL ROUTE
  local out
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$work/post.lua" "http://127.0.0.1:$PORT$2")
  local rps p50 p99 non2xx
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  printf '| %-34s | %-16s | %10s | %8s | %8s | %6s |\n' "$1" "$2" "$rps" "$p50" "$p99" "${non2xx:-0}"
}

if [ "${TABLE:-1}" = 1 ]; then
printf 'example %s, %s s per run, %s connections, %s wrk thread(s), %s cores\n\n' "$EXAMPLE" "$DURATION" "$CONNECTIONS" "$THREADS" "$(nproc)"
printf '| %-34s | %-16s | %10s | %8s | %8s | %6s |\n' configuration route req/s p50 p99 non-2xx
printf '|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..36})" "------------------" "------------" "----------" "----------" "--------"

start --no-rate-limit
measure "limits off" /api/v1/validate
measure "limits off" /api/v1/generate
stop

start --config "$work/limits-on.toml" --api-keys bench:bench-key --protect /api/v1/validate,/api/v1/generate
BENCH_KEY=bench-key measure "memory limits + API key" /api/v1/validate
BENCH_KEY=bench-key measure "memory limits + API key" /api/v1/generate
stop

LOG=info start --config "$work/limits-on.toml" --api-keys bench:bench-key
BENCH_KEY=bench-key measure "memory limits + key + JSON logs" /api/v1/validate
stop

if (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  start --config "$work/limits-on.toml" --rate-limit-store redis://127.0.0.1:6379 --api-keys bench:bench-key
  BENCH_KEY=bench-key measure "redis limits + API key" /api/v1/validate
  BENCH_KEY=bench-key measure "redis limits + API key" /api/v1/generate
  stop
else
  echo "note: Redis does not answer on 127.0.0.1:6379; the Redis leg is skipped"
fi

fi

if [ "$SOAK" -gt 0 ]; then
  start --no-rate-limit
  printf '\nsoak: validate for %s s; resident memory (KiB) every 30 s\n' "$SOAK"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SOAK}s" -s "$work/post.lua" "http://127.0.0.1:$PORT/api/v1/validate" >"$work/soak.txt" &
  load=$!
  elapsed=0
  while kill -0 "$load" 2>/dev/null; do
    printf '  t=%4ss rss=%s\n' "$elapsed" "$(awk '/VmRSS/ {print $2}' "/proc/$daemon/status")"
    sleep 30; elapsed=$((elapsed + 30))
  done
  wait "$load" || true
  printf '  end     rss=%s\n' "$(awk '/VmRSS/ {print $2}' "/proc/$daemon/status")"
  awk '/^Requests\/sec/ {print "  soak requests/s: " $2}' "$work/soak.txt"
  stop
fi
