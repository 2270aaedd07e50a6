// Package store keeps the local deployment's data: brands, the prompts
// tracked for them, and the responses providers gave.
//
// By default the data lives in an embedded SQLite database, elmo.db in the
// deployment directory, opened in WAL mode so that the web app and the
// worker can use it at the same time. When DATABASE_URL is a postgres:// or
// postgresql:// URL, an external PostgreSQL server is used instead. Mode
// reports which, as the postgres_mode telemetry property does.
//
// Open applies the schema migrations that the database has not seen yet,
// each once, recorded in the schema_migrations table; processes that start
// together agree on who applies them.
package store
