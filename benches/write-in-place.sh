#!/usr/bin/env bash
# The write phase of `backbone generate` on a synthetic 1 000-table document, as the
# README's in-place table reports it: from the run's lock on OUT to its exit, traced with
# strace (only flock and exit_group, so the tracing costs nothing), median of RUNS runs per
# case: a first run, nothing changed, one table changed, and both again with a 20 000-file
# `.venv` inside OUT.
#
#   benches/write-in-place.sh                          # target/release/backbone
#   BACKBONE=/path/to/other/backbone benches/write-in-place.sh   # e.g. an older build
#
# Needs strace and python3, and the documents from
# `cargo test --test properties -- --ignored write_big_document` (/tmp/synthetic-1000.json).
set -euo pipefail
cd "$(dirname "$0")/.."

BACKBONE=$(realpath "${BACKBONE:-target/release/backbone}")
RUNS=${RUNS:-7}
WORK=target/bench-write-in-place
rm -rf "$WORK" && mkdir -p "$WORK"
DOCUMENT=$WORK/doc.json
CHANGED=$WORK/doc-changed.json
cp /tmp/synthetic-1000.json "$DOCUMENT"
# One table's description changes: its model module changes, nothing else.
sed 's/"Entity 500: \\"quoted\\", 100% synthetic."/"Entity 500, described anew."/' "$DOCUMENT" >"$CHANGED"
cmp -s "$DOCUMENT" "$CHANGED" && { echo "the change did not apply" >&2; exit 1; }

# Prints "<write seconds> <whole run seconds>" for one run of "$@".
run() {
    local started ended
    started=$(date +%s.%N)
    strace -f --seccomp-bpf -ttt -e trace=flock,exit_group -o "$WORK/trace" "$@" >/dev/null 2>&1
    ended=$(date +%s.%N)
    python3 - "$WORK/trace" "$started" "$ended" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
locked = [float(line.split()[1]) for line in lines if "flock(" in line]
exited = [float(line.split()[1]) for line in lines if "exit_group(" in line]
print(f"{exited[-1] - locked[0]:.3f} {float(sys.argv[3]) - float(sys.argv[2]):.2f}")
PY
}

median() {
    python3 -c 'import sys, statistics as s
rows = [line.split() for line in sys.stdin.read().split("\n") if line]
print("write %.3f s, whole run %.2f s" % (s.median(float(r[0]) for r in rows), s.median(float(r[1]) for r in rows)))'
}

OUT=$WORK/out
repeat() { for _ in $(seq "$RUNS"); do "$@"; done; }
first() { rm -rf "$OUT"; run "$BACKBONE" generate "$DOCUMENT" -o "$OUT"; }
same() { run "$BACKBONE" generate "$DOCUMENT" -o "$OUT"; }
one() { "$BACKBONE" generate "$DOCUMENT" -o "$OUT" >/dev/null 2>&1; run "$BACKBONE" generate "$CHANGED" -o "$OUT"; }

echo "first run:                $(repeat first | median)"
echo "nothing changed:          $(repeat same | median)"
echo "one table changed:        $(repeat one | median)"
for package in $(seq 0 199); do
    mkdir -p "$OUT/.venv/lib/pkg$package"
    for module in $(seq 0 99); do echo x >"$OUT/.venv/lib/pkg$package/m$module.py"; done
done
echo "nothing changed, .venv:   $(repeat same | median)"
echo "one table changed, .venv: $(repeat one | median)"
