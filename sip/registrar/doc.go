// Package registrar is the SIP registrar for agents' phones: it authenticates
// REGISTER with HTTP digest (RFC 3261 §22, RFC 7616 / RFC 8760: MD5 and
// SHA-256, qop=auth), keeps each agent's contact bindings with their expiry,
// qualifies registered contacts with OPTIONS, and answers Lookup(agentID)
// with the contacts a call may be placed to.
//
// Invariants:
//   - a binding exists only after a REGISTER whose digest response was
//     computed with the agent's configured password; wrong, missing or
//     replayed credentials never create, refresh or remove a binding (a
//     nonce answered without qop works once; with qop=auth each use needs a
//     higher nonce-count);
//   - a password is never logged or put in an event (Password redacts
//     itself in fmt and slog);
//   - Lookup returns only bindings that are unexpired and whose phone did not
//     fail its last OPTIONS qualify;
//   - every time an agent goes from "no callable contact" to "at least one"
//     or back, exactly one events.AgentDevice event is emitted and
//     Config.OnAvailability is called, so the ACD can stop or resume
//     offering that agent;
//   - a source IP that fails the digest check MaxFailures times within
//     FailureWindow is refused (403, unchecked) for Lockout, and so is an
//     agent whose credentials failed as often from any mix of addresses
//     (except from addresses it is bound at); a success clears neither;
//   - time comes from the injected clock only.
package registrar
