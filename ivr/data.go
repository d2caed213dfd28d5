package ivr

import (
	"sync"

	"github.com/switchboard-cc/switchboard/flows"
)

// dataCache hands out the Data maps of the hot events (ivr.node, ivr.prompt,
// menu-sized ivr.digits) so a menu loop emits them without allocating. The
// maps are shared between events: sinks must treat Event.Data as read-only,
// as they already must since an event is a fact.
type dataCache struct {
	mu      sync.RWMutex
	nodes   map[nodeKey]map[string]string
	prompts map[promptData]map[string]string
	digits  map[digitsData]map[string]string
}

type nodeKey struct {
	flow string
	typ  flows.Type
}

type promptData struct {
	label  string
	barged bool
}

type digitsData struct {
	digits, stop, varName string
}

func newDataCache() *dataCache {
	return &dataCache{
		nodes:   map[nodeKey]map[string]string{},
		prompts: map[promptData]map[string]string{},
		digits:  map[digitsData]map[string]string{},
	}
}

func (c *dataCache) node(flow string, t flows.Type) map[string]string {
	return cached(c, c.nodes, nodeKey{flow, t}, func() map[string]string {
		return map[string]string{"node_type": string(t), "flow": flow}
	})
}

func (c *dataCache) prompt(label string, barged bool) map[string]string {
	return cached(c, c.prompts, promptData{label, barged}, func() map[string]string {
		if barged {
			return map[string]string{"prompt": label, "barged": "1"}
		}
		return map[string]string{"prompt": label}
	})
}

// digitsOf caches only short digit strings (menu keys); account numbers and
// the like are one-off and get their own map.
func (c *dataCache) digitsOf(digits string, stop StopReason, varName string) map[string]string {
	build := func() map[string]string {
		m := map[string]string{"digits": digits, "stop": string(stop)}
		if varName != "" {
			m["var"] = varName
		}
		return m
	}
	if len(digits) > 2 {
		return build()
	}
	return cached(c, c.digits, digitsData{digits, string(stop), varName}, build)
}

func cached[K comparable](c *dataCache, m map[K]map[string]string, k K, build func() map[string]string) map[string]string {
	c.mu.RLock()
	d, ok := m[k]
	c.mu.RUnlock()
	if ok {
		return d
	}
	d = build()
	c.mu.Lock()
	if len(m) < maxCached {
		m[k] = d
	}
	c.mu.Unlock()
	return d
}
