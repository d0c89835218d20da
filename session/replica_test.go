package session_test

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/arcorm/arc/engine"
	"github.com/arcorm/arc/internal/dbtest"
	"github.com/arcorm/arc/migrate"
	"github.com/arcorm/arc/session"
)

// Whoami is a view that says which server answered: its id and port are
// inet_server_port() (5432 on the primary, 5433 on the replica).
type Whoami struct {
	ID   int64
	Port int64
}

func (Whoami) TableName() string { return "whoami" }

// replicaURL is where the PostgreSQL streaming replica of the test
// server listens (scripts/pg-replica.sh, make replica, .ci/run).
func replicaURL() string {
	if u := os.Getenv("ARC_TEST_PG_REPLICA_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5433/test?sslmode=disable"
}

// requireReplica skips without the replica, except under CI=true.
func requireReplica(t *testing.T) {
	t.Helper()
	dbtest.RequirePG(t)
	db, err := sql.Open("postgres", replicaURL())
	if err == nil {
		defer db.Close()
		var rec bool
		if err = db.QueryRow("SELECT pg_is_in_recovery()").Scan(&rec); err == nil && !rec {
			t.Fatalf("%s is not a replica", replicaURL())
		}
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the PostgreSQL replica at %s is required in CI but unreachable: %v", replicaURL(), err)
		}
		t.Skipf("no PostgreSQL replica at %s (run make replica, or set ARC_TEST_PG_REPLICA_URL): %v", replicaURL(), err)
	}
}

// withSearchPath returns raw with the search_path of schemaURL.
func withSearchPath(t *testing.T, raw, schemaURL string) string {
	t.Helper()
	s, err := url.Parse(schemaURL)
	require.NoError(t, err)
	u, err := url.Parse(raw)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", s.Query().Get("search_path"))
	u.RawQuery = q.Encode()
	return u.String()
}

func port(t *testing.T, ctx context.Context) int64 {
	t.Helper()
	w, err := session.Select[Whoami]().First(ctx)
	require.NoError(t, err)
	return w.Port
}

// TestReplicaRoutingPostgres: against a real streaming replica, a
// read-only session and a session's reads before its first write go to
// the replica; a write, and every read of the session after it, go to
// the primary; WithPrimary keeps a session on the primary.
func TestReplicaRoutingPostgres(t *testing.T) {
	if !enabledDialect("postgres") {
		t.Skip("postgres not in ARC_TEST_DIALECTS")
	}
	requireReplica(t)
	ctx := context.Background()
	primary := dbtest.NewSchemaURL(t)
	eng, err := engine.Open(ctx, primary, engine.WithReplicas(withSearchPath(t, replicaURL(), primary)))
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close() })
	require.NoError(t, migrate.CreateAll(ctx, eng, User{}))
	_, err = eng.Exec(ctx, "CREATE VIEW whoami AS SELECT inet_server_port()::bigint AS id, inet_server_port()::bigint AS port")
	require.NoError(t, err)
	// Wait for the replica to replay the view (replication lag).
	rep := eng.Replicas()[0]
	for tries := 0; ; tries++ {
		require.Less(t, tries, 1500, "the replica did not replay the view in 30 s: is replication running?")
		var n int
		require.NoError(t, rep.DB().QueryRowContext(ctx, "SELECT count(*) FROM information_schema.views WHERE table_name = 'whoami' AND table_schema = current_schema()").Scan(&n))
		if n == 1 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}

	ro := session.New(eng, session.ReadOnly())
	assert.Equal(t, int64(5433), port(t, session.With(ctx, ro)), "read-only session reads the replica")
	require.NoError(t, ro.Close(ctx))

	s := session.New(eng)
	sctx := session.With(ctx, s)
	assert.Equal(t, int64(5433), port(t, sctx), "reads before the first write go to the replica")
	require.NoError(t, s.Add(&User{Name: "ed"}))
	require.NoError(t, s.Flush(sctx))
	assert.Equal(t, int64(5432), port(t, sctx), "reads after a write go to the primary")
	require.NoError(t, s.Commit(sctx))
	assert.Equal(t, int64(5432), port(t, sctx), "and stay there after the commit (read your writes)")
	require.NoError(t, s.Close(ctx))

	p := session.New(eng, session.WithPrimary())
	assert.Equal(t, int64(5432), port(t, session.With(ctx, p)), "WithPrimary")
	require.NoError(t, p.Close(ctx))

	// A replica that is down: reads fall back to the primary, whether it
	// was down at Open or is found down by a read.
	for _, opts := range [][]engine.Option{nil, {engine.WithoutPing()}} {
		down := withSearchPath(t, "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=2", primary)
		e2, err := engine.Open(ctx, primary, append(opts, engine.WithReplicas(down))...)
		require.NoError(t, err)
		e2.Logger().SetOutput(discardWriter{})
		ro := session.New(e2, session.ReadOnly())
		assert.Equal(t, int64(5432), port(t, session.With(ctx, ro)), "fallback to the primary")
		require.NoError(t, ro.Close(ctx))
		require.NoError(t, e2.Close())
	}
}

