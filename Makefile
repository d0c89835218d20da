# Arc — common tasks. `make demo` runs the tutorial on SQLite (no server);
# `make test` runs every test on SQLite, PostgreSQL and MariaDB/MySQL.
GO ?= go
PKGS := ./...

.PHONY: demo test test-short lint vet fmt bench bench-quick bench-targets build arctl replica bench-load fuzz fuzz-query fuzz-uow fuzz-diff bench-everyday bench-instr

demo:
	$(GO) run ./examples/tutorial

test: vet
	$(GO) test -race -count=1 $(PKGS)

test-short:
	ARC_TEST_DIALECTS=sqlite $(GO) test -count=1 $(PKGS)

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)

# staticcheck at a pinned version, fetched through the module proxy on
# first use (not a dependency of Arc's go.mod).
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
lint: vet
	$(STATICCHECK) ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

build:
	$(GO) build $(PKGS)

arctl:
	$(GO) build -o bin/arctl ./cmd/arctl

# Benchmarks against raw database/sql in the same run (every dialect; the
# comparison module also on MariaDB at ARC_TEST_MYSQL_URL, BENCH_DIALECTS
# selects):
# Arc's own (./session/), then the comparison with GORM, bun and sqlx
# (benchmarks/, a separate module; results in benchmarks/results/latest/).
# `bench` takes a few minutes, `bench-quick` under one.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 -benchtime 300x -timeout 20m ./session/
	cd benchmarks && GO=$(GO) ./bench.sh full

bench-quick:
	$(GO) test -run '^$$' -bench . -benchmem -count 1 -benchtime 200x ./session/
	cd benchmarks && GO=$(GO) ./bench.sh quick

# The issues' speed targets: the benchmarks they name, in 8 rounds (the
# test binary run 8 times, so that Arc and the hand-written database/sql
# benchmark of a round run seconds apart), each Arc result divided by the
# raw result of its round (see docs/performance.md). About 3 minutes; raw
# output in benchmarks/results/latest/targets.txt.
TARGETS := '^Benchmark(InsertCommit|UpdateOneColumn|Get|Flush|Query|RelSelectIn|RelJoined)$$'
ROUNDS ?= 8
bench-targets:
	mkdir -p benchmarks/results/latest
	$(GO) test -c -o benchmarks/results/latest/session.test ./session/
	rm -f benchmarks/results/latest/targets.txt
	cd session && for r in $$(seq $(ROUNDS)); do echo "round $$r of $(ROUNDS)"; \
		../benchmarks/results/latest/session.test -test.run '^$$' -test.bench $(TARGETS) -test.benchmem -test.benchtime 0.2s \
			>> ../benchmarks/results/latest/targets.txt || exit 1; \
	done
	cd benchmarks && $(GO) run ./cmd/ratios < results/latest/targets.txt

# Instructions per operation of the issue-25 item-3 benchmarks (raw and Arc)
# under valgrind's callgrind, repeatable on a shared machine; about 25
# minutes for the default set. INSTR_RE, INSTR_DIALECTS narrow it.
INSTR_RE ?= ^BenchmarkQuery$$/./^100rows/(raw|arc)$$|^Benchmark(RelSelectIn|RelJoined)$$/./^(raw|arc)$$
INSTR_DIALECTS ?= sqlite,postgres
bench-instr:
	sh benchmarks/instr.sh '$(INSTR_RE)' $(INSTR_DIALECTS)

# Go fuzz targets, each for FUZZTIME (their seed corpora also run in
# `make test`). A failing input is written under the package's
# testdata/fuzz/ by go test; turn it into a named regression test.
FUZZTIME ?= 20s
FUZZ_TARGETS := ./dialect/postgres/:FuzzAppendArrayElem ./migrate/:FuzzChecksOf ./expr/:FuzzText ./internal/tag/:FuzzParse ./meta/:FuzzTagModel ./fixtures/:FuzzRead ./engine/:FuzzOpenURL
fuzz:
	@for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "== $$fn ($$pkg, $(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done
	$(MAKE) fuzz-query QCHECKS=1000
	$(MAKE) fuzz-uow
	$(MAKE) fuzz-diff

# The randomized model-based test of the unit of work, longer than CI runs
# it (docs/session.md#how-it-is-tested).
UOWCHECKS ?= 2000
fuzz-uow:
	$(GO) test -count=1 -timeout 60m -run '^TestRandomizedUnitOfWork$$' ./session/ -rapid.checks=$(UOWCHECKS)

# The randomized model-based test of migrate.Diff (models -> create_all ->
# other models -> diff -> up -> down), longer than CI runs it
# (docs/migrations.md).
DIFFCHECKS ?= 200
fuzz-diff:
	$(GO) test -count=1 -timeout 60m -run '^TestRandomizedDiffRoundTrip$$' ./migrate/ -rapid.checks=$(DIFFCHECKS)

# Issue 25's five everyday operations (insert 1, insert 100, update 1, get
# 1, read 100) for raw database/sql (unprepared autocommit: the baseline;
# and prepared), sqlx, GORM (with and without PrepareStmt), bun and Arc on
# SQLite, PostgreSQL over lib/pq and over pgx, and MariaDB over
# go-sql-driver/mysql (BENCH_DIALECTS selects): round trips counted on a
# loopback proxy, then EVERYDAY_ROUNDS interleaved rounds in one process,
# printed as medians of paired ratios (cmd/everyday). A few minutes;
# output in benchmarks/results/latest/everyday.{txt,md}.
EVERYDAY_ROUNDS ?= 10
bench-everyday:
	mkdir -p benchmarks/results/latest
	cd benchmarks && EVERYDAY_RT=results/latest/roundtrips.md $(GO) test -count=1 -run '^TestRoundTrips$$' .
	cd benchmarks && EVERYDAY_ROUNDS=$(EVERYDAY_ROUNDS) $(GO) test -run '^$$' -bench '^BenchmarkEveryday$$' \
		-benchtime 30x -benchmem -timeout 30m . > results/latest/everyday.txt
	cd benchmarks && $(GO) run ./cmd/everyday results/latest/roundtrips.md < results/latest/everyday.txt | tee results/latest/everyday.md

# A PostgreSQL streaming replica of the local server on 127.0.0.1:5433
# (pg_basebackup -R into a second cluster; idempotent), for the replica
# tests and bench-load. `scripts/pg-replica.sh stop` stops it.
replica:
	./scripts/pg-replica.sh

# The load benchmark of docs/performance.md: N concurrent requests (8, 32,
# 128), one session each, read-then-write and read-only, on SQLite (file,
# default URL), PostgreSQL and MariaDB (default options), against
# hand-written database/sql in the same run. Loopback only, a minute or two.
bench-load:
	cd benchmarks && $(GO) run ./cmd/load $(LOADFLAGS)

# The differential query check, longer than CI's 5 x 100 predicates per
# dialect (docs/querying.md#differential-check). QCHECKS per dataset.
QCHECKS ?= 5000
fuzz-query:
	ARC_RAPID_CHECKS=$(QCHECKS) ARC_QDIFF_DATASETS=10 ARC_QDIFF_SEED=$$(date +%s) $(GO) test -count=1 -timeout 60m -run '^TestQueryDifferential$$' -v ./session/
