package flows

import (
	"fmt"
	"html"
	"io"
	"sort"
	"strings"
)

// The SVG is laid out in Go (no Graphviz needed): nodes go into layers by
// their distance from the start, are ordered within a layer by the
// barycentre of their neighbours to reduce crossings, and are centred under
// their parents. Edges that go back up (retries, loops to a menu) are drawn
// as curves on the right.

const (
	svgMargin     = 24.0
	svgLayerGap   = 70.0
	svgNodeGap    = 28.0
	svgBoxHeight  = 40.0
	svgCharWidth  = 6.6 // average glyph width of 11px sans-serif
	svgMinBoxWide = 90.0
	svgSweeps     = 4
)

type svgBox struct {
	node         *Node // nil for the box a goto leads to
	title, sub   string
	layer, order int
	x, y, w, h   float64
	dashed       bool
	index        int
}

func (b *svgBox) cx() float64 { return b.x + b.w/2 }

type svgEdge struct {
	from, to *svgBox
	label    string
	dashed   bool
}

// WriteSVG writes a standalone SVG picture of the flow.
func WriteSVG(w io.Writer, f *Flow) error {
	boxes, edges := svgGraph(f)
	layers := svgLayers(f, boxes, edges)
	svgOrder(layers, edges)
	width, height := svgPlace(layers, edges)
	return svgWrite(w, f, boxes, edges, width, height)
}

func svgGraph(f *Flow) ([]*svgBox, []svgEdge) {
	byNode := map[*Node]*svgBox{}
	var boxes []*svgBox
	for _, n := range f.Nodes {
		sub := string(n.Type)
		if s := truncate(nodeSummary(n), summaryWidth); s != "" {
			sub += ": " + s
		}
		b := &svgBox{node: n, title: n.ID, sub: sub, h: svgBoxHeight, index: len(boxes)}
		byNode[n] = b
		boxes = append(boxes, b)
	}
	var edges []svgEdge
	for _, n := range f.Nodes {
		for _, e := range n.Edges() {
			edges = append(edges, svgEdge{from: byNode[n], to: byNode[e.To], label: e.Label})
		}
		if n.Type == Goto {
			g := &svgBox{title: gotoTarget(n), sub: "another flow", h: svgBoxHeight, dashed: true, index: len(boxes)}
			boxes = append(boxes, g)
			edges = append(edges, svgEdge{from: byNode[n], to: g, label: "goto", dashed: true})
		}
	}
	for _, b := range boxes {
		chars := max(len([]rune(b.title)), len([]rune(b.sub)))
		b.w = max(svgMinBoxWide, float64(chars)*svgCharWidth+20)
	}
	return boxes, edges
}

// svgLayers puts each box in the layer of its shortest distance from the
// start; boxes the start does not reach go below everything else.
func svgLayers(f *Flow, boxes []*svgBox, edges []svgEdge) [][]*svgBox {
	out := map[*svgBox][]*svgBox{}
	for _, e := range edges {
		out[e.from] = append(out[e.from], e.to)
	}
	dist := map[*svgBox]int{}
	var queue []*svgBox
	for _, b := range boxes {
		if b.node != nil && b.node == f.Start {
			dist[b] = 0
			queue = append(queue, b)
		}
	}
	for len(queue) > 0 {
		b := queue[0]
		queue = queue[1:]
		for _, t := range out[b] {
			if _, seen := dist[t]; !seen {
				dist[t] = dist[b] + 1
				queue = append(queue, t)
			}
		}
	}
	maxLayer := 0
	for _, d := range dist {
		maxLayer = max(maxLayer, d)
	}
	var layers [][]*svgBox
	for _, b := range boxes {
		d, ok := dist[b]
		if !ok {
			d = maxLayer + 1
		}
		b.layer = d
		for len(layers) <= d {
			layers = append(layers, nil)
		}
		layers[d] = append(layers[d], b)
	}
	for _, l := range layers {
		for i, b := range l {
			b.order = i
		}
	}
	return layers
}

// svgOrder reorders each layer by the mean position of its neighbours in
// the layer above (down sweeps) or below (up sweeps).
func svgOrder(layers [][]*svgBox, edges []svgEdge) {
	neighbours := func(b *svgBox, layer int) []*svgBox {
		var out []*svgBox
		for _, e := range edges {
			if e.to == b && e.from.layer == layer {
				out = append(out, e.from)
			}
			if e.from == b && e.to.layer == layer {
				out = append(out, e.to)
			}
		}
		return out
	}
	for sweep := 0; sweep < svgSweeps; sweep++ {
		down := sweep%2 == 0
		for li := range layers {
			l := li
			ref := l - 1
			if !down {
				l = len(layers) - 1 - li
				ref = l + 1
			}
			if ref < 0 || ref >= len(layers) {
				continue
			}
			key := map[*svgBox]float64{}
			for _, b := range layers[l] {
				ns := neighbours(b, ref)
				if len(ns) == 0 {
					key[b] = float64(b.order)
					continue
				}
				sum := 0.0
				for _, n := range ns {
					sum += float64(n.order)
				}
				key[b] = sum / float64(len(ns))
			}
			sort.SliceStable(layers[l], func(i, j int) bool { return key[layers[l][i]] < key[layers[l][j]] })
			for i, b := range layers[l] {
				b.order = i
			}
		}
	}
}

