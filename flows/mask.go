package flows

// Masks of a sensitive input (InputSpec.Mask).
const (
	MaskAll   = "all"   // every character becomes an x
	MaskLast4 = "last4" // all but the last four; a value of four or fewer is masked whole
)

// MaskDigits is how a sensitive value is written down wherever it leaves
// the call (events, exports, traces, logs): each masked character becomes
// an x, which is no DTMF key, so a masked value is never mistaken for keys
// pressed, and its length is kept. An empty mask returns s unchanged.
func MaskDigits(mask, s string) string {
	if mask == "" || s == "" {
		return s
	}
	keep := 0
	if mask == MaskLast4 && len(s) > 4 {
		keep = 4
	}
	b := []byte(s)
	for i := 0; i < len(b)-keep; i++ {
		b[i] = 'x'
	}
	return string(b)
}
