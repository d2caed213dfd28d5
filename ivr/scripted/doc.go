// Package scripted is a fake ivr.Call that follows a script on a clock: a
// caller who presses keys and hangs up as Steps say (ParseScript reads the
// command-line form, "1,1,12345678#"), agents who answer, ring out or
// refuse as Agents say, and a trace of everything the engine did.
// `switchboard simulate` runs flows with it on a virtual clock; the tests
// use it through ivr/ivrtest, which adds the conformance suite. It imports
// no testing package, so the shipped binary does not link one.
package scripted
