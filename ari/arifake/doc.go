// Package arifake is a test ARI server: the REST resources and the
// /ari/events WebSocket of the Asterisk REST Interface, built from the API
// declarations of the Asterisk commit Switchboard targets (testdata/*.json)
// and from real traffic captured on it (testdata/*-events.jsonl).
//
// It owns channels, bridges, playbacks and recordings in memory and behaves
// like the real server where the real server surprises:
//   - events are queued on the WebSocket before the REST response that
//     caused them is written (PlaybackStarted before the 201 of play,
//     ChannelStateChange before the 204 of answer, StasisEnd before the 204
//     of DELETE /channels);
//   - timestamps are "2006-01-02T15:04:05.000-0700" (no colon in the offset);
//   - a stopped playback still finishes with state "done"; a multi-item
//     playback goes Started, Continuing, Started (same id), Finished; an
//     unknown media scheme starts and then silently vanishes;
//   - error bodies are {"message": ...}, except an originate to an unknown
//     technology (500 {"error":"Allocation failed"}), and the status codes
//     are the real ones (play without media is 500, addChannel with an
//     unknown channel is 400);
//   - a second WebSocket for the same application gets the events from then
//     on and the first one receives ApplicationReplaced and nothing else;
//   - events are not queued while no WebSocket is registered for the app;
//   - optionally (Options.LeaveLatency) a continued channel leaves Stasis
//     only after the 204, (Options.HangupLatency) a hung-up channel leaves
//     its bridge and Stasis a while after its ChannelHangupRequest and
//     PlaybackFinished, and (Options.BeepLength) a recording ignores
//     stop requests and its terminator while its beep plays, as Asterisk
//     does.
//
// Tests script the far ends: Call puts a caller into the Stasis app (its
// StasisStart carries args and a dialplan extension), Channel.DTMF and
// Channel.Hangup act for the caller, SetEndpoint says how an agent endpoint
// behaves when originated (answer, busy, no answer, unreachable), Fail
// injects error responses, DropWebSockets and RejectWebSockets simulate a
// network drop or an Asterisk that is restarting. Await waits for a
// condition without sleeping.
//
// Time: media lengths and ring/record limits run on the wall clock, scaled
// by Options.Scale, because this package plays the part of Asterisk, whose
// clock the transport does not control.
package arifake
