// Package hours owns business-hours calendars: weekly opening ranges,
// public holidays and one-off exceptions (closed on a weekday, open on a
// Saturday: a make-up working day), each for a date or an inclusive range
// of dates, in a named IANA time zone, correct across daylight-saving
// changes.
//
// Invariants:
//   - A Calendar is immutable once built (New, or Config.Build); it is safe
//     for concurrent use without locks.
//   - Ranges are wall-clock times of the calendar's zone. "08:00-18:00" opens
//     at 08:00 local time whatever the UTC offset is that day, so a DST day is
//     still open from 08:00 to 18:00 local (nine or eleven real hours for a
//     00:00-24:00 range, as the clocks say).
//   - A range includes its start and excludes its end: 08:00-18:00 is open at
//     08:00:00 and closed at 18:00:00.
//   - An overnight range (22:00-06:00) belongs to the day it starts on for the
//     weekly pattern, but its part after midnight is a time on the next
//     calendar date; a holiday or exception on that next date decides that
//     part. Each calendar date is decided on its own.
//   - Precedence for one date: exception, then holiday, then the weekly
//     pattern. An exception is the most specific statement ("open this
//     Saturday", "closed on this Tuesday") and wins over a holiday on the
//     same date.
//
// The package imports the embedded time zone database (time/tzdata), so
// named zones work on machines without /usr/share/zoneinfo.
package hours
