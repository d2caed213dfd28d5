// Package b2bua is the agent side of a call: it rings agents' registered
// phones as a SIP user agent client (sipgo), bridges the one who answers
// with the caller, and serves what the agent's phone does during the
// conversation (BYE, hold and resume by re-INVITE, blind transfer by REFER).
//
// The caller's transport hands over a Caller (its codec, its RTP through
// CallerMedia, music on hold, a hang-up signal); Connect returns a *Leg that
// implements ivr.Leg, or an *ivr.ConnectError with one reason per agent
// ("busy", "decline", "timeout", "unreachable").
//
// Invariants:
//   - only contacts the Locator (the registrar) returns for an offered agent
//     are dialled; a REFER is carried out only for a target the
//     TransferRules name (everything else gets 403): no header, Refer-To or
//     Contact from the network can make Switchboard call anywhere else;
//   - of the branches rung for one offer, at most one is bridged: a branch
//     wins by claiming under a lock before Connect gives up; every other
//     branch is cancelled, and one whose 200 OK arrives anyway (it crossed
//     our CANCEL, or two phones answered in the same instant) is
//     acknowledged and hung up at once;
//   - CANCEL is sent only after a provisional response (RFC 3261 §9.1);
//   - RTP is relayed on the receiving goroutine with no allocation per
//     packet: payload types mapped, G.711 µ-law/A-law transcoded by table
//     (built from the media package's codec) when the two sides differ,
//     RFC 4733 events passed both ways with each side's payload type;
//   - while the agent holds (sendonly/inactive) nothing is relayed and the
//     caller hears Caller.MusicOnHold; every hold is closed by an
//     events.CallUnhold (reason "resume" or "hangup") carrying hold_ms;
//   - a Leg ends exactly once; EndedBy is "caller", "agent" or "system".
//
// In-dialog requests reach the package through Handle/Wrap (in front of
// the caller transport's handlers on a shared SIP socket) or Mount (a
// socket for agents only).
package b2bua
