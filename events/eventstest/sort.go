package eventstest

import (
	"slices"

	"github.com/switchboard-cc/switchboard/events"
)

func sortStable(evs []events.Event) {
	slices.SortStableFunc(evs, func(a, b events.Event) int { return a.Time.Compare(b.Time) })
}
