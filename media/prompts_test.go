package media

import (
	"errors"
	"io/fs"
	"sync"
	"testing"
	"testing/fstest"
)

// countingFS counts opens, to prove each prompt is decoded once.
type countingFS struct {
	fstest.MapFS
	mu    sync.Mutex
	opens map[string]int
}

func (c *countingFS) Open(name string) (fs.File, error) {
	c.mu.Lock()
	c.opens[name]++
	c.mu.Unlock()
	return c.MapFS.Open(name)
}

func TestPromptCacheDecodesOnce(t *testing.T) {
	pcm := make([]int16, 250) // 1.56 frames -> 2 frames, padded
	for i := range pcm {
		pcm[i] = 1000
	}
	fsys := &countingFS{MapFS: fstest.MapFS{
		"en/welcome.wav": {Data: makeWAV(1, 1, 8000, 16, samples(pcm...))},
	}, opens: map[string]int{}}
	pc := NewPromptCache(fsys)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			clip, err := pc.Load("en/welcome.wav", PCMU)
			if err != nil {
				t.Error(err)
				return
			}
			if clip.Frames() != 2 {
				t.Errorf("frames = %d; want 2", clip.Frames())
			}
			if clip[len(clip)-1] != PCMU.Silence {
				t.Errorf("padding = %#x; want silence", clip[len(clip)-1])
			}
		})
	}
	wg.Wait()
	if _, err := pc.Load("en/welcome.wav", PCMA); err != nil {
		t.Fatal(err)
	}
	if n := fsys.opens["en/welcome.wav"]; n != 2 {
		t.Errorf("opened %d times; want 2 (once per codec)", n)
	}
	if _, err := pc.Load("en/missing.wav", PCMU); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing prompt err = %v; want fs.ErrNotExist", err)
	}
}
