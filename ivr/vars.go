package ivr

import (
	"strings"

	"github.com/switchboard-cc/switchboard/flows"
)

// Built-in variables every flow can read.
const (
	VarCaller   = "caller"   // the caller's number
	VarDialed   = "dialed"   // the dialed number
	VarCallID   = "call_id"  // the call's ID
	VarFlow     = "flow"     // the flow being run (goto changes it)
	VarLanguage = "language" // the prompt set; a set node may change it
)

// vars is a call's variables. Get is a map read, so rendering templates
// allocates nothing beyond the rendered string itself (nothing at all for a
// static template).
//
// masks names the sensitive variables (a sensitive input's, and copies a
// set node made of one) with their flows mask: the flow reads them in
// clear, everything written down outside the call goes through masked()
// or redact().
type vars struct {
	m     map[string]string
	masks map[string]string
}

var _ flows.Vars = (*vars)(nil)

func (v *vars) init(call Call, f *flows.Flow) {
	v.m = make(map[string]string, 16)
	if f != nil {
		v.m[VarLanguage] = f.Language
		for k, val := range f.Vars {
			v.m[k] = val
		}
		v.m[VarFlow] = f.Name
	}
	v.m[VarCaller] = call.From()
	v.m[VarDialed] = call.To()
	v.m[VarCallID] = call.ID()
}

func (v *vars) Get(name string) (string, bool) {
	val, ok := v.m[name]
	return val, ok
}

// Set stores a value that is not secret (it replaces a sensitive one).
func (v *vars) Set(name, value string) {
	v.m[name] = value
	if v.masks != nil {
		delete(v.masks, name)
	}
}

// setSensitive stores a secret value, written down as flows.MaskDigits(mask).
func (v *vars) setSensitive(name, value, mask string) {
	v.m[name] = value
	if v.masks == nil {
		v.masks = map[string]string{}
	}
	v.masks[name] = mask
}

// sensitive reports whether t reads a sensitive variable.
func (v *vars) sensitive(t flows.Template) bool {
	if len(v.masks) == 0 || t.Static() {
		return false
	}
	for _, name := range t.VarNames() {
		if _, ok := v.masks[name]; ok {
			return true
		}
	}
	return false
}

// masked is the variables as they may be written down: sensitive ones
// masked.
func (v *vars) masked() flows.Vars { return maskedVars{v} }

type maskedVars struct{ v *vars }

func (m maskedVars) Get(name string) (string, bool) {
	val, ok := m.v.m[name]
	if mask, secret := m.v.masks[name]; secret {
		return flows.MaskDigits(mask, val), ok
	}
	return val, ok
}

// redact masks every sensitive value found in s, for text that comes back
// from elsewhere (an error naming the URL a lookup requested).
func (v *vars) redact(s string) string {
	for name, mask := range v.masks {
		if val := v.m[name]; val != "" {
			s = strings.ReplaceAll(s, val, flows.MaskDigits(mask, val))
		}
	}
	return s
}

func (v *vars) language() string { return v.m[VarLanguage] }

// enterFlow switches to f after a goto: the flow variable changes, f's
// initial variables fill in names not set yet, and the language the caller
// chose is kept.
func (v *vars) enterFlow(f *flows.Flow) {
	v.m[VarFlow] = f.Name
	for k, val := range f.Vars {
		if _, ok := v.m[k]; !ok {
			v.m[k] = val
		}
	}
	if v.m[VarLanguage] == "" {
		v.m[VarLanguage] = f.Language
	}
}

// setPrefixed replaces every variable under prefix+"." with fields.
func (v *vars) setPrefixed(prefix string, fields map[string]string) {
	dot := prefix + "."
	for k := range v.m {
		if strings.HasPrefix(k, dot) {
			delete(v.m, k)
		}
	}
	for k, val := range fields {
		v.m[dot+k] = val
	}
}
