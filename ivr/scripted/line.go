package scripted

import (
	"sort"
	"strings"

	"github.com/switchboard-cc/switchboard/events"
)

// Line renders one event as Lines does.
func Line(e events.Event, skip ...string) string {
	var b strings.Builder
	b.WriteString(string(e.Type))
	if e.Node != "" {
		b.WriteString(" " + e.Node)
	}
	if e.Queue != "" {
		b.WriteString(" queue=" + e.Queue)
	}
	keys := make([]string, 0, len(e.Data))
	for k := range e.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
outer:
	for _, k := range keys {
		for _, s := range skip {
			if s == k {
				continue outer
			}
		}
		if e.Data[k] == "" {
			continue
		}
		b.WriteString(" " + k + "=" + e.Data[k])
	}
	return b.String()
}
