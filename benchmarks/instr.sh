#!/bin/sh
# Instructions per operation of session benchmarks, counted by valgrind's
# callgrind: repeatable where time on a shared machine is not (see
# docs/performance.md, "Eager loads and tracked reads, third round").
#
#   benchmarks/instr.sh [bench-regex [dialects [short long]]]
#
# Each benchmark runs twice, for `short` and `long` iterations, in one
# process each (GOMAXPROCS=1, no async preemption: callgrind needs both);
# the difference of the two counts divided by long-short is the cost of
# one iteration with the setup cancelled out. Keep long-short large (1,000
# for a 100-row query, 200 for an eager load of 1,100 objects): the count
# includes the collector, and a window of only a few collector cycles
# moves it by 10 % depending on where they fall.
set -eu
re=${1:-'^BenchmarkQuery$/./^100rows/(raw|arc)$|^Benchmark(RelSelectIn|RelJoined)$/./^(raw|arc)$'}
dialects=${2:-sqlite,postgres}
short=${3:-20}
long=${4:-1020}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/session.test" "$root/session"
cd "$root/session"
names=$(ARC_TEST_DIALECTS=$dialects "$tmp/session.test" -test.run '^$' -test.bench "$re" -test.benchtime 1x |
	awk '/^Benchmark/ {sub(/-[0-9]+$/, "", $1); print $1}')
for name in $names; do
	exact="^$(echo "$name" | sed 's|/|$/^|g')\$"
	for n in "$short" "$long"; do
		GOMAXPROCS=1 GODEBUG=asyncpreemptoff=1 ARC_TEST_DIALECTS=$dialects valgrind --tool=callgrind \
			--callgrind-out-file="$tmp/cg.out" "$tmp/session.test" -test.run '^$' -test.bench "$exact" \
			-test.benchtime "${n}x" >/dev/null 2>"$tmp/cg.$n"
	done
	a=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$tmp/cg.$short")
	b=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$tmp/cg.$long")
	echo "$name $(( (b - a) / (long - short) )) instr/op"
done
