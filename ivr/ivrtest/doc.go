// Package ivrtest is the test kit of the ivr seam: a scripted fake Call, a
// scripted Router (ACD), an event Recorder, a Builder for flows in Go, and
// the conformance suite every transport (sip, ari) must pass.
//
// # The fake call
//
// Call is an in-memory transport with the Call contract's DTMF stream (an
// ivr.Keypad; its Collect runs ivr.CollectKeys, the scripted keys pressed
// on their schedule). Its caller follows a Script of Steps on the clock it is given
// (a clock.Virtual in tests and `switchboard simulate`, so a three-minute
// queue wait takes no real time); its agents behave as Config.Agents says
// (Answers after a delay, Busy, NoAnswer, Declines, Unreachable; talk for a
// while; who hangs up). It records everything: Trace (timed entries),
// Played, Collected, Recordings, Transfers, Offers, Ended. Config.OnStep
// sees each trace entry as it happens (it must not call the Call).
//
// Each Step waits for the first operation of its Point (AtInput: the next
// Collect or Record; AtPrompt: the next Play; AtHold; AtRing) and acts on
// that operation's timeline: keys Delay into it (Gap apart), Talk first for a
// recording, then an optional hang-up. What a step has not done when its
// operation ends happens at once (the caller typed ahead), so no scripted
// timer outlives its operation and runs on the virtual clock are
// deterministic. ParseScript reads the command-line form: "1,1,12345678#"
// is one group per question, "" a silent answer, "!1" a barge-in, "3s+42"
// a delay, "h" a hang-up.
//
// # Driving simulate
//
// The scripted call and ParseScript live in ivr/scripted (this package
// keeps their names as aliases), so the switchboard binary runs them
// without linking package testing:
//
//	clk := clock.NewVirtual(at)
//	steps, err := scripted.ParseScript(digits)         // --digits
//	agents := map[string]scripted.Agent{"1001": {Behavior: scripted.Answers, AnswerAfter: 3 * time.Second}}
//	eng, _ := ivr.New(ivr.Config{RecordingsDir: tmp}, ivr.Deps{Catalog: cat, Clock: clk,
//		Events: sink, Router: router /* routing.ACD on clk, or ivr.NoAgents{} */, Lookuper: lk, Prompts: promptFS})
//	call := scripted.NewCall(scripted.Config{From: from, To: flow.Numbers[0], Clock: clk,
//		Script: steps, Agents: agents, OnStep: printStep})
//	ctx, cancel := context.WithCancel(ctx)
//	go clk.AutoAdvance(ctx, time.Millisecond)
//	out := eng.Run(ctx, call)
//	cancel()
//
// The per-step trace is the engine's events (ivr.node, ivr.prompt,
// ivr.digits, selfservice.done, ...) interleaved with the fake's trace
// entries (play, collect, hold, connect, ...), both stamped with the
// virtual time; the Outcome closes it.
//
// # The conformance suite
//
// RunConformance(t, factory) runs the same cases against any transport.
// The transport's test supplies a Factory:
//
//	type Factory func(t *testing.T, s Setup) (ivr.Call, Remote)
//
// It starts one inbound call from s.From to s.To (e.g. a SIP caller dialling
// the server over loopback, or arifake announcing a StasisStart) and returns
// the transport's ivr.Call as the engine would receive it, not yet answered,
// plus a Remote for the far end:
//
//	Press(ctx, keys)          the caller presses DTMF (RFC 4733 / ChannelDtmfReceived)
//	Hangup(ctx)               the caller hangs up (BYE / leaves Stasis)
//	AgentHangup(ctx, id)      a connected agent hangs up
//	Endpoint(id)              where agent id is rung (goes into routing.Offer)
//	TransferTarget()          an ivr.Transfer that succeeds on this transport
//	Ended()                   closed when the caller's side sees the call gone
//
// Setup.Agents lists the agent phones the case needs and how each reacts to
// ringing (Answers after AnswerAfter, Busy, NoAnswer); Setup.Prompts is an
// fs.FS of real WAVs (8 kHz mono 16-bit PCM) for every prompt the case
// plays; Setup.RecordingsDir is a fresh directory for Record paths.
// Everything the factory starts must be stopped with t.Cleanup.
//
// The suite runs on real time with short prompts (150 ms; "long" is 3 s)
// and allows about 2 s for a key or a hang-up to be seen. It has two parts:
//
// seam/... drives the Call's primitives directly: play; barge-in returns
// the key and leaves it buffered for the next Collect; without barge a key
// waits in the buffer; Collect stops at the terminator, at max digits
// (keeping later keys), at the first- and inter-digit timeouts; Record
// stops at the terminator (also one pressed during its beep) and at max;
// Hold returns nil and Play returns promptly when their context ends; Connect: answered (leg names the agent,
// AgentHangup ends it with EndedBy "agent" and the caller stays up), ring
// all (the answering agent wins), busy (at once, MissBusy), no answer
// (after RingTimeout, MissTimeout); engine Hangup reaches the caller;
// Transfer; the key stream (ivr.CollectKeys over the transport's Keys on a
// virtual clock): a key that arrives as a timeout fires counts, a key after
// a timeout stays buffered, a terminator buffered or pressed within
// InterDigit after a full input is swallowed and a later one is not,
// ignored keys are not digits; and for each of Play, Collect, Record,
// Hold, Connect and a conversation, a caller hang-up returns an error
// wrapping ErrHangup within the allowance, closes Done, and makes every
// later call fail the same way.
//
// flow/... runs the real ivr.Engine over the transport: every node type in
// one call, barge-in, menu timeouts to on_fail, transfer, queue paths (busy
// then answered; no answer then timeout), a caller hang-up at each stage
// (prompt, menu, input, recording, queue wait, ringing, conversation) with
// the right Outcome, call.end and ticket calls, and keys that must not
// leak: a terminator after a full input, # in an input without
// terminator, keys typed before an agent conversation.
//
// Conventions the suite holds transports to, beyond the Call doc comment:
// Collect with Max 0 has no digit limit; Record ignores keys buffered
// before it starts, a terminator key ends it with Stop "terminator", and a
// caller hang-up during it returns the recording so far with an error
// wrapping ErrHangup; Hold and Play never overlap Connect (the engine
// guarantees it); Playback.Prompts is shared and read-only; Leg.Done closes
// with EndedBy "caller" when the caller hangs up during a conversation.
//
// TestFakeConformance runs the suite against FakeFactory, the fake call on
// real time: the reference behaviour.
package ivrtest
