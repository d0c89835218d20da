module github.com/arcorm/arc

go 1.26

require (
	github.com/golang-migrate/migrate/v4 v4.20.1
	github.com/lib/pq v1.12.3
	github.com/mattn/go-sqlite3 v1.14.53
	github.com/sirupsen/logrus v1.10.2
	github.com/stretchr/testify v1.12.1
	go.yaml.in/yaml/v3 v3.0.6
	golang.org/x/sys v0.46.0
)

require (
	github.com/go-sql-driver/mysql v1.10.1
	github.com/google/uuid v1.6.0
	pgregory.net/rapid v1.3.0
)

require filippo.io/edwards25519 v1.2.0 // indirect
