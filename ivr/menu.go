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
		got, err := r.collect(ctx, Collect{Min: 1, Max: 1, FirstDigit: timeout, InterDigit: timeout}, "")
		if err != nil {
			return nil, err
		}
		retry := m.Invalid
		if got.Digits != "" {
			if target, ok := m.Options[got.Digits]; ok {
				return target, nil
			}
		} else if len(m.NoInput) > 0 {
			retry = m.NoInput
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

// collect runs one digit collection, records it as an ivr.digits event and
// counts any key as caller input.
func (r *run) collect(ctx context.Context, c Collect, varName string) (Collected, error) {
	got, err := r.call.Collect(ctx, c)
	if err != nil {
		return got, err
	}
	if got.Digits != "" || got.Stop == StopTerminator {
		r.input()
	}
	r.emit(ctx, events.IVRDigits, r.node.ID, r.e.data.digitsOf(got.Digits, got.Stop, varName))
	return got, nil
}
