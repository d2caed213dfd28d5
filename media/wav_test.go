package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// makeWAV builds a WAV in memory with the given format fields.
func makeWAV(format, channels uint16, rate uint32, bits uint16, data []byte, extra ...[]byte) []byte {
	var b bytes.Buffer
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(0))
	b.WriteString("WAVE")
	for _, e := range extra {
		b.Write(e)
	}
	b.WriteString("fmt ")
	binary.Write(&b, binary.LittleEndian, uint32(16))
	binary.Write(&b, binary.LittleEndian, format)
	binary.Write(&b, binary.LittleEndian, channels)
	binary.Write(&b, binary.LittleEndian, rate)
	binary.Write(&b, binary.LittleEndian, rate*uint32(channels)*uint32(bits)/8)
	binary.Write(&b, binary.LittleEndian, channels*bits/8)
	binary.Write(&b, binary.LittleEndian, bits)
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, uint32(len(data)))
	b.Write(data)
	return b.Bytes()
}

func samples(s ...int16) []byte {
	b := make([]byte, 2*len(s))
	for i, v := range s {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	return b
}

func TestReadWAV(t *testing.T) {
	list := []byte("LIST\x04\x00\x00\x00abcd")
	tests := []struct {
		name    string
		file    []byte
		want    []int16
		wantErr error
	}{
		{"mono 8k", makeWAV(1, 1, 8000, 16, samples(1, -2, 300)), []int16{1, -2, 300}, nil},
		{"extra chunk first", makeWAV(1, 1, 8000, 16, samples(5), list), []int16{5}, nil},
		{"stereo downmixed", makeWAV(1, 2, 8000, 16, samples(100, 300, -10, -30)), []int16{200, -20}, nil},
		{"16k halved", makeWAV(1, 1, 16000, 16, samples(0, 10, 20, 30)), []int16{0, 20}, nil},
		{"8-bit refused", makeWAV(1, 1, 8000, 8, []byte{1, 2}), nil, ErrWAVFormat},
		{"float refused", makeWAV(3, 1, 8000, 32, make([]byte, 8)), nil, ErrWAVFormat},
		{"not riff", []byte("RIFX\x00\x00\x00\x00WAVE"), nil, ErrWAVFormat},
		{"no data", makeWAV(1, 1, 8000, 16, nil)[:36], nil, ErrWAVFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadWAV(bytes.NewReader(tt.file))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("ReadWAV err = %v; want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadWAV: %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("ReadWAV = %v; want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("ReadWAV = %v; want %v", got, tt.want)
				}
			}
		})
	}
}

func TestWAVWriterRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rec.wav")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWAVWriter(f)
	if err != nil {
		t.Fatal(err)
	}
	want := []int16{1, 2, 3, -4, 32767, -32768}
	if err := w.Write(want[:3]); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(want[3:]); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	b, _ := os.ReadFile(path)
	if got := binary.LittleEndian.Uint32(b[40:]); got != 12 {
		t.Errorf("data size = %d; want 12", got)
	}
	got, err := ReadWAV(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || got[4] != 32767 || got[5] != -32768 {
		t.Errorf("round trip = %v; want %v", got, want)
	}
}

func FuzzReadWAV(f *testing.F) {
	f.Add(makeWAV(1, 1, 8000, 16, samples(1, 2, 3)))
	f.Add(makeWAV(1, 2, 44100, 16, samples(1, 2, 3, 4)))
	f.Fuzz(func(t *testing.T, b []byte) {
		ReadWAV(bytes.NewReader(b)) // must not panic
	})
}
