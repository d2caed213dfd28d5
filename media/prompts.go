package media

import (
	"fmt"
	"io/fs"
	"math"
	"sync"
)

// Clip is encoded audio cut into whole 20 ms frames (len is a multiple of
// FrameSamples). Clips are shared between calls and never modified.
type Clip []byte

// Frames is the number of 20 ms frames in the clip.
func (c Clip) Frames() int { return len(c) / FrameSamples }

// PromptCache decodes each prompt once per codec and keeps the frames. It is
// safe for concurrent use; concurrent first loads of one prompt decode it
// once.
type PromptCache struct {
	fsys fs.FS

	mu      sync.Mutex
	entries map[promptKey]*promptEntry
}

type promptKey struct {
	path string
	law  law
}

type promptEntry struct {
	ready chan struct{}
	clip  Clip
	err   error
}

// NewPromptCache reads prompts from fsys, the prompt store (configs/prompts
// or its embedded copy); paths are like "en/welcome.wav".
func NewPromptCache(fsys fs.FS) *PromptCache {
	return &PromptCache{fsys: fsys, entries: make(map[promptKey]*promptEntry)}
}

// Load returns the prompt at path encoded with codec. The last frame is
// padded with silence. A failed load is not cached, so a prompt added later
// plays once it exists.
func (pc *PromptCache) Load(path string, codec Codec) (Clip, error) {
	key := promptKey{path, codec.law}
	pc.mu.Lock()
	e, ok := pc.entries[key]
	if !ok {
		e = &promptEntry{ready: make(chan struct{})}
		pc.entries[key] = e
		pc.mu.Unlock()
		e.clip, e.err = pc.decode(path, codec)
		close(e.ready)
		if e.err != nil {
			pc.mu.Lock()
			delete(pc.entries, key)
			pc.mu.Unlock()
		}
		return e.clip, e.err
	}
	pc.mu.Unlock()
	<-e.ready
	return e.clip, e.err
}

func (pc *PromptCache) decode(path string, codec Codec) (Clip, error) {
	f, err := pc.fsys.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open prompt %s: %w", path, err)
	}
	defer f.Close()
	pcm, err := ReadWAV(f)
	if err != nil {
		return nil, fmt.Errorf("prompt %s: %w", path, err)
	}
	return EncodeClip(pcm, codec), nil
}

// EncodeClip encodes pcm into whole frames, padding the last with silence.
func EncodeClip(pcm []int16, codec Codec) Clip {
	n := (len(pcm) + FrameSamples - 1) / FrameSamples * FrameSamples
	clip := make(Clip, n)
	if len(pcm) > 0 {
		codec.Encode(clip, pcm)
	}
	for i := len(pcm); i < n; i++ {
		clip[i] = codec.Silence
	}
	return clip
}

var (
	beepOnce  sync.Once
	beepClips [2]Clip
)

// Beep is a 250 ms 1 kHz tone at -12 dBFS, the record node's "speak now".
func Beep(codec Codec) Clip {
	beepOnce.Do(func() {
		pcm := make([]int16, SampleRate/4)
		for i := range pcm {
			pcm[i] = int16(8000 * math.Sin(2*math.Pi*1000*float64(i)/SampleRate))
		}
		beepClips[lawMu] = EncodeClip(pcm, PCMU)
		beepClips[lawA] = EncodeClip(pcm, PCMA)
	})
	return beepClips[codec.law]
}
