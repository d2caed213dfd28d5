package ivr

import (
	"context"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/flows"
)

// menu plays its prompts (a key cuts them short) and waits Timeout for one
// key. A key with an option goes there. An invalid key plays Invalid, no key
// plays NoInput (default Invalid), and the menu starts over; after Retries
// extra attempts it goes to OnFail, or ends the call when there is none.
func (r *run) menu(ctx context.Context, n *flows.Node) (*flows.Node, error) {
	m := n.Menu
	timeout := m.Timeout
	if timeout <= 0 {
		timeout = DefaultMenuTimeout
	}
	for attempt := 0; ; attempt++ {
		if _, err := r.say(ctx, m.Prompts, true); err != nil {
			return nil, err
		}
		got, err := r.collect(ctx, Collect{Min: 1, Max: 1, FirstDigit: timeout, InterDigit: timeout})
		if err != nil {
			return nil, err
		}
		retry := m.Invalid
		if got.Digits != "" {
			target, ok := m.Options[got.Digits]
			if ok {
				r.digits(ctx, got, "", DigitsOK, "")
				return target, nil
			}
			r.digits(ctx, got, "", DigitsInvalid, "")
		} else {
			r.digits(ctx, got, "", DigitsNoInput, "")
			if len(m.NoInput) > 0 {
				retry = m.NoInput
			}
		}
		if attempt >= m.Retries {
			if m.OnFail != nil {
				return m.OnFail, nil
			}
			return nil, r.finish(Completed, ReasonMenuFailed)
		}
		if _, err := r.say(ctx, retry, true); err != nil {
			return nil, err
		}
	}
}

// Results of a digit collection, in its ivr.digits event: reports count a
// menu choice only when it was one.
const (
	DigitsOK      = "ok"       // an option of the menu; an entry the input accepts
	DigitsInvalid = "invalid"  // a key with no option; too few digits
	DigitsNoInput = "no_input" // nothing within the timeout
)

// collect runs one digit collection and counts any key as caller input.
func (r *run) collect(ctx context.Context, c Collect) (Collected, error) {
	got, err := r.call.Collect(ctx, c)
	if err != nil {
		return got, err
	}
	if got.Digits != "" || got.Stop == StopTerminator {
		r.input()
	}
	return got, nil
}

// digits records a collection as an ivr.digits event, with its result and,
// for a sensitive input, only the masked digits.
func (r *run) digits(ctx context.Context, got Collected, varName, result, mask string) {
	r.emit(ctx, events.IVRDigits, r.node.ID, r.e.data.digitsOf(flows.MaskDigits(mask, got.Digits), got.Stop, varName, result, mask))
}
