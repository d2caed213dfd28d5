package metrics

import (
	"maps"
	"slices"
	"time"
)

// StaffFromLog plans each interval of r from its logged arrivals (offered
// calls, short abandons excluded) and its AHT. An interval with calls but
// no handled call yet borrows the AHT of the whole range. queue "" plans
// all queues together.
func (r *Result) StaffFromLog(queue string, target SLTarget, shrinkage float64) ([]Plan, error) {
	type acc struct {
		offered int
		handle  time.Duration
		handled int
	}
	per := make(map[int64]*acc)
	var all acc
	for k, b := range r.buckets {
		if queue != "" && k.Queue != queue {
			continue
		}
		if k.Queue == "" { // agent presence, no arrivals
			continue
		}
		a := per[k.Start]
		if a == nil {
			a = &acc{}
			per[k.Start] = a
		}
		a.offered += b.Offered
		a.handled += b.Handled
		a.handle += b.Talk + b.Hold + b.ACW
		all.offered += b.Offered
		all.handled += b.Handled
		all.handle += b.Talk + b.Hold + b.ACW
	}
	var plans []Plan
	for _, start := range slices.Sorted(maps.Keys(per)) {
		a := per[start]
		if a.offered == 0 {
			continue
		}
		h, n := a.handle, a.handled
		if n == 0 {
			h, n = all.handle, all.handled
		}
		if n == 0 || h == 0 {
			continue // no handle time anywhere in the range: nothing to plan from
		}
		p, err := Staff(StaffingInput{
			Calls: float64(a.offered), AHT: h / time.Duration(n), Interval: r.Options.Interval,
			Target: target, Shrinkage: shrinkage,
		})
		if err != nil {
			return nil, err
		}
		t := time.Unix(start, 0).In(r.Options.Location)
		p.Start, p.Queue = &t, queue
		plans = append(plans, p)
	}
	return plans, nil
}
