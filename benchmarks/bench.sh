#!/usr/bin/env bash
# Runs the cross-library benchmarks and summarises them with benchstat.
#
#   ./bench.sh          # full: -count 5, a few minutes
#   ./bench.sh quick    # -count 1, small fixed -benchtime, under a minute
#
# Output goes to $BENCH_OUT (default results/latest): raw.txt (go test
# output, benchstat's input), benchstat.txt and table.md (time/op,
# allocs/op and the ratio to prepared raw database/sql per operation).
# BENCH_COUNT overrides -count of a full run; BENCH_DIALECTS (a comma
# list of sqlite, postgres, mysql; all three by default) limits the
# databases; ARC_TEST_PG_URL names the PostgreSQL server (default
# postgres://postgres@127.0.0.1:5432/test?sslmode=disable) and
# ARC_TEST_MYSQL_URL the MariaDB/MySQL one (default
# mysql://root@127.0.0.1:3306/test); each run makes a schema/database of
# its own there and drops it at the end.
set -euo pipefail
cd "$(dirname "$0")"
GO=${GO:-go}
mode=${1:-full}
out=${BENCH_OUT:-results/latest}
case $mode in
full) count=${BENCH_COUNT:-5} fast=1000x slow=200x stream=3x ;;
quick) count=1 fast=100x slow=20x stream=1x ;;
*) echo "usage: $0 [full|quick]" >&2; exit 2 ;;
esac
mkdir -p "$out"
raw=$out/raw.txt
: >"$raw"
run() { # pattern benchtime
	$GO test -run '^$' -bench "$1" -benchmem -count "$count" -benchtime "$2" -timeout 30m . | tee -a "$raw"
}
{
	echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $($GO version), $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "# arc $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- .. 2>/dev/null || echo ' (work tree differs)')"
	echo "# ./bench.sh $mode: count=$count single-row/100-row ops ${fast}, Insert100/Relations ${slow}, Stream ${stream}"
} >>"$raw"
run '^Benchmark(InsertOne|Update|Get|Read100|Count)$' "$fast"
run '^Benchmark(Insert100|Relations)$' "$slow"
run '^BenchmarkStream$' "$stream"
echo "# finished $(date -u '+%H:%M UTC'), load: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$raw"
# 5 samples give a confidence interval at 90 % (benchstat's default 95 %
# needs 6).
$GO tool benchstat -confidence 0.9 "$raw" >"$out/benchstat.txt" 2>/dev/null
$GO tool benchstat -confidence 0.9 -format csv "$raw" 2>/dev/null | $GO run ./cmd/report >"$out/table.md"
echo "wrote $raw, $out/benchstat.txt and $out/table.md"
