package media

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// RecordStop says why a recording ended.
type RecordStop string

const (
	StopSilence   RecordStop = "silence"
	StopMax       RecordStop = "max"
	StopDigit     RecordStop = "terminator"
	StopHangup    RecordStop = "hangup"
	StopCancelled RecordStop = "cancelled"
)

// SilenceLevel is the mean absolute sample value under which a 20 ms frame
// counts as silence (about -45 dBFS: line noise, not speech).
const SilenceLevel = 180

// Recorder writes the caller's audio to a WAV file and notices silence. The
// receive goroutine feeds it; the call's control goroutine waits on Done.
type Recorder struct {
	path          string
	file          *os.File
	buf           *bufio.Writer
	wav           *WAVWriter
	silenceFrames int // stop after this many silent frames in a row; 0: never

	mu      sync.Mutex
	silent  int
	stopped bool
	why     RecordStop
	err     error
	done    chan struct{}
}

// NewRecorder creates path (and its directory; an existing file is an
// error, never overwritten) for a recording that stops
// after silence of the given length (0: never on silence).
func NewRecorder(path string, silence time.Duration) (*Recorder, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create recording dir: %w", err)
	}
	// O_EXCL: a recording never replaces a file, whatever its name.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create recording: %w", err)
	}
	r := &Recorder{path: path, file: f, done: make(chan struct{})}
	r.buf = bufio.NewWriterSize(f, 8<<10)
	r.wav, err = NewWAVWriter(seekFlusher{r.buf, f})
	if err != nil {
		f.Close()
		return nil, err
	}
	r.silenceFrames = int(silence / Ptime)
	return r, nil
}

// seekFlusher lets WAVWriter seek a buffered file: it flushes first.
type seekFlusher struct {
	*bufio.Writer
	f *os.File
}

func (s seekFlusher) Seek(off int64, whence int) (int64, error) {
	if err := s.Flush(); err != nil {
		return 0, err
	}
	return s.f.Seek(off, whence)
}

// feed appends decoded samples; it runs on the receive goroutine.
func (r *Recorder) feed(pcm []int16) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
	if err := r.wav.Write(pcm); err != nil {
		r.err = err
		r.stopLocked(StopHangup)
		return
	}
	if r.silenceFrames == 0 {
		return
	}
	if isSilent(pcm) {
		r.silent++
		if r.silent >= r.silenceFrames {
			r.stopLocked(StopSilence)
		}
	} else {
		r.silent = 0
	}
}

func isSilent(pcm []int16) bool {
	sum := 0
	for _, s := range pcm {
		if s < 0 {
			sum -= int(s)
		} else {
			sum += int(s)
		}
	}
	return len(pcm) == 0 || sum/len(pcm) < SilenceLevel
}

func (r *Recorder) stop(why RecordStop) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopLocked(why)
}

func (r *Recorder) stopLocked(why RecordStop) {
	if r.stopped {
		return
	}
	r.stopped, r.why = true, why
	close(r.done)
}

// Done is closed once the recording stopped (silence, or Session.StopRecording).
func (r *Recorder) Done() <-chan struct{} { return r.done }

// Finish stops the recording with why (if still running), finalises the
// WAV header and closes the file. It returns why it stopped, the length of
// audio written, and any write error.
func (r *Recorder) Finish(why RecordStop) (RecordStop, time.Duration, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopLocked(why)
	if r.file != nil {
		err := r.wav.Close()
		if err == nil {
			err = r.buf.Flush()
		}
		if cerr := r.file.Close(); err == nil {
			err = cerr
		}
		if r.err == nil {
			r.err = err
		}
		r.file = nil
	}
	d := time.Duration(r.wav.Samples()) * time.Second / SampleRate
	return r.why, d, r.err
}

// Path is the WAV file being written.
func (r *Recorder) Path() string { return r.path }