type discardWriter struct{}

func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }

// TestReplicaRoutingSQLite: the same routing with a second SQLite file
// standing in for the replica (its rows differ, so each read shows where
// it ran).
func TestReplicaRoutingSQLite(t *testing.T) {
	if !enabledDialect("sqlite") {
		t.Skip("sqlite not in ARC_TEST_DIALECTS")
	}
	ctx := context.Background()
	primaryURL, replicaURL := dbtest.SQLiteURL(t), dbtest.SQLiteURL(t)+"x"
	for url, name := range map[string]string{primaryURL: "primary", replicaURL: "replica"} {
		e, err := engine.Open(ctx, url)
		require.NoError(t, err)
		require.NoError(t, migrate.CreateAll(ctx, e, User{}))
		_, err = e.Exec(ctx, "INSERT INTO users (id, name, fullname, nickname) VALUES (1, ?, '', '')", name)
		require.NoError(t, err)
		require.NoError(t, e.Close())
	}
	eng, err := engine.Open(ctx, primaryURL, engine.WithReplicas(replicaURL))
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close() })
	rec := dbtest.Record(eng)
	name := func(ctx context.Context) string {
		u, err := session.Select[User]().PopulateExisting().First(ctx)
		require.NoError(t, err)
		return u.Name
	}

	ro := session.New(eng, session.ReadOnly())
	assert.Equal(t, "replica", name(session.With(ctx, ro)))
	require.NoError(t, ro.Close(ctx))
	assert.Empty(t, filterSQL(rec.Statements(), "BEGIN"), "a read-only session sends no BEGIN")

	s := session.New(eng)
	sctx := session.With(ctx, s)
	assert.Equal(t, "replica", name(sctx))
	require.NoError(t, s.Add(&User{Name: "new"}))
	require.NoError(t, s.Flush(sctx))
	assert.Equal(t, "primary", name(sctx), "a session reads its writes from the primary")
	require.NoError(t, s.Commit(sctx))
	assert.Equal(t, "primary", name(sctx))
	require.NoError(t, s.Close(ctx))

	p := session.New(eng, session.WithPrimary())
	assert.Equal(t, "primary", name(session.With(ctx, p)))
	require.NoError(t, p.Close(ctx))
	assert.Equal(t, 2, countRows(t, eng, "users", ""), "the write went to the primary")
}

// TestReplicaRoundRobin: reads are spread over the replicas in turn.
func TestReplicaRoundRobin(t *testing.T) {
	if !enabledDialect("sqlite") {
		t.Skip("sqlite not in ARC_TEST_DIALECTS")
	}
	ctx := context.Background()
	base := dbtest.SQLiteURL(t)
	urls := []string{base, base + "r1", base + "r2"}
	for i, u := range urls {
		e, err := engine.Open(ctx, u)
		require.NoError(t, err)
		require.NoError(t, migrate.CreateAll(ctx, e, User{}))
		_, err = e.Exec(ctx, "INSERT INTO users (id, name, fullname, nickname) VALUES (1, ?, '', '')", []string{"primary", "r1", "r2"}[i])
		require.NoError(t, err)
		require.NoError(t, e.Close())
	}
	eng, err := engine.Open(ctx, urls[0], engine.WithReplicas(urls[1:]...))
	require.NoError(t, err)
	t.Cleanup(func() { _ = eng.Close() })
	seen := map[string]int{}
	for range 6 {
		s := session.New(eng, session.ReadOnly())
		u, err := session.Select[User]().First(session.With(ctx, s))
		require.NoError(t, err)
		seen[u.Name]++
		require.NoError(t, s.Close(ctx))
	}
	assert.Equal(t, map[string]int{"r1": 3, "r2": 3}, seen)
}
