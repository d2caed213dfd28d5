// Package layout holds no code: its tests keep the package layout of
// DESIGN.md true. The domain core (flows, hours, ivr, routing, events,
// metrics) imports no transport, no network client or server and no
// database driver, in its code or its tests; adapters to those live in
// subpackages named after their dependency (events/sqlite). The transports
// (sip, ari) do not import each other, so each can be built, tested and
// replaced alone; what both tests need (internal/peers) lives outside them.
package layout
