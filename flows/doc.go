// Package flows owns the YAML call-flow language: it loads flow files with
// yaml.v3 nodes so every problem carries file:line:col, validates a whole
// set of flows at once, and compiles them into an immutable graph (Catalog,
// Flow, Node) that the ivr engine walks. It also publishes the language's
// JSON Schema (schema.json), draws flows (dot, Mermaid, SVG), and hot-reloads
// a flow directory (Watcher).
//
// Entry points: LoadDir (a directory of an fs.FS: os.DirFS or embed.FS),
// Load (named files), Compile (sources in memory). They take an Env: the
// calendars, skill groups, skills and prompt store the flows refer to.
//
// Invariants:
//   - Validation reports every problem in one pass, as a *ValidationError
//     whose Issues are sorted by file, line and column. A Catalog is returned
//     only when there are none: a Catalog always validates.
//   - A Catalog and everything reachable from it is never modified after
//     Compile returns; it is safe to share between goroutines without locks.
//     Hot reload builds a new Catalog and swaps the pointer (Watcher), so a
//     call in progress keeps the Flow it started with.
//   - The compiler fills every default (menu timeout 5s, 3 retries, a menu's
//     no_input prompt = its invalid prompt, an hours node's holiday target =
//     its closed target, a lookup's on_error = its next, music on hold
//     "moh"...), so the engine never interprets an absent field. A nil
//     target means the call ends there.
//   - Every target resolves to a *Node of the same flow; every node is
//     reachable from the start (or from a goto of another flow); no set of
//     nodes can loop without waiting for the caller unless it has a way out.
//   - The field tables in fields.go are the single description of the YAML
//     surface: the loader, schema.json (generated, checked by a test) and
//     docs/flows.md follow them.
package flows
