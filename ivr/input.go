package ivr

import (
	"context"

	"github.com/switchboard-cc/switchboard/flows"
)

// inputNode plays its prompts and collects Min..Max digits into Var. Too
// few digits, or none, plays Invalid and asks again; after Retries extra
// attempts it goes to OnFail, or ends the call when there is none. An empty
// answer is accepted only when Min is 0 and the caller pressed the
// terminator. # is never a digit of the value: when it is not the
// terminator, the input ignores it.
func (r *run) inputNode(ctx context.Context, n *flows.Node) (*flows.Node, error) {
	in := n.Input
	c := Collect{Min: in.Min, Max: in.Max, Terminator: in.Terminator, FirstDigit: in.FirstDigit, InterDigit: in.InterDigit, Mask: in.Mask}
	if in.Terminator != "#" {
		// # is never part of a value: without it as terminator an input
		// ignores it (a caller used to ending entries with # must not
		// make a fixed-length entry fail).
		c.Ignore = "#"
	}
	if c.FirstDigit <= 0 {
		c.FirstDigit = DefaultFirstDigit
	}
	if c.InterDigit <= 0 {
		c.InterDigit = DefaultInterDigit
	}
	for attempt := 0; ; attempt++ {
		if _, err := r.say(ctx, in.Prompts, true); err != nil {
			return nil, err
		}
		got, err := r.collect(ctx, c)
		if err != nil {
			return nil, err
		}
		if len(got.Digits) >= in.Min && (got.Digits != "" || got.Stop == StopTerminator) {
			r.digits(ctx, got, in.Var, DigitsOK, in.Mask)
			switch {
			case in.Var == "":
			case in.Mask != "":
				r.vars.setSensitive(in.Var, got.Digits, in.Mask)
			default:
				r.vars.Set(in.Var, got.Digits)
			}
			return n.Next, nil
		}
		if got.Digits == "" && got.Stop != StopTerminator {
			r.digits(ctx, got, in.Var, DigitsNoInput, in.Mask)
		} else {
			r.digits(ctx, got, in.Var, DigitsInvalid, in.Mask)
		}
		if attempt >= in.Retries {
			if in.OnFail != nil {
				return in.OnFail, nil
			}
			return nil, r.finish(Completed, ReasonInputFailed)
		}
		if _, err := r.say(ctx, in.Invalid, true); err != nil {
			return nil, err
		}
	}
}
