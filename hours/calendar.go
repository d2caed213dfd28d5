// Package hours owns business-hours calendars: weekly opening ranges,
// public holidays and one-off exceptions (closed on a weekday, open on a
// Saturday), in a named time zone, correct across daylight-saving changes.
package hours

import "time"

// Calendar answers "is the line open at t?". It is immutable once built.
type Calendar struct {
	Name     string
	Location *time.Location
	// The hours helper fills in weekly ranges, holidays and exceptions.
}

// Status is the answer for one instant.
type Status struct {
	Open    bool
	Holiday string // the holiday's name when closed because of one
}
