package ivr

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/flows"
)

// DefaultRecordVar receives a recording's path when the node names none.
const DefaultRecordVar = "recording"

// record plays its prompts, then records the caller to
// RecordingsDir/<call id>-<node>-<random>.wav (a second visit adds -2, -3,
// ... before the random part). A
// saved recording is a voicemail.saved event and the path goes into Var.
// A caller who hangs up while speaking still leaves the message: that is
// how most voicemails end.
func (r *run) record(ctx context.Context, n *flows.Node) (*flows.Node, error) {
	spec := n.Record
	if _, err := r.say(ctx, spec.Prompts, false); err != nil {
		return nil, err
	}
	path := r.recordingPath(n.ID)
	rec, err := r.call.Record(ctx, Record{
		Path: path, Max: spec.Max, Silence: spec.Silence, Terminator: spec.Terminator, Beep: spec.Beep,
	})
	hungUp := err != nil && r.callerGone(ctx, err) || err == nil && rec.Stop == "hangup"
	if err != nil && !hungUp {
		return nil, err
	}
	if err == nil || rec.Duration > 0 {
		if rec.Path == "" {
			rec.Path = path
		}
		name := spec.Var
		if name == "" {
			name = DefaultRecordVar
		}
		r.vars.Set(name, rec.Path)
		r.input()
		r.emit(ctx, events.VoicemailSaved, n.ID, map[string]string{
			"path": rec.Path, "duration_ms": strconv.FormatInt(rec.Duration.Milliseconds(), 10), "stop": rec.Stop,
		})
	}
	if hungUp {
		return nil, errors.Join(ErrHangup, err)
	}
	return n.Next, nil
}

func (r *run) recordingPath(node string) string {
	if r.records == nil {
		r.records = map[string]int{}
	}
	r.records[node]++
	name := safeName(r.call.ID()) + "-" + safeName(node)
	if k := r.records[node]; k > 1 {
		name += "-" + strconv.Itoa(k)
	}
	// The Call-ID is the caller's to choose, and cleaning folds different
	// ones together ("dup/x" and "dup_x"), so the name alone is not unique:
	// a random suffix is. Transports also create the file exclusively, so
	// a collision can fail a recording but never overwrite one.
	var suffix [6]byte
	rand.Read(suffix[:]) // never returns an error (crypto/rand)
	return filepath.Join(r.e.cfg.RecordingsDir, name+"-"+hex.EncodeToString(suffix[:])+".wav")
}

// maxNamePart bounds each part of a recording's file name, so a long
// Call-ID cannot push the name past the file system's 255 bytes.
const maxNamePart = 80

// safeName keeps a call ID (SIP Call-IDs hold '@' and worse) usable as a
// file name part: a short one, of letters, digits and "-_.".
func safeName(s string) string {
	if len(s) > maxNamePart {
		s = s[:maxNamePart]
	}
	return strings.Map(func(c rune) rune {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
			return c
		}
		return '_'
	}, s)
}
