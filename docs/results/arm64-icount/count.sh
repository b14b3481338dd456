#!/bin/bash
# Counts the arm64 instructions executed in ebmc's own code (functions
# named github.com/ebmc/...) by benchmarks/icount under qemu-aarch64, for
# the NEON build and the portable one (-tags purego), 1 and 3 products,
# dense and binary A. Needs qemu-user. Run from the repository root:
#   bash docs/results/arm64-icount/count.sh > docs/results/arm64-icount/counts.txt
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
GOARCH=arm64 go build -o "$tmp/neon" ./benchmarks/icount
GOARCH=arm64 go build -tags purego -o "$tmp/go" ./benchmarks/icount
for args in "" "-binary"; do
	for bin in go neon; do
		for reps in 1 3; do
			qemu-aarch64 -singlestep -d exec,nochain -D "$tmp/log" "$tmp/$bin" -reps $reps $args >/dev/null
			echo "$bin reps=$reps $args ebmc=$(grep '^Trace' "$tmp/log" | grep -c ebmc)"
			grep '^Trace' "$tmp/log" | grep ebmc | awk '{print $NF}' | sort | uniq -c | sort -rn | head -6
			rm -f "$tmp/log"
		done
	done
done
