package ivrtest

import (
	"bytes"
	"encoding/binary"
	"math"
	"strconv"
	"testing/fstest"
	"time"
)

// ConformancePrompts lists the prompt names the conformance flows play;
// PromptStore has a WAV for each.
var ConformancePrompts = []string{
	"welcome", "menu", "invalid", "no_input", "goodbye", "enter_account", "invalid_account",
	"thanks", "leave_message", "callback_confirmed", "outage_ok", "operator", "short", "moh",
	"you_are_number", "estimated_wait", "minutes", "timeout", "long",
}

// PromptStore builds an in-memory prompt store for lang: each name of
// ConformancePrompts, digits/0-9, digits/star, digits/pound and numbers/0-20
// as 8 kHz mono 16-bit PCM WAVs of a quiet tone, length long for "long"
// and short for the rest.
func PromptStore(lang string, short, long time.Duration) fstest.MapFS {
	fsys := fstest.MapFS{}
	add := func(name string, d time.Duration) {
		fsys[lang+"/"+name+".wav"] = &fstest.MapFile{Data: ToneWAV(d, 440)}
	}
	for _, n := range ConformancePrompts {
		d := short
		if n == "long" {
			d = long
		}
		add(n, d)
	}
	for i := 0; i <= 9; i++ {
		add("digits/"+strconv.Itoa(i), short)
	}
	add("digits/star", short)
	add("digits/pound", short)
	for i := 0; i <= 20; i++ {
		add("numbers/"+strconv.Itoa(i), short)
	}
	return fsys
}

// ToneWAV returns a WAV file (RIFF, PCM, 16-bit, mono, 8 kHz) holding d of
// a sine at hz, at a tenth of full scale.
func ToneWAV(d time.Duration, hz float64) []byte {
	const rate = 8000
	n := int(d.Seconds() * rate)
	var b bytes.Buffer
	w := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	w(uint32(36 + 2*n))
	b.WriteString("WAVEfmt ")
	w(uint32(16))
	w(uint16(1)) // PCM
	w(uint16(1)) // mono
	w(uint32(rate))
	w(uint32(rate * 2))
	w(uint16(2))
	w(uint16(16))
	b.WriteString("data")
	w(uint32(2 * n))
	for i := 0; i < n; i++ {
		w(int16(3276 * math.Sin(2*math.Pi*hz*float64(i)/rate)))
	}
	return b.Bytes()
}
