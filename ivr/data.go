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
	flow   string
	typ    flows.Type
	result string
}

type promptData struct {
	label  string
	barged bool
}

type digitsData struct {
	digits, stop, varName, result, mask string
}

func newDataCache() *dataCache {
	return &dataCache{
		nodes:   map[nodeKey]map[string]string{},
		prompts: map[promptData]map[string]string{},
		digits:  map[digitsData]map[string]string{},
	}
}

// node is an ivr.node event's data; result is the branch a node decided on
// entry (hours: open, closed, holiday), "" for the others.
func (c *dataCache) node(flow string, t flows.Type, result string) map[string]string {
	return cached(c, c.nodes, nodeKey{flow, t, result}, func() map[string]string {
		if result != "" {
			return map[string]string{"node_type": string(t), "flow": flow, "result": result}
		}
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
// the like are one-off and get their own map. digits is already masked
// when mask is set.
func (c *dataCache) digitsOf(digits string, stop StopReason, varName, result, mask string) map[string]string {
	build := func() map[string]string {
		m := map[string]string{"digits": digits, "stop": string(stop), "result": result}
		if varName != "" {
			m["var"] = varName
		}
		if mask != "" {
			m["masked"] = mask
		}
		return m
	}
	if len(digits) > 2 || mask != "" {
		return build()
	}
	return cached(c, c.digits, digitsData{digits, string(stop), varName, result, mask}, build)
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
