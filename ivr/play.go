package ivr

import (
	"context"

	"github.com/switchboard-cc/switchboard/flows"
)

// play plays its prompts in order. With barge (the default) a key stops
// the playback and stays buffered for the next menu or input.
func (r *run) play(ctx context.Context, n *flows.Node) (*flows.Node, error) {
	if _, err := r.say(ctx, n.Play.Prompts, n.Play.Barge); err != nil {
		return nil, err
	}
	return n.Next, nil
}
