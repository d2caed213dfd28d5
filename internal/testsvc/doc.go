// Package testsvc starts throw-away Redis, PostgreSQL and Kamailio servers
// for tests: each in a temporary folder, listening only on the loopback
// address (or a socket in that folder), stopped when the test ends. When a
// server's binaries are not installed the test is skipped, unless
// SWITCHBOARD_E2E=1 (`make test`, which installs them), where it fails.
package testsvc
