package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ErrWAVFormat is wrapped by ReadWAV for files it cannot turn into 8 kHz mono.
var ErrWAVFormat = errors.New("unsupported wav format")

const (
	wavFormatPCM        = 1
	wavFormatExtensible = 0xFFFE
	maxWAVBytes         = 64 << 20 // a 64 MiB prompt is ~70 minutes at 8 kHz: refuse larger
)

// ReadWAV reads a RIFF/WAVE file of 16-bit PCM and returns it as 8 kHz mono
// samples. Stereo (or more channels) is downmixed by averaging; other sample
// rates are resampled linearly, which is good enough for speech prompts
// (ship 8 kHz files to avoid it). Anything else fails with ErrWAVFormat.
func ReadWAV(r io.Reader) ([]int16, error) {
	var riff [12]byte
	if _, err := io.ReadFull(r, riff[:]); err != nil {
		return nil, fmt.Errorf("read wav header: %w", err)
	}
	if string(riff[0:4]) != "RIFF" || string(riff[8:12]) != "WAVE" {
		return nil, fmt.Errorf("%w: not a RIFF/WAVE file", ErrWAVFormat)
	}
	var (
		haveFmt  bool
		format   uint16
		channels int
		rate     int
		bits     uint16
	)
	for {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			return nil, fmt.Errorf("%w: no data chunk", ErrWAVFormat)
		}
		id := string(ch[0:4])
		size := binary.LittleEndian.Uint32(ch[4:8])
		switch id {
		case "fmt ":
			if size < 16 || size > 1024 {
				return nil, fmt.Errorf("%w: fmt chunk of %d bytes", ErrWAVFormat, size)
			}
			b := make([]byte, size+size%2)
			if _, err := io.ReadFull(r, b); err != nil {
				return nil, fmt.Errorf("read wav fmt: %w", err)
			}
			format = binary.LittleEndian.Uint16(b[0:2])
			channels = int(binary.LittleEndian.Uint16(b[2:4]))
			rate = int(binary.LittleEndian.Uint32(b[4:8]))
			bits = binary.LittleEndian.Uint16(b[14:16])
			if format == wavFormatExtensible && size >= 26 {
				format = binary.LittleEndian.Uint16(b[24:26])
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return nil, fmt.Errorf("%w: data before fmt", ErrWAVFormat)
			}
			if format != wavFormatPCM || bits != 16 {
				return nil, fmt.Errorf("%w: format %d with %d bits; want 16-bit PCM", ErrWAVFormat, format, bits)
			}
			if channels < 1 || channels > 8 || rate < 1000 || rate > 192000 {
				return nil, fmt.Errorf("%w: %d channels at %d Hz", ErrWAVFormat, channels, rate)
			}
			// Writers that stream (linphone, sox to a pipe) leave the size
			// unset or too large: read to EOF in that case.
			var data []byte
			var err error
			if size == 0 || size == 0xFFFFFFFF || size > maxWAVBytes {
				data, err = io.ReadAll(io.LimitReader(r, maxWAVBytes))
			} else {
				data = make([]byte, size)
				var n int
				n, err = io.ReadFull(r, data)
				data = data[:n]
				if errors.Is(err, io.ErrUnexpectedEOF) {
					err = nil // a truncated file still plays what it has
				}
			}
			if err != nil {
				return nil, fmt.Errorf("read wav data: %w", err)
			}
			return toMono8k(data, channels, rate), nil
		default:
			if _, err := io.CopyN(io.Discard, r, int64(size)+int64(size%2)); err != nil {
				return nil, fmt.Errorf("%w: truncated %q chunk", ErrWAVFormat, id)
			}
		}
	}
}

func toMono8k(data []byte, channels, rate int) []int16 {
	frames := len(data) / (2 * channels)
	mono := make([]int16, frames)
	for i := range mono {
		sum := 0
		for c := range channels {
			off := (i*channels + c) * 2
			sum += int(int16(binary.LittleEndian.Uint16(data[off:])))
		}
		mono[i] = int16(sum / channels)
	}
	if rate == SampleRate || frames == 0 {
		return mono
	}
	n := int(int64(frames) * SampleRate / int64(rate))
	out := make([]int16, n)
	for i := range out {
		pos := float64(i) * float64(rate) / SampleRate
		j := int(pos)
		frac := pos - float64(j)
		a := float64(mono[j])
		b := a
		if j+1 < frames {
			b = float64(mono[j+1])
		}
		out[i] = int16(a + (b-a)*frac)
	}
	return out
}

// WAVWriter writes 8 kHz mono 16-bit PCM. The header's sizes are fixed up by
// Close, so the file is valid once closed (and readable by ReadWAV, which
// tolerates the placeholder sizes, before that).
type WAVWriter struct {
	w       io.WriteSeeker
	samples int64
	buf     []byte
}

// NewWAVWriter writes a WAV header to w and returns a writer for samples.
func NewWAVWriter(w io.WriteSeeker) (*WAVWriter, error) {
	ww := &WAVWriter{w: w, buf: make([]byte, 2*FrameSamples)}
	if _, err := w.Write(wavHeader(0)); err != nil {
		return nil, fmt.Errorf("write wav header: %w", err)
	}
	return ww, nil
}

func wavHeader(dataBytes uint32) []byte {
	h := make([]byte, 44)
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], 36+dataBytes)
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], wavFormatPCM)
	binary.LittleEndian.PutUint16(h[22:], 1)
	binary.LittleEndian.PutUint32(h[24:], SampleRate)
	binary.LittleEndian.PutUint32(h[28:], SampleRate*2)
	binary.LittleEndian.PutUint16(h[32:], 2)
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], dataBytes)
	return h
}

// Write appends samples.
func (ww *WAVWriter) Write(pcm []int16) error {
	if cap(ww.buf) < 2*len(pcm) {
		ww.buf = make([]byte, 2*len(pcm))
	}
	b := ww.buf[:2*len(pcm)]
	for i, s := range pcm {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(s))
	}
	if _, err := ww.w.Write(b); err != nil {
		return fmt.Errorf("write wav samples: %w", err)
	}
	ww.samples += int64(len(pcm))
	return nil
}

// Samples is how many samples have been written.
func (ww *WAVWriter) Samples() int64 { return ww.samples }

// Close rewrites the header with the final sizes. It does not close the
// underlying writer.
func (ww *WAVWriter) Close() error {
	if _, err := ww.w.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("finalise wav: %w", err)
	}
	if _, err := ww.w.Write(wavHeader(uint32(ww.samples * 2))); err != nil {
		return fmt.Errorf("finalise wav: %w", err)
	}
	_, err := ww.w.Seek(0, io.SeekEnd)
	return err
}
