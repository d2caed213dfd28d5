package flows

import (
	"fmt"
	"time"

	"github.com/switchboard-cc/switchboard/hours"
)

// Type is a node type. The set is closed: the loader refuses any other.
type Type string

const (
	Play     Type = "play"
	Menu     Type = "menu"
	Input    Type = "input"
	Hours    Type = "hours"
	Switch   Type = "switch"
	Set      Type = "set"
	Queue    Type = "queue"
	Transfer Type = "transfer"
	Record   Type = "record"
	Callback Type = "callback"
	Lookup   Type = "lookup"
	Goto     Type = "goto"
	Hangup   Type = "hangup"
)

// Types lists every node type, in the order the documentation presents them.
var Types = []Type{Play, Menu, Input, Hours, Switch, Set, Queue, Transfer, Record, Callback, Lookup, Goto, Hangup}

// Pos is a position in a flow file; every validation issue carries one.
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// Catalog is a compiled, validated, immutable set of flows: the unit that hot
// reload swaps atomically. Nothing in it changes after Load returns.
type Catalog struct {
	Flows    map[string]*Flow // by name
	ByNumber map[string]*Flow // dialed number -> flow
}

// Flow is one compiled call flow.
type Flow struct {
	Name        string
	Description string
	File        string
	Pos         Pos
	Numbers     []string
	Language    string            // default prompt set
	Vars        map[string]string // initial variables
	Start       *Node
	Nodes       []*Node // in file order; Nodes[i].Index == i
	ByID        map[string]*Node
}

// Node is one compiled node. Targets are resolved to pointers, so the graph
// can be walked without lookups. Exactly one of the type-specific fields is
// set, the one matching Type.
type Node struct {
	ID    string
	Type  Type
	Pos   Pos
	Index int
	Next  *Node // where to go when the node completes (nil: the call ends)

	Play     *PlaySpec
	Menu     *MenuSpec
	Input    *InputSpec
	Hours    *HoursSpec
	Switch   *SwitchSpec
	Set      *SetSpec
	Queue    *QueueSpec
	Transfer *TransferSpec
	Record   *RecordSpec
	Callback *CallbackSpec
	Lookup   *LookupSpec
	Goto     *GotoSpec
	Hangup   *HangupSpec
}

// PromptRef is one prompt item as written in a flow:
//
//	welcome            a file of the prompt set: prompts/<lang>/welcome.wav
//	digits:{{account}} each character read out (prompts/<lang>/digits/<d>.wav)
//	number:{{position}} a whole number read out (prompts/<lang>/numbers/<n>.wav)
//	sound:tt-monkeys   an Asterisk sound, played as is
type PromptRef struct {
	Kind string   // "file", "digits", "number", "sound"
	Name Template // rendered at play time
	Pos  Pos
}

type PlaySpec struct {
	Prompts []PromptRef
	Barge   bool // default true
}

type MenuSpec struct {
	Prompts []PromptRef
	Options map[string]*Node // key "0".."9", "*", "#" -> target
	Timeout time.Duration    // wait for a key after the prompt; default 5s
	Retries int              // extra attempts after invalid or no input; default 3
	Invalid []PromptRef      // played after a key with no option
	NoInput []PromptRef      // played after a timeout; default: Invalid
	OnFail  *Node            // when retries run out (nil: hang up politely)
}

type InputSpec struct {
	Prompts    []PromptRef
	Var        string
	Min, Max   int
	Terminator string
	FirstDigit time.Duration // default 5s
	InterDigit time.Duration // default 3s
	Retries    int           // default 2
	Invalid    []PromptRef
	OnFail     *Node
	Mask       string // "" (not sensitive), MaskAll or MaskLast4
}

type HoursSpec struct {
	CalendarName string
	Calendar     *hours.Calendar
	Open         *Node
	Closed       *Node
	Holiday      *Node // optional: closed because of a holiday; default Closed
}

type SwitchCase struct {
	Value  string
	Target *Node
}

type SwitchSpec struct {
	Value   Template
	Cases   []SwitchCase // in file order; the first equal Value wins
	Default *Node
}

type SetSpec struct {
	Vars []Assignment // in file order; "language" switches the prompt set
}

type Assignment struct {
	Var   string
	Value Template
}

type Announce struct {
	Position bool
	WaitTime bool
	Every    time.Duration
}

type QueueSpec struct {
	Group     string
	Skills    map[string]int
	Overflow  []QueueStep // widen Skills over time; in order of After
	Priority  int
	MaxWait   time.Duration // 0: the group's
	Music     []PromptRef   // music on hold; default "moh"
	Announce  Announce
	OnTimeout *Node
	OnClosed  *Node
}

// QueueStep is one of a queue node's own overflow steps: once the call has
// waited After, the node's skills named in Skills need only these levels
// (0: no longer required).
type QueueStep struct {
	After  time.Duration
	Skills map[string]int
}

type TransferSpec struct {
	Target Template
	Kind   string // "number", "uri", "dialplan"
	OnFail *Node
}

type RecordSpec struct {
	Prompts    []PromptRef
	Max        time.Duration
	Silence    time.Duration
	Terminator string
	Beep       bool
	Var        string // variable that receives the recording's path; default "recording"
}

type CallbackSpec struct {
	Number  Template
	Group   string
	Prompts []PromptRef // confirmation
	OnFail  *Node       // when the request is refused (nil: Next, without the confirmation)
	// OutsideHours lets an agent make the callback while the group's
	// calendar is closed; by default it waits for the calendar to open.
	OutsideHours bool
}

type LookupSpec struct {
	Method  string
	URL     Template
	Headers map[string]Template
	Body    Template
	Timeout time.Duration // default 2s
	Result  string        // variable prefix for the JSON fields; default the node ID
	Say     []PromptRef   // played on success
	OnError *Node
}

type GotoSpec struct {
	Flow string // another flow of the Catalog; the call continues there (no return)
	Node string // optional: a node of that flow instead of its start
}

type HangupSpec struct {
	Cause    string // default "normal"
	Continue bool   // ARI: return the channel to the dialplan instead of hanging up
}
