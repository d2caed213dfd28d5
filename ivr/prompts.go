package ivr

import (
	"context"
	"io/fs"
	"strconv"
	"strings"
	"sync"

	"github.com/switchboard-cc/switchboard/events"
	"github.com/switchboard-cc/switchboard/flows"
)

// maxCached bounds every engine cache: rendered prompt names and event data
// can come from caller input or lookups, so a cache keyed by them must not
// grow without limit. Past it, results are computed afresh (and allocate).
const maxCached = 4096

// resolved is one prompt item resolved for a language: the prompts to play
// and the label events carry ("welcome", "digits:1234", "sound:beep").
type resolved struct {
	prompts   []Prompt
	label     string
	sensitive bool // the prompts read out a secret: never cached, label masked
}

type promptKey struct {
	lang, fallback, kind, name string
}

// promptResolver maps a prompt item to files of the prompt store. A file
// missing in the call's language falls back to the flow's default language;
// number:N falls back to its digits when numbers/N.wav is missing. Results
// are cached and shared: callers must treat the Prompt slices as read-only.
type promptResolver struct {
	store fs.FS

	mu     sync.RWMutex
	cache  map[promptKey]resolved
	exists map[string]bool
}

func newPromptResolver(store fs.FS) *promptResolver {
	return &promptResolver{store: store, cache: map[promptKey]resolved{}, exists: map[string]bool{}}
}

// resolve resolves one item; name is already rendered.
func (p *promptResolver) resolve(lang, fallback, kind, name string) resolved {
	k := promptKey{lang, fallback, kind, name}
	p.mu.RLock()
	res, ok := p.cache[k]
	p.mu.RUnlock()
	if ok {
		return res
	}
	res = p.build(lang, fallback, kind, name)
	p.mu.Lock()
	if len(p.cache) < maxCached {
		p.cache[k] = res
	}
	p.mu.Unlock()
	return res
}

func (p *promptResolver) build(lang, fallback, kind, name string) resolved {
	switch kind {
	case "sound":
		return resolved{prompts: []Prompt{{Name: name, Sound: name}}, label: "sound:" + name}
	case "digits":
		return resolved{prompts: p.digits(lang, fallback, name), label: "digits:" + name}
	case "number":
		label := "number:" + name
		if isNumber(name) {
			file := "numbers/" + name
			if p.store == nil || p.has(lang, fallback, file) {
				return resolved{prompts: []Prompt{p.file(lang, fallback, file)}, label: label}
			}
		}
		return resolved{prompts: p.digits(lang, fallback, name), label: label}
	}
	if name == "" {
		return resolved{label: ""}
	}
	return resolved{prompts: []Prompt{p.file(lang, fallback, name)}, label: name}
}

// digits reads s out key by key; characters without a recording are skipped.
func (p *promptResolver) digits(lang, fallback, s string) []Prompt {
	out := make([]Prompt, 0, len(s))
	for _, c := range s {
		var name string
		switch {
		case c >= '0' && c <= '9':
			name = "digits/" + string(c)
		case c == '*':
			name = "digits/star"
		case c == '#':
			name = "digits/pound"
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			name = "letters/" + strings.ToLower(string(c))
		default:
			continue
		}
		out = append(out, p.file(lang, fallback, name))
	}
	return out
}

// file resolves a prompt name to "<lang>/<name>.wav", falling back to the
// flow's default language when the store lacks it in lang.
func (p *promptResolver) file(lang, fallback, name string) Prompt {
	use := lang
	if p.store != nil && !p.exist(lang+"/"+name+".wav") && fallback != "" && p.exist(fallback+"/"+name+".wav") {
		use = fallback
	}
	base := name
	if use != "" {
		base = use + "/" + name
	}
	return Prompt{Name: name, File: base + ".wav", Sound: base}
}

func (p *promptResolver) has(lang, fallback, name string) bool {
	return p.exist(lang+"/"+name+".wav") || (fallback != "" && p.exist(fallback+"/"+name+".wav"))
}

// exist is called from build only (cache misses), under no lock.
func (p *promptResolver) exist(path string) bool {
	p.mu.RLock()
	ok, known := p.exists[path]
	p.mu.RUnlock()
	if known {
		return ok
	}
	_, err := fs.Stat(p.store, path)
	ok = err == nil
	p.mu.Lock()
	if len(p.exists) < maxCached {
		p.exists[path] = ok
	}
	p.mu.Unlock()
	return ok
}

func isNumber(s string) bool {
	if s == "" || len(s) > 1 && s[0] == '0' {
		return false
	}
	_, err := strconv.ParseUint(s, 10, 32)
	return err == nil
}

// item resolves a flow's prompt reference for the call's current language.
// An item that reads a sensitive variable (digits:{{card}}) is resolved
// afresh, never cached, and labelled with the masked value.
func (r *run) item(ref flows.PromptRef) resolved {
	if r.vars.sensitive(ref.Name) {
		res := r.e.prompts.build(r.vars.language(), r.flow.Language, ref.Kind, ref.Name.Render(&r.vars))
		masked := ref.Name.Render(r.vars.masked())
		res.label = masked
		if ref.Kind != "file" {
			res.label = ref.Kind + ":" + masked
		}
		res.sensitive = true
		return res
	}
	return r.e.prompts.resolve(r.vars.language(), r.flow.Language, ref.Kind, ref.Name.Render(&r.vars))
}

// say plays prompt items in order, one Play per item so each gets its own
// ivr.prompt event and a barge-in names the item it cut. With barge it
// stops at the first key and returns it (still buffered in the call).
func (r *run) say(ctx context.Context, refs []flows.PromptRef, barge bool) (string, error) {
	for i := range refs {
		key, err := r.playResolved(ctx, r.item(refs[i]), barge)
		if err != nil || key != "" {
			return key, err
		}
	}
	return "", nil
}

func (r *run) playResolved(ctx context.Context, res resolved, barge bool) (string, error) {
	if len(res.prompts) == 0 {
		return "", nil
	}
	key, err := r.call.Play(ctx, Playback{Prompts: res.prompts, Barge: barge, Sensitive: res.sensitive})
	if err != nil {
		return "", err
	}
	r.emit(ctx, events.IVRPrompt, r.node.ID, r.e.data.prompt(res.label, key != ""))
	return key, nil
}
