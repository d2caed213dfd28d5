// Package sqlite is the embedded event store: one SQLite file (pure-Go
// driver modernc.org/sqlite) in WAL mode under the data directory. Each
// Append is one transaction, so a batch is all there or not at all, and
// whatever a committed transaction wrote survives a kill -9 of the process
// (and, with the default synchronous=FULL, a power cut).
package sqlite
