// Package ivr is Switchboard's flow interpreter: it runs a compiled call
// flow (package flows) over a Call, the seam every transport implements with
// media primitives only. Menus, retries, digit validation, templates,
// business hours, queue waiting, lookups and the loop guard live here, once;
// the native SIP transport and the Asterisk (ARI) transport only play,
// collect, record, ring and bridge.
//
// ivr owns the small interfaces it consumes: Call (the media plane), Router
// and Ticket (the ACD), Lookuper (self-service lookups) and, through
// package events, the event Sink. It imports no transport, no network
// package and no database driver.
//
// # Running a call
//
//	eng, err := ivr.New(ivr.Config{RecordingsDir: dir}, ivr.Deps{
//		Catalog: reloader.Current, // func() *flows.Catalog; hot reload swaps it
//		Clock:   clock.Real{},
//		Events:  store,
//		Router:  acd,
//		Lookuper: lookup.New(lookup.Config{}),
//		Prompts: promptFS, // fs.FS rooted at configs/prompts
//		Logger:  log,
//	})
//	if eng.FlowFor(dialed) == nil { /* refuse: SIP 404 */ }
//	out := eng.Run(ctx, call) // blocks for the whole call
//
// # Contract
//
// Run picks the flow by call.To() from the catalog current at that moment
// and keeps that catalog for the whole call, gotos included: a hot reload
// never changes a call in progress. It answers, walks the graph node by
// node, and returns an Outcome; every ending, including errors, is an
// Outcome (Result, Reason, By, LastNode), never a panic or a bare error.
// Run hangs the call up itself except when the caller is gone, the call
// was transferred, or a hangup node asked to Continue (ARI returns the
// channel to the dialplan).
//
// # Invariants
//
//   - One node handler per node type, dispatched by one switch over the
//     closed set flows.Types (run.go, exec).
//   - Caller hang-up stops the flow at once: every blocking Call method
//     returns an error wrapping ErrHangup, and the run's context is
//     cancelled when call.Done() closes, so lookups and the Router stop
//     waiting too. The call.end event then says by=caller and names the
//     node.
//   - The loop guard: more than Config.MaxSteps node transitions without
//     caller input (a key, a recording, a queue wait) end the call with
//     reason "loop_guard". Validation should refuse such flows; the guard
//     is the runtime's own safety.
//   - Every node emits ivr.node; every prompt item played emits ivr.prompt
//     (barged=1 when a key cut it); every collection emits ivr.digits with
//     its stop reason; call.start and call.end bracket the call. queue.* and
//     agent.* events are the ACD's, not the engine's.
//   - A queue ticket ends exactly once from the engine's side: Answered then
//     Finish, or Abandon, or the ticket's own exit (timeout, overflow,
//     closed). An agent's blind transfer (a Leg that is a TransferredLeg)
//     finishes the ticket by the agent; a transfer to a group then takes a
//     new ticket there, in the same queue node. Music and announcements run in their own goroutine with their
//     own context and are stopped, and waited for, before Connect, so the
//     transport never sees Hold or Play overlap Connect.
//   - Time comes from the injected clock.Clock (hours, announcements);
//     only the lookup timeout runs on real time, because it bounds real I/O.
//   - Steady state allocates nothing: variable reads are map reads, static
//     templates render without copying, resolved prompts and the Data maps
//     of hot events are cached per engine (bounded). Sinks and transports
//     must therefore treat Event.Data and Playback.Prompts as read-only.
//
// # Prompts
//
// A prompt item resolves, for the call's current language (the "language"
// variable, set by a set node), to Prompt{Name, File: "<lang>/<name>.wav",
// Sound: "<lang>/<name>"}. A file missing from the prompt store in that
// language falls back to the flow's default language. digits:V reads V key
// by key (digits/0..9, digits/star, digits/pound, letters/a..z); number:N
// plays numbers/N and falls back to its digits when that file is missing;
// sound:S passes S through as an Asterisk sound with no File. The queue's
// announcements use the prompts you_are_number, estimated_wait and minutes
// (PromptPosition, PromptEstimatedWait, PromptMinutes).
package ivr
