package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	"github.com/elmohq/telemetry/catalog"
	"github.com/elmohq/telemetry/internal/app/deployment"
)

// Modes of storage, as the postgres_mode telemetry property names them.
const (
	// ModeEmbedded is the SQLite database in the deployment directory.
	ModeEmbedded = catalog.PostgresEmbedded
	// ModeExternal is a PostgreSQL server named by DATABASE_URL.
	ModeExternal = catalog.PostgresExternal
)

// FileName is the name of the SQLite database in the deployment directory.
const FileName = "elmo.db"

// busyTimeout is how long a SQLite statement waits for another process's
// write lock before it fails.
const busyTimeout = 10 * time.Second

// ErrNotFound is returned when a brand or prompt does not exist.
var ErrNotFound = errors.New("not found")

// Option configures Open.
type Option func(*config)

type config struct {
	dir         string
	databaseURL string
}

// WithDir sets the deployment directory that holds the SQLite database.
// It is required unless WithDatabaseURL names a PostgreSQL server.
func WithDir(dir string) Option { return func(c *config) { c.dir = dir } }

// WithDatabaseURL selects an external PostgreSQL server when url is a
// postgres:// or postgresql:// URL, the value of DATABASE_URL. An empty
// url keeps the embedded database.
func WithDatabaseURL(url string) Option { return func(c *config) { c.databaseURL = url } }

// Store is the deployment's database. It is safe for concurrent use.
type Store struct {
	db   *sql.DB
	mode string
}

// Open opens the database and applies pending migrations.
func Open(ctx context.Context, opts ...Option) (*Store, error) {
	var c config
	for _, o := range opts {
		o(&c)
	}
	var (
		db   *sql.DB
		mode string
		err  error
	)
	switch {
	case deployment.IsPostgresURL(c.databaseURL):
		mode = ModeExternal
		db, err = sql.Open("pgx", c.databaseURL)
		if err != nil {
			return nil, fmt.Errorf("opening the PostgreSQL database in DATABASE_URL: %w", err)
		}
	case c.databaseURL != "":
		return nil, errors.New("DATABASE_URL is set but is not a postgres:// or postgresql:// URL; unset it to use the embedded database")
	case c.dir == "":
		return nil, errors.New("store: no deployment directory to keep the database in")
	default:
		mode = ModeEmbedded
		if err := os.MkdirAll(c.dir, 0o700); err != nil {
			return nil, fmt.Errorf("creating the deployment directory: %w", err)
		}
		db, err = sql.Open("sqlite", sqliteDSN(filepath.Join(c.dir, FileName)))
		if err != nil {
			return nil, fmt.Errorf("opening the database %s: %w", filepath.Join(c.dir, FileName), err)
		}
		// A few connections are plenty for a local deployment and keep the
		// number of SQLite handles small.
		db.SetMaxOpenConns(4)
	}
	s := &Store{db: db, mode: mode}
	if err := s.setUp(ctx, c.dir); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

// setUp connects and migrates. For SQLite, processes that open the same
// database at once take turns through a lock file: switching a new
// database to WAL needs it to themselves, and SQLite does not wait for
// that.
func (s *Store) setUp(ctx context.Context, dir string) error {
	if s.mode == ModeEmbedded {
		lock := flock.New(filepath.Join(dir, FileName+".lock"))
		if _, err := lock.TryLockContext(ctx, 10*time.Millisecond); err != nil {
			return fmt.Errorf("waiting for the database lock %s: %w", lock.Path(), err)
		}
		defer func() { _ = lock.Unlock() }()
	}
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("connecting to the %s database: %w", s.mode, err)
	}
	return s.migrate(ctx)
}

// sqliteDSN returns the data source name of the database at path: WAL so
// readers do not block the writer, a busy timeout so the web app and the
// worker wait for each other's writes, foreign keys on, and transactions
// that take the write lock when they begin.
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// Mode returns ModeEmbedded or ModeExternal.
func (s *Store) Mode() string { return s.mode }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }
