package flows

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
)

func exampleCatalog(t *testing.T) *Catalog {
	t.Helper()
	env := testEnv(t)
	env.Groups, env.Prompts = nil, nil
	cat, err := LoadDir(context.Background(), os.DirFS("../configs"), "flows", env)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func TestGraphFormats(t *testing.T) {
	cat := exampleCatalog(t)
	for _, name := range []string{"heating-hotline", "airline-changes"} {
		f := cat.Flows[name]
		edges := 0
		for _, n := range f.Nodes {
			edges += len(n.Edges())
		}

		var dot bytes.Buffer
		if err := WriteGraph(&dot, f, "dot"); err != nil {
			t.Fatal(err)
		}
		d := dot.String()
		if !strings.HasPrefix(d, `digraph "`+name+`" {`) || !strings.HasSuffix(d, "}\n") {
			t.Errorf("%s: dot is not a digraph:\n%s", name, d)
		}
		nodeDecls := regexp.MustCompile(`(?m)^  "[^"]+" \[label=`).FindAllString(d, -1)
		if len(nodeDecls) != len(f.Nodes) {
			t.Errorf("%s: dot declares %d nodes; flow has %d", name, len(nodeDecls), len(f.Nodes))
		}
		if got := strings.Count(d, " -> "); got != edges {
			t.Errorf("%s: dot has %d edges; want %d", name, got, edges)
		}

		var mm bytes.Buffer
		if err := WriteGraph(&mm, f, "mermaid"); err != nil {
			t.Fatal(err)
		}
		if m := mm.String(); !strings.HasPrefix(m, "flowchart TD\n") || strings.Count(m, " -->|") != edges {
			t.Errorf("%s: mermaid has %d edges; want %d", name, strings.Count(m, " -->|"), edges)
		}

		var svg bytes.Buffer
		if err := WriteGraph(&svg, f, "svg"); err != nil {
			t.Fatal(err)
		}
		if err := wellFormedXML(svg.Bytes()); err != nil {
			t.Errorf("%s: svg is not well-formed XML: %v", name, err)
		}
		if got := strings.Count(svg.String(), "<rect x="); got != len(f.Nodes) {
			t.Errorf("%s: svg has %d boxes; want %d", name, got, len(f.Nodes))
		}
		if got := strings.Count(svg.String(), `marker-end="url(#arrow)"`); got != edges {
			t.Errorf("%s: svg has %d arrows; want %d", name, got, edges)
		}
	}
	if err := WriteGraph(io.Discard, cat.Flows["heating-hotline"], "png"); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestGraphEdgeLabels(t *testing.T) {
	f := exampleCatalog(t).Flows["heating-hotline"]
	var dot bytes.Buffer
	if err := WriteDOT(&dot, f); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"language" -> "set_zh" [label="1, on_fail"];`,
		`"main_menu" -> "account" [label="1"];`,
		`"check_hours" -> "main_menu" [label="open"];`,
		`"check_hours" -> "holiday_closed" [label="holiday"];`,
		`"billing" -> "after_hours" [label="on_timeout, on_closed"];`,
		`"need_account" -> "status_account" [label="empty"];`,
		`"outage_status" -> "status_unavailable" [label="on_error"];`,
	} {
		if !strings.Contains(dot.String(), want) {
			t.Errorf("dot lacks %s", want)
		}
	}
}

func TestSVGLayoutNoOverlap(t *testing.T) {
	for _, f := range exampleCatalog(t).Flows {
		boxes, edges := svgGraph(f)
		layers := svgLayers(f, boxes, edges)
		svgOrder(layers, edges)
		svgPlace(layers, edges)
		for _, l := range layers {
			for i := 1; i < len(l); i++ {
				if l[i].x < l[i-1].x+l[i-1].w {
					t.Errorf("%s: %s overlaps %s", f.Name, l[i].title, l[i-1].title)
				}
			}
		}
		if layers[0][0].node != f.Start {
			t.Errorf("%s: first layer is %v; want the start", f.Name, layers[0][0].title)
		}
	}
}

func wellFormedXML(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
