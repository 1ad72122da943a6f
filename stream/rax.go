package stream

import "encoding/binary"

// RadixTreeNodes returns the number of nodes Redis's radix tree (rax)
// would use to index this stream's nodes, which XINFO STREAM reports as
// radix-tree-nodes. Pelican keeps its nodes in a sorted slice, so the
// figure is computed from the node keys, 16-byte big-endian master IDs,
// and kept until the nodes change.
func (s *Stream) RadixTreeNodes() int {
	if s.radixNodes == 0 {
		s.radixNodes = s.countRadixNodes()
	}
	return s.radixNodes
}

func (s *Stream) countRadixNodes() int {
	keys := make([][16]byte, len(s.nodes))
	for i, nd := range s.nodes {
		binary.BigEndian.PutUint64(keys[i][:8], nd.master.Ms)
		binary.BigEndian.PutUint64(keys[i][8:], nd.master.Seq)
	}
	return raxNodes(keys)
}

// raxNodes counts the nodes of a rax holding the given sorted, distinct
// 16-byte keys. A rax is a compressed trie: the root; a node for every
// prefix where keys branch; a leaf per key; and, on each edge leaving a
// branching node, one compressed node holding the bytes between the branch
// and the next node when there are any. When all keys share a first byte,
// the root itself is the compressed node holding the common prefix.
func raxNodes(keys [][16]byte) int {
	if len(keys) == 0 {
		return 1
	}
	total := 1 // the root
	// walk counts the node v that covers keys[lo:hi], reached by an edge
	// from a node at depth from.
	var walk func(lo, hi, from int, fromBranch bool)
	walk = func(lo, hi, from int, fromBranch bool) {
		d := 16
		if hi-lo > 1 {
			d = commonPrefix(&keys[lo], &keys[hi-1])
		}
		if d > 0 {
			total++ // v; at depth 0 v is the root, already counted
		}
		if fromBranch && d-from >= 2 {
			total++ // the compressed node on the edge
		}
		if hi-lo == 1 {
			return
		}
		for a := lo; a < hi; {
			b := a + 1
			for b < hi && keys[b][d] == keys[a][d] {
				b++
			}
			walk(a, b, d, true)
			a = b
		}
	}
	walk(0, len(keys), 0, false)
	return total
}

func commonPrefix(a, b *[16]byte) int {
	for i := 0; i < 16; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return 16
}
