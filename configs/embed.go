// Package configs holds Switchboard's embedded defaults: switchboard.yaml,
// the example flows and their prompts. It is data only; FS lets
// `switchboard serve` run with nothing on disk.
package configs

import "embed"

// FS holds switchboard.yaml, flows/ and prompts/.
//
//go:embed switchboard.yaml flows prompts
var FS embed.FS
