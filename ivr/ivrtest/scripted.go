package ivrtest

import "github.com/switchboard-cc/switchboard/ivr/scripted"

// The scripted fake call lives in ivr/scripted, which simulate uses
// without linking package testing; these names keep the tests that know
// it as ivrtest's.
type (
	Call     = scripted.Call
	Config   = scripted.Config
	Agent    = scripted.Agent
	Behavior = scripted.Behavior
	Entry    = scripted.Entry
	Step     = scripted.Step
	Point    = scripted.Point
)

const (
	Answers     = scripted.Answers
	Busy        = scripted.Busy
	NoAnswer    = scripted.NoAnswer
	Declines    = scripted.Declines
	Unreachable = scripted.Unreachable

	AtInput  = scripted.AtInput
	AtPrompt = scripted.AtPrompt
	AtHold   = scripted.AtHold
	AtRing   = scripted.AtRing

	DefaultPromptLength = scripted.DefaultPromptLength
	DefaultTalk         = scripted.DefaultTalk
	DefaultRingTimeout  = scripted.DefaultRingTimeout
)

var (
	NewCall     = scripted.NewCall
	ParseScript = scripted.ParseScript
)
