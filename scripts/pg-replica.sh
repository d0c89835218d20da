#!/usr/bin/env bash
# Starts a PostgreSQL streaming replica of the local server
# (127.0.0.1:5432) on 127.0.0.1:5433, for the read-replica tests
# (session/replica_test.go) and the load benchmark. Idempotent: a replica
# already up is left alone, a stopped one is started, a broken one is made
# again. The replica is a second cluster made with `pg_basebackup -R`
# (which writes standby.signal and primary_conninfo) in $ARC_REPLICA_DIR
# (default /var/lib/postgresql/arc-replica-5433), run by the postgres user.
#
# It changes the primary only if it must: pg_hba.conf gets
# `host replication all 127.0.0.1/32 trust` when no replication line is
# there (and the configuration is reloaded).
#
# Usage: scripts/pg-replica.sh [stop]
set -euo pipefail

PRIMARY_PORT=${ARC_PRIMARY_PORT:-5432}
PORT=${ARC_REPLICA_PORT:-5433}
DIR=${ARC_REPLICA_DIR:-/var/lib/postgresql/arc-replica-$PORT}
PGUSER_OS=${ARC_PG_OS_USER:-postgres}

die() { echo "pg-replica: FATAL: $*" >&2; exit 1; }
log() { echo "pg-replica: $*" >&2; }

bindir() {
	local v
	v=$(psql -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -Atc "SHOW server_version_num" postgres 2>/dev/null) ||
		die "the primary at 127.0.0.1:$PRIMARY_PORT is not reachable"
	v=$((v / 10000))
	for d in "/usr/lib/postgresql/$v/bin" "/usr/pgsql-$v/bin" "$(dirname "$(command -v pg_ctl 2>/dev/null || echo /nonexistent/x)")"; do
		[ -x "$d/pg_ctl" ] && [ -x "$d/pg_basebackup" ] && { echo "$d"; return; }
	done
	die "pg_ctl and pg_basebackup of PostgreSQL $v not found"
}

as_pg() {
	if [ "$(id -un)" = "$PGUSER_OS" ]; then "$@"; else runuser -u "$PGUSER_OS" -- "$@"; fi
}

ready() { pg_isready -h 127.0.0.1 -p "$PORT" -q 2>/dev/null; }

in_recovery() {
	[ "$(psql -h 127.0.0.1 -p "$PORT" -U postgres -Atc "SELECT pg_is_in_recovery()" postgres 2>/dev/null)" = "t" ]
}

BIN=$(bindir)

if [ "${1:-}" = "stop" ]; then
	[ -d "$DIR" ] && as_pg "$BIN/pg_ctl" -D "$DIR" -m fast stop || true
	exit 0
fi

if ready; then
	in_recovery || die "127.0.0.1:$PORT is up but is not a replica (pg_is_in_recovery() is false)"
	log "replica already running on 127.0.0.1:$PORT"
	exit 0
fi

# The primary must accept replication connections from 127.0.0.1.
HBA=$(psql -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -Atc "SHOW hba_file" postgres)
if ! grep -Eq '^[[:space:]]*host[[:space:]]+replication[[:space:]]' "$HBA"; then
	log "allowing replication connections from 127.0.0.1 in $HBA"
	echo "host replication all 127.0.0.1/32 trust" >>"$HBA"
	psql -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -Atqc "SELECT pg_reload_conf()" postgres >/dev/null
fi

start() {
	as_pg "$BIN/pg_ctl" -D "$DIR" -l "$DIR/replica.log" -w -t 60 start >/dev/null
}

if [ -f "$DIR/standby.signal" ] && [ -f "$DIR/postgresql.conf" ]; then
	log "starting the existing replica in $DIR"
	if start && ready && in_recovery; then
		exit 0
	fi
	log "the existing replica does not start; making it again"
	as_pg "$BIN/pg_ctl" -D "$DIR" -m immediate stop >/dev/null 2>&1 || true
fi

rm -rf "$DIR"
mkdir -p "$DIR"
chown "$PGUSER_OS" "$DIR"
chmod 700 "$DIR"
log "pg_basebackup of 127.0.0.1:$PRIMARY_PORT into $DIR"
as_pg "$BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$DIR" -R -X stream -c fast
# Debian keeps the configuration out of the data directory: give the
# replica its own.
SOCK=$DIR/run
as_pg mkdir -p "$SOCK"
# A standby needs these at least as high as on the primary.
SAME=$(psql -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -At -F ' = ' -c "SELECT name, setting FROM pg_settings
	WHERE name IN ('max_connections', 'max_worker_processes', 'max_wal_senders',
	               'max_prepared_transactions', 'max_locks_per_transaction')" postgres)
as_pg tee "$DIR/postgresql.conf" >/dev/null <<CONF
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$SOCK'
hot_standby = on
shared_buffers = 64MB
$SAME
CONF
as_pg tee "$DIR/pg_hba.conf" >/dev/null <<CONF
local all all trust
host all all 127.0.0.1/32 trust
CONF
as_pg touch "$DIR/pg_ident.conf"
rm -f "$DIR/postmaster.pid"
start || { tail -n 30 "$DIR/replica.log" >&2; die "the replica did not start"; }
for _ in $(seq 1 60); do ready && in_recovery && break; sleep 1; done
in_recovery || die "the replica on 127.0.0.1:$PORT is not in recovery"
log "replica running on 127.0.0.1:$PORT (data in $DIR)"
