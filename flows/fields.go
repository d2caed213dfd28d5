package flows

// The field tables are the single description of the YAML surface: the
// loader refuses keys that are not here, the schema test checks schema.json
// against them, and the generated schema takes its descriptions from them.

type kind int

const (
	kString      kind = iota // plain string
	kTemplate                // string with {{var}} references
	kTarget                  // a node ID of the same flow
	kPrompts                 // prompt item or list of prompt items
	kDuration                // "5s", "1.5m"
	kInt                     // integer
	kBool                    // true / false
	kStringList              // list of strings
	kStringMap               // mapping string -> string (flow vars)
	kTemplateMap             // mapping string -> template (set vars, lookup headers)
	kSkills                  // mapping skill -> minimum level 1..10
	kCases                   // mapping value -> node ID, file order kept
	kOptions                 // mapping DTMF key -> node ID
	kDigits                  // {min, max, terminator}
	kAnnounce                // {position, wait_time, every}
	kDTMF                    // one DTMF key: 0-9, *, #, or "" for none
	kNodeType                // the node's type
	kNodes                   // mapping node ID -> node
	kOverflow                // list of {after, skills}: the queue node's own overflow steps
)

type field struct {
	Name     string
	Kind     kind
	Required bool
	Default  string   // as the documentation states it; "" when none
	Enum     []string // allowed values of a string field
	Doc      string
}

var flowFields = []field{
	{Name: "flow", Kind: kString, Required: true, Doc: "The flow's name, unique in the catalog; goto nodes and `--flow` refer to it."},
	{Name: "description", Kind: kString, Doc: "Free text for people."},
	{Name: "numbers", Kind: kStringList, Doc: "Dialed numbers that start this flow; one number belongs to one flow."},
	{Name: "language", Kind: kString, Default: "en", Doc: "Prompt set the call starts with: prompts resolve to <language>/<name>.wav."},
	{Name: "vars", Kind: kStringMap, Doc: "Variables every call of this flow starts with."},
	{Name: "start", Kind: kTarget, Required: true, Doc: "The node every call starts at."},
	{Name: "nodes", Kind: kNodes, Required: true, Doc: "The nodes, by ID."},
}

var digitsFields = []field{
	{Name: "min", Kind: kInt, Default: "1", Doc: "Fewest digits accepted."},
	{Name: "max", Kind: kInt, Default: "20", Doc: "Most digits; collection stops when reached."},
	{Name: "terminator", Kind: kDTMF, Default: "#", Doc: "Key that ends the entry early; \"\" for none. It is not part of the value; pressed right after `max` digits it is swallowed. `#` is never part of the value: with another terminator or none it is ignored."},
}

var overflowStepFields = []field{
	{Name: "after", Kind: kDuration, Required: true, Doc: "How long the call has waited when the step applies; later than the step before."},
	{Name: "skills", Kind: kSkills, Required: true, Doc: "Skills of the node's `skills` with their new, lower minimum level; 0 drops the skill."},
}

var announceFields = []field{
	{Name: "position", Kind: kBool, Default: "false", Doc: "Announce the caller's position in the queue."},
	{Name: "wait_time", Kind: kBool, Default: "false", Doc: "Announce the expected wait."},
	{Name: "every", Kind: kDuration, Default: "60s", Doc: "Repeat the announcement this often while waiting."},
}

// nodeTypeField is the one key every node has.
var nodeTypeField = field{Name: "type", Kind: kNodeType, Required: true, Doc: "The node type."}

