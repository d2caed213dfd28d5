// Package ari is Switchboard's Asterisk transport: Asterisk owns the media
// and the phones, Switchboard drives each call over the Asterisk REST
// Interface (github.com/CyCoreSystems/ari/v5 for REST and event types).
//
// A caller that the dialplan hands to the Stasis application becomes an
// ivr.Call (call.go, media.go, connect.go) and runs through a Handler,
// normally the flow engine. The flow is chosen by the dialed number: the
// first Stasis() argument other than "inbound", else the channel's dialplan
// extension.
//
// Invariants:
//   - No event is lost between a request and its effect: every request is
//     staged, its resource subscribed, and only then executed, and each
//     call's events go through one subscription created before the call is
//     handed to the handler (Asterisk often sends the events before the
//     REST response).
//   - Every ARI request is bounded by the call's context and by
//     Config.RequestTimeout; a 404 or 409 means the channel left us and
//     surfaces as ivr.ErrHangup; other errors are returned to the flow,
//     which ends the call; a channel still in Stasis after the handler
//     returns is continued or hung up, so no caller is left in silence.
//   - The events WebSocket is owned here, not by ari/v5's Connect: it
//     reconnects with doubling backoff (Config.Reconnect), logs while
//     Asterisk is down without spinning, and after each connection
//     reconciles (recover.go): calls whose channel vanished end, channels
//     left in the application by an earlier run are re-adopted.
//   - On shutdown calls are not hung up: Asterisk keeps them in Stasis and
//     the next run re-adopts them (recovery prompt, ResumeNode).
//   - ApplicationReplaced (another controller took the application) is
//     logged at error level; the calls are released untouched and the
//     application is reclaimed after the maximum backoff.
package ari