// svgPlace gives boxes coordinates: each box as near the centre of its
// parents as the boxes to its left allow.
func svgPlace(layers [][]*svgBox, edges []svgEdge) (width, height float64) {
	parents := map[*svgBox][]*svgBox{}
	for _, e := range edges {
		if e.from.layer < e.to.layer {
			parents[e.to] = append(parents[e.to], e.from)
		}
	}
	for li, l := range layers {
		y := svgMargin + float64(li)*(svgBoxHeight+svgLayerGap)
		left := svgMargin
		for _, b := range l {
			b.y = y
			want := left
			if ps := parents[b]; len(ps) > 0 {
				sum := 0.0
				for _, p := range ps {
					sum += p.cx()
				}
				want = sum/float64(len(ps)) - b.w/2
			}
			b.x = max(left, want)
			left = b.x + b.w + svgNodeGap
			width = max(width, b.x+b.w)
		}
		height = y + svgBoxHeight
	}
	// Room on the right for the curves of back edges.
	back := 0
	for _, e := range edges {
		if e.to.layer <= e.from.layer {
			back++
		}
	}
	return width + svgMargin + float64(min(back, 8))*14 + 40, height + svgMargin
}

func svgWrite(w io.Writer, f *Flow, boxes []*svgBox, edges []svgEdge, width, height float64) error {
	var b strings.Builder
	esc := html.EscapeString
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="Helvetica, Arial, sans-serif">`+"\n", width, height+20, width, height+20)
	fmt.Fprintf(&b, "<title>%s</title>\n", esc(f.Name))
	b.WriteString(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>` + "\n")
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="13" font-weight="bold">%s</text>`+"\n", svgMargin, height+12, esc(f.Name+" — "+f.Description))

	var labels strings.Builder
	backIndex := 0
	for _, e := range edges {
		var path string
		var lx, ly float64
		if e.to.layer > e.from.layer {
			x1, y1 := e.from.cx(), e.from.y+e.from.h
			x2, y2 := e.to.cx(), e.to.y
			my := (y1 + y2) / 2
			path = fmt.Sprintf("M %.1f %.1f C %.1f %.1f, %.1f %.1f, %.1f %.1f", x1, y1, x1, my, x2, my, x2, y2)
			lx, ly = (x1+x2)/2, my
		} else if e.to.layer == e.from.layer {
			// Same layer: a dip below the row, clear of the boxes between.
			x1, y1 := e.from.cx()+6, e.from.y+e.from.h
			x2, y2 := e.to.cx()-6, e.to.y+e.to.h
			if e.to == e.from {
				x2 = x1 - 12
			}
			dip := y1 + 22 + float64(backIndex%3)*6
			backIndex++
			path = fmt.Sprintf("M %.1f %.1f C %.1f %.1f, %.1f %.1f, %.1f %.1f", x1, y1, x1, dip, x2, dip, x2, y2)
			lx, ly = (x1+x2)/2, y1+(dip-y1)*0.75
		} else {
			x1, y1 := e.from.x+e.from.w, e.from.y+e.from.h/2
			x2, y2 := e.to.x+e.to.w, e.to.y+e.to.h/2
			out := max(x1, x2) + 30 + float64(backIndex%8)*14
			backIndex++
			path = fmt.Sprintf("M %.1f %.1f C %.1f %.1f, %.1f %.1f, %.1f %.1f", x1, y1, out, y1, out, y2, x2, y2)
			lx, ly = (x1+x2+6*out)/8, (y1+y2)/2
		}
		dash := ""
		if e.dashed {
			dash = ` stroke-dasharray="5,4"`
		}
		fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="#555" stroke-width="1.2"%s marker-end="url(#arrow)"><title>%s</title></path>`+"\n", path, dash, esc(nodeName(e.from)+" → "+nodeName(e.to)+": "+e.label))
		if e.label != "" {
			fmt.Fprintf(&labels, `<text x="%.1f" y="%.1f" font-size="10" text-anchor="middle" fill="#1f2937" stroke="white" stroke-width="3" paint-order="stroke">%s</text>`+"\n", lx, ly+3, esc(e.label))
		}
	}
	for _, bx := range boxes {
		fill, stroke, extra := "#e5e7eb", "#374151", ""
		if bx.node != nil {
			fill = typeColor(bx.node.Type)
			if bx.node == f.Start {
				extra = ` stroke-width="2.5"`
			}
		}
		if bx.dashed {
			fill, extra = "#ffffff", ` stroke-dasharray="5,4"`
		}
		fmt.Fprintf(&b, `<g><title>%s</title><rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="8" fill="%s" stroke="%s"%s/>`, esc(nodeName(bx)), bx.x, bx.y, bx.w, bx.h, fill, stroke, extra)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="12" font-weight="bold" text-anchor="middle">%s</text>`, bx.cx(), bx.y+16, esc(bx.title))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" text-anchor="middle" fill="#374151">%s</text></g>`+"\n", bx.cx(), bx.y+31, esc(bx.sub))
	}
	b.WriteString(labels.String())
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func nodeName(b *svgBox) string {
	if b.node == nil {
		return b.title
	}
	return fmt.Sprintf("%s (%s, %s)", b.node.ID, b.node.Type, b.node.Pos)
}
