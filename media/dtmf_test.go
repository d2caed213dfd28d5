package media

import (
	"encoding/binary"
	"testing"
)

func TestDTMFDetectorCountsEachEventOnce(t *testing.T) {
	ev := func(code uint8, end bool, dur uint16) []byte {
		p := []byte{code, 10, 0, 0}
		if end {
			p[1] |= 0x80
		}
		binary.BigEndian.PutUint16(p[2:], dur)
		return p
	}
	var d dtmfDetector
	type pkt struct {
		ts uint32
		p  []byte
	}
	// "1" with updates and three end packets, then "#" whose start was lost
	// (only end packets arrive), then "1" again as a new event.
	stream := []pkt{
		{1000, ev(1, false, 160)}, {1000, ev(1, false, 320)}, {1000, ev(1, true, 800)}, {1000, ev(1, true, 800)}, {1000, ev(1, true, 800)},
		{3000, ev(11, true, 800)}, {3000, ev(11, true, 800)},
		{5000, ev(1, false, 160)}, {5000, ev(1, true, 800)},
		{6000, []byte{1, 2}},        // truncated: ignored
		{7000, ev(200, false, 160)}, // not a DTMF event: ignored
	}
	var got []byte
	for _, p := range stream {
		if k, ok := d.packet(p.ts, p.p); ok {
			got = append(got, k)
		}
	}
	if string(got) != "1#1" {
		t.Errorf("digits = %q; want 1#1", got)
	}
}

func TestDTMFSenderPackets(t *testing.T) {
	var s dtmfSender
	s.enqueue("5x") // x is not a key: dropped
	payload := make([]byte, 4)
	var n, ends, markers int
	for tick := uint32(0); tick < 40; tick++ {
		ts, marker, ok := s.next(tick*FrameSamples, payload)
		if !ok {
			continue
		}
		n++
		if ts != 0 {
			t.Fatalf("event timestamp %d; want the start (0)", ts)
		}
		if marker {
			markers++
		}
		if payload[1]&0x80 != 0 {
			ends++
		}
	}
	if n != dtmfDigitTicks+dtmfEndRepeats || ends != dtmfEndRepeats || markers != 1 {
		t.Errorf("packets %d (ends %d, markers %d); want %d with %d ends and 1 marker", n, ends, markers, dtmfDigitTicks+dtmfEndRepeats, dtmfEndRepeats)
	}
	if s.busy() {
		t.Error("sender still busy after its digit")
	}
}
