package media

import "encoding/binary"

// RFC 4733 telephone-events. The payload is 4 bytes: event, E|R|volume,
// duration (in timestamp units). A sender repeats the event with a growing
// duration and the same timestamp, then sends the end bit three times.

const dtmfEvents = "0123456789*#ABCD"

// DigitEvent maps a DTMF key to its RFC 4733 event code (§3.2).
func DigitEvent(d byte) (uint8, bool) {
	for i := range len(dtmfEvents) {
		if dtmfEvents[i] == d || (d >= 'a' && d <= 'd' && dtmfEvents[i] == d-32) {
			return uint8(i), true
		}
	}
	return 0, false
}

// EventDigit maps an RFC 4733 event code to its key.
func EventDigit(e uint8) (byte, bool) {
	if int(e) < len(dtmfEvents) {
		return dtmfEvents[e], true
	}
	return 0, false
}

// dtmfDetector reports each telephone-event once, however many update and
// end packets carry it: one event is one RTP timestamp (RFC 4733 §2.5.1.3).
type dtmfDetector struct {
	seen   bool
	lastTS uint32
}

func (d *dtmfDetector) packet(ts uint32, payload []byte) (byte, bool) {
	if len(payload) < 4 {
		return 0, false
	}
	if d.seen && ts == d.lastTS {
		return 0, false
	}
	digit, ok := EventDigit(payload[0])
	if !ok {
		return 0, false
	}
	d.seen, d.lastTS = true, ts
	return digit, true
}

// Event timing for digits Switchboard sends.
const (
	dtmfDigitTicks = 5 // 100 ms of tone
	dtmfGapTicks   = 3 // 60 ms between digits
	dtmfEndRepeats = 3
	dtmfVolume     = 10 // -10 dBm0
)

// dtmfSender walks one queued digit string through the packets it needs.
type dtmfSender struct {
	queue   [32]byte
	n, head int
	// current event
	active bool
	event  uint8
	startT uint32
	tick   int // packets sent for this event
	gap    int // ticks left before the next digit
}

func (ds *dtmfSender) enqueue(digits string) {
	for i := range len(digits) {
		if _, ok := DigitEvent(digits[i]); ok && ds.n < len(ds.queue) {
			ds.queue[(ds.head+ds.n)%len(ds.queue)] = digits[i]
			ds.n++
		}
	}
}

func (ds *dtmfSender) busy() bool { return ds.active || ds.n > 0 || ds.gap > 0 }

// next fills payload with the next event packet if one is due this tick. It
// returns the RTP timestamp to use and whether this packet starts the event
// (marker bit).
func (ds *dtmfSender) next(now uint32, payload []byte) (ts uint32, marker, ok bool) {
	if !ds.active {
		if ds.gap > 0 {
			ds.gap--
			return 0, false, false
		}
		if ds.n == 0 {
			return 0, false, false
		}
		d := ds.queue[ds.head]
		ds.head = (ds.head + 1) % len(ds.queue)
		ds.n--
		ds.event, _ = DigitEvent(d)
		ds.active, ds.startT, ds.tick = true, now, 0
		marker = true
	}
	ds.tick++
	end := ds.tick > dtmfDigitTicks
	dur := min(ds.tick, dtmfDigitTicks) * FrameSamples
	payload[0] = ds.event
	payload[1] = dtmfVolume
	if end {
		payload[1] |= 0x80
	}
	binary.BigEndian.PutUint16(payload[2:], uint16(dur))
	if ds.tick >= dtmfDigitTicks+dtmfEndRepeats {
		ds.active = false
		ds.gap = dtmfGapTicks
	}
	return ds.startT, marker, true
}