var nodeFields = map[Type][]field{
	Play: {
		{Name: "prompt", Kind: kPrompts, Required: true, Doc: "Prompts played in order."},
		{Name: "barge", Kind: kBool, Default: "true", Doc: "A key press stops the prompts (the key stays buffered for the next menu or input)."},
		{Name: "next", Kind: kTarget, Doc: "Where to go after playing; none: the call ends."},
	},
	Menu: {
		{Name: "prompt", Kind: kPrompts, Required: true, Doc: "Prompts played, barge-in allowed, before waiting for a key."},
		{Name: "options", Kind: kOptions, Required: true, Doc: "One DTMF key (0-9, *, #) to the node it leads to."},
		{Name: "timeout", Kind: kDuration, Default: "5s", Doc: "How long to wait for a key after the prompts."},
		{Name: "retries", Kind: kInt, Default: "3", Doc: "Extra attempts after an invalid key or no key."},
		{Name: "invalid", Kind: kPrompts, Doc: "Played after a key that is no option."},
		{Name: "no_input", Kind: kPrompts, Default: "invalid", Doc: "Played after the timeout."},
		{Name: "on_fail", Kind: kTarget, Doc: "Where to go when retries run out; none: the call ends."},
	},
	Input: {
		{Name: "prompt", Kind: kPrompts, Required: true, Doc: "Prompts played, barge-in allowed (the barge key is the first digit)."},
		{Name: "var", Kind: kString, Required: true, Doc: "Variable that receives the digits."},
		{Name: "digits", Kind: kDigits, Doc: "How many digits and which terminator."},
		{Name: "timeout", Kind: kDuration, Default: "5s", Doc: "Wait for the first digit."},
		{Name: "inter_digit", Kind: kDuration, Default: "3s", Doc: "Wait between digits."},
		{Name: "retries", Kind: kInt, Default: "2", Doc: "Extra attempts after too few digits or none."},
		{Name: "invalid", Kind: kPrompts, Doc: "Played before a retry."},
		{Name: "on_fail", Kind: kTarget, Doc: "Where to go when retries run out; none: the call ends."},
		{Name: "next", Kind: kTarget, Required: true, Doc: "Where to go with a valid entry."},
		{Name: "sensitive", Kind: kBool, Default: "false", Doc: "The entry is a secret (card number, PIN): the event log, exports, simulate and the server log keep only the masked value; the flow still uses it (lookup, say)."},
		{Name: "mask", Kind: kString, Default: "all", Enum: []string{MaskAll, MaskLast4}, Doc: "How a sensitive entry is written down: all (every digit an x) or last4 (xxxxxxxxxxxx1234). Setting it makes the input sensitive."},
	},
	Hours: {
		{Name: "calendar", Kind: kString, Required: true, Doc: "A calendar of switchboard.yaml."},
		{Name: "open", Kind: kTarget, Required: true, Doc: "Where to go when open."},
		{Name: "closed", Kind: kTarget, Required: true, Doc: "Where to go when closed."},
		{Name: "holiday", Kind: kTarget, Default: "closed", Doc: "Where to go when closed because of a holiday."},
	},
	Switch: {
		{Name: "value", Kind: kTemplate, Required: true, Doc: "The text compared, usually \"{{var}}\"."},
		{Name: "cases", Kind: kCases, Required: true, Doc: "Value to node; the first equal value wins, in file order. \"\" matches an unset variable."},
		{Name: "default", Kind: kTarget, Doc: "Where to go when no case matches; none: the call ends."},
	},
	Set: {
		{Name: "vars", Kind: kTemplateMap, Required: true, Doc: "Variables to set, in file order; values are templates. `language` switches the prompt set."},
		{Name: "next", Kind: kTarget, Doc: "Where to go next; none: the call ends."},
	},
	Queue: {
		{Name: "group", Kind: kString, Doc: "Skill group (queue) of switchboard.yaml; group or skills is required."},
		{Name: "skills", Kind: kSkills, Doc: "Skill to minimum level (1-10) an agent needs."},
		{Name: "overflow", Kind: kOverflow, Doc: "Steps that lower the levels of this node's `skills` while the call waits, keeping its place; on top of the group's own overflow steps."},
		{Name: "priority", Kind: kInt, Default: "0", Doc: "Higher is served first; equal priorities are first-in-first-out."},
		{Name: "max_wait", Kind: kDuration, Default: "the group's", Doc: "Longest wait before on_timeout."},
		{Name: "music", Kind: kPrompts, Default: "moh", Doc: "Music on hold, looped."},
		{Name: "announce", Kind: kAnnounce, Doc: "Periodic position and wait-time announcements."},
		{Name: "on_timeout", Kind: kTarget, Doc: "Where to go when nobody answered within max_wait; none: the call ends."},
		{Name: "on_closed", Kind: kTarget, Doc: "Where to go when the group is closed or has no agent logged in; none: the call ends."},
		{Name: "next", Kind: kTarget, Doc: "Where to go after the agent conversation if the agent hangs up first; none: the call ends."},
	},
	Transfer: {
		{Name: "to", Kind: kTemplate, Required: true, Doc: "Number, SIP URI or dialplan target."},
		{Name: "kind", Kind: kString, Default: "number", Enum: []string{"number", "uri", "dialplan"}, Doc: "What `to` is."},
		{Name: "on_fail", Kind: kTarget, Doc: "Where to go when the transfer fails (busy, no answer); none: the call ends."},
	},
	Record: {
		{Name: "prompt", Kind: kPrompts, Doc: "Played before recording."},
		{Name: "max", Kind: kDuration, Default: "120s", Doc: "Longest recording."},
		{Name: "silence", Kind: kDuration, Default: "5s", Doc: "Silence that ends the recording; 0s: never."},
		{Name: "terminator", Kind: kDTMF, Default: "#", Doc: "Key that ends the recording; \"\" for none."},
		{Name: "beep", Kind: kBool, Default: "true", Doc: "Play a beep before recording."},
		{Name: "var", Kind: kString, Default: "recording", Doc: "Variable that receives the recording's path."},
		{Name: "next", Kind: kTarget, Doc: "Where to go after recording; none: the call ends."},
	},
	Callback: {
		{Name: "number", Kind: kTemplate, Default: "{{caller}}", Doc: "Number to call back."},
		{Name: "group", Kind: kString, Doc: "Skill group that makes the callback."},
		{Name: "prompt", Kind: kPrompts, Doc: "Confirmation played after the request is stored."},
		{Name: "outside_hours", Kind: kBool, Default: "false", Doc: "Let an agent make the callback while the group's calendar is closed (someone working late); by default a callback booked after hours waits until the calendar opens."},
		{Name: "on_fail", Kind: kTarget, Doc: "Where to go when the request is refused (the group is closed, or nobody can dial callbacks); none: `next`, without the confirmation."},
		{Name: "next", Kind: kTarget, Doc: "Where to go next; none: the call ends."},
	},
	Lookup: {
		{Name: "method", Kind: kString, Default: "GET", Enum: []string{"GET", "POST", "PUT", "PATCH", "DELETE"}, Doc: "HTTP method."},
		{Name: "url", Kind: kTemplate, Required: true, Doc: "Request URL, with {{var}} templates."},
		{Name: "headers", Kind: kTemplateMap, Doc: "Request headers, values are templates."},
		{Name: "body", Kind: kTemplate, Doc: "Request body (POST, PUT, PATCH)."},
		{Name: "timeout", Kind: kDuration, Default: "2s", Doc: "Request timeout."},
		{Name: "result", Kind: kString, Default: "the node ID", Doc: "Prefix of the variables set from the JSON response: result.field."},
		{Name: "say", Kind: kPrompts, Doc: "Played on success (may use the result variables)."},
		{Name: "next", Kind: kTarget, Doc: "Where to go on success; none: the call ends."},
		{Name: "on_error", Kind: kTarget, Default: "next", Doc: "Where to go when the request fails or times out."},
	},
	Goto: {
		{Name: "flow", Kind: kString, Required: true, Doc: "Another flow of the catalog; the call continues there and does not return."},
		{Name: "node", Kind: kString, Doc: "A node of that flow to start at; default its start."},
	},
	Hangup: {
		{Name: "cause", Kind: kString, Default: "normal", Enum: []string{"normal", "busy", "congestion", "rejected", "unallocated"}, Doc: "Hang-up cause."},
		{Name: "continue", Kind: kBool, Default: "false", Doc: "ARI only: return the channel to the Asterisk dialplan instead of hanging up."},
	},
}

func fieldNames(fs []field) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name
	}
	return out
}

func findField(fs []field, name string) (field, bool) {
	for _, f := range fs {
		if f.Name == name {
			return f, true
		}
	}
	return field{}, false
}

func typeNames() []string {
	out := make([]string, len(Types))
	for i, t := range Types {
		out[i] = string(t)
	}
	return out
}
