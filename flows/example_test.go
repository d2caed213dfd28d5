package flows_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"sort"

	"github.com/switchboard-cc/switchboard/configs"
	"github.com/switchboard-cc/switchboard/flows"
	"github.com/switchboard-cc/switchboard/hours"
)

// LoadDir works the same on the embedded defaults (embed.FS) as on disk
// (os.DirFS): the server runs from either.
func ExampleLoadDir() {
	office, err := hours.Config{Timezone: "Asia/Shanghai", Weekly: map[string][]string{"mon-fri": {"08:00-18:00"}}}.Build("office")
	if err != nil {
		panic(err)
	}
	prompts, _ := fs.Sub(configs.FS, "prompts")
	env := flows.Env{Calendars: map[string]*hours.Calendar{"office": office}, Prompts: prompts}

	for _, fsys := range []fs.FS{configs.FS, os.DirFS("../configs")} {
		cat, err := flows.LoadDir(context.Background(), fsys, "flows", env)
		if err != nil {
			fmt.Println(err)
			return
		}
		var numbers []string
		for n, f := range cat.ByNumber {
			numbers = append(numbers, n+"->"+f.Name)
		}
		sort.Strings(numbers)
		fmt.Println(numbers)
	}
	// Output:
	// [+18005550171->airline-changes +861096069->heating-hotline 96069->heating-hotline 96071->airline-changes]
	// [+18005550171->airline-changes +861096069->heating-hotline 96069->heating-hotline 96071->airline-changes]
}

// A ValidationError lists every issue with its position.
func ExampleCompile() {
	src := `flow: demo
start: hello
nodes:
  hello: {type: paly, prompt: welcome, next: bye}
  bye: {type: hangup, cause: bussy}
`
	_, err := flows.Compile(context.Background(), []flows.Source{{Name: "demo.yaml", Data: []byte(src)}}, flows.Env{})
	fmt.Println(err)
	// Output:
	// demo.yaml:4:17: unknown node type "paly" (did you mean "play"?); the types are play, menu, input, hours, switch, set, queue, transfer, record, callback, lookup, goto, hangup
	// demo.yaml:5:30: bye.cause: "bussy" is not one of [normal busy congestion rejected unallocated] (did you mean "busy"?)
}
