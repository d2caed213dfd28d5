package routing

// indexedHeap is a binary min-heap whose items know their own place, so any
// item can be removed or moved in O(log n) without a search. The ACD keeps
// three of them — each pool's free agents and waiting calls, and its
// deadlines — and none allocates beyond the slice's growth.
type indexedHeap[T heapItem[T]] []T

// heapItem is what an indexedHeap holds: a pointer that orders itself
// against another and records where it stands (-1 when in no heap).
type heapItem[T any] interface {
	before(other T) bool
	heapIndex() int
	setHeapIndex(i int)
}

func (h *indexedHeap[T]) push(x T) {
	x.setHeapIndex(len(*h))
	*h = append(*h, x)
	h.up(len(*h) - 1)
}

// remove takes x out of the heap; it does nothing when x is not in it.
func (h *indexedHeap[T]) remove(x T) {
	i := x.heapIndex()
	if i < 0 {
		return
	}
	n := len(*h) - 1
	if i != n {
		h.swap(i, n)
	}
	var zero T
	(*h)[n] = zero
	*h = (*h)[:n]
	x.setHeapIndex(-1)
	if i != n && !h.down(i) {
		h.up(i)
	}
}

func (h indexedHeap[T]) less(i, j int) bool { return h[i].before(h[j]) }

func (h indexedHeap[T]) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].setHeapIndex(i)
	h[j].setHeapIndex(j)
}

func (h indexedHeap[T]) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		j = i
	}
}

func (h indexedHeap[T]) down(i0 int) bool {
	i, n := i0, len(h)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		j := l
		if r := l + 1; r < n && h.less(r, l) {
			j = r
		}
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		i = j
	}
	return i > i0
}
