package aof_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pelicanhq/pelican/internal/aof"
)

func args(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, a := range s {
		out[i] = []byte(a)
	}
	return out
}

// Item slices are compared with reflect.DeepEqual where speed matters:
// cmp diffs byte slices element by element.

// readAll reads every item of data and the error that ended the reading
// (nil at a clean end).
func readAll(data []byte) ([]aof.Item, error) {
	r := aof.NewReader(bytes.NewReader(data), "test.aof")
	var items []aof.Item
	for {
		it, err := r.Next()
		if err == io.EOF {
			return items, nil
		}
		if err != nil {
			return items, err
		}
		items = append(items, it)
	}
}

// sample is a file with every kind of unit, and the items it holds.
func sample() ([]byte, []aof.Item) {
	long := strings.Repeat("v", 2000) // an extension over several lines
	var b []byte
	b = append(b, "#TS:1700000000\r\n"...)
	b = aof.AppendCommand(b, args("SET", "plain", "1")...)
	want := []aof.Item{{Kind: aof.KindCommand, Args: args("SET", "plain", "1"), End: int64(len(b))}}

	var p []byte
	p = aof.AppendClock(p, 1700000000123)
	p = aof.AppendCommand(p, args("SET", "k", "v")...)
	p = aof.AppendExtension(p, args("PELICAN.EXT", long)...)
	b = aof.AppendFrame(b, p)
	end := int64(len(b))
	want = append(want,
		aof.Item{Kind: aof.KindClock, Clock: 1700000000123, End: end},
		aof.Item{Kind: aof.KindCommand, Args: args("SET", "k", "v"), End: end},
		aof.Item{Kind: aof.KindExtension, Args: args("PELICAN.EXT", long), End: end})

	p = aof.AppendCommand(nil, args("MULTI")...)
	p = aof.AppendCommand(p, args("INCR", "n")...)
	p = aof.AppendClock(p, 5)
	p = aof.AppendCommand(p, args("EXEC")...)
	b = aof.AppendFrame(b, p)
	want = append(want, aof.Item{Kind: aof.KindTransaction, End: int64(len(b)), Txn: []aof.Item{
		{Kind: aof.KindCommand, Args: args("INCR", "n"), End: int64(len(b))},
		{Kind: aof.KindClock, Clock: 5, End: int64(len(b))},
	}})

	b = aof.AppendCommand(b, args("multi")...)
	b = aof.AppendCommand(b, args("DEL", "k")...)
	b = aof.AppendCommand(b, args("exec")...)
	want = append(want, aof.Item{Kind: aof.KindTransaction, End: int64(len(b)), Txn: []aof.Item{
		{Kind: aof.KindCommand, Args: args("DEL", "k"), End: int64(len(b)) - 14},
	}})
	b = aof.AppendFrame(b, aof.AppendCommand(nil, args("SET", "last", "")...))
	want = append(want, aof.Item{Kind: aof.KindCommand, Args: args("SET", "last", ""), End: int64(len(b))})
	return b, want
}

func TestReaderRoundTrip(t *testing.T) {
	data, want := sample()
	got, err := readAll(data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("items (-got +want):\n%s", diff)
	}
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if strings.HasPrefix(line, "#") && len(line) > aof.MaxAnnotationLine {
			t.Errorf("annotation line of %d bytes: %.40q...", len(line), line)
		}
	}
}

// soundPrefix returns the items of want that lie wholly within the first
// cut bytes, and the end of the last of them.
func soundPrefix(want []aof.Item, cut int64) ([]aof.Item, int64) {
	var kept []aof.Item
	var end int64
	for _, it := range want {
		if it.End <= cut {
			kept = append(kept, it)
			end = it.End
		}
	}
	return kept, end
}

func TestReaderTornTailAtEveryOffset(t *testing.T) {
	data, want := sample()
	const skipped = int64(len("#TS:1700000000\r\n")) // a sound prefix with no item
	for cut := int64(0); cut <= int64(len(data)); cut++ {
		for _, zeros := range []int{0, 7} {
			file := append(bytes.Clone(data[:cut]), make([]byte, zeros)...)
			got, err := readAll(file)
			wantItems, end := soundPrefix(want, cut)
			if end == 0 && cut >= skipped {
				end = skipped
			}
			if !reflect.DeepEqual(got, wantItems) {
				t.Fatalf("cut %d, %d zeros: items (-got +want):\n%s", cut, zeros, cmp.Diff(got, wantItems))
			}
			if end == int64(len(file)) {
				if err != nil {
					t.Fatalf("cut %d at a boundary: %v", cut, err)
				}
				continue
			}
			var te *aof.TruncatedError
			if !errors.As(err, &te) {
				t.Fatalf("cut %d, %d zeros: got %v, want a TruncatedError", cut, zeros, err)
			}
			if diff := cmp.Diff(*te, aof.TruncatedError{File: "test.aof", ValidUpTo: end, Dropped: int64(len(file)) - end}); diff != "" {
				t.Fatalf("cut %d, %d zeros (-got +want):\n%s", cut, zeros, diff)
			}
		}
	}
}

func TestReaderZeroFilledFrame(t *testing.T) {
	data, want := sample()
	last := want[len(want)-2].End // the last frame starts here
	file := bytes.Clone(data)
	clear(file[last+20:])
	_, err := readAll(file)
	var te *aof.TruncatedError
	if !errors.As(err, &te) || te.ValidUpTo != last {
		t.Fatalf("got %v, want a TruncatedError valid up to %d", err, last)
	}
}

func TestReaderCorruption(t *testing.T) {
	data, want := sample()
	frameStart := want[0].End // the first frame's header
	tests := []struct {
		name   string
		at     int64 // byte to change
		to     byte
		offset int64 // want CorruptError.Offset
	}{
		{name: "flip in frame content", at: frameStart + 40, to: 'Z', offset: frameStart},
		{name: "bad byte between commands", at: 16, to: '!', offset: 16},
		{name: "zero byte between commands", at: 16, to: 0, offset: 16},
		{name: "bad length", at: 16 + 5, to: 'x', offset: 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := bytes.Clone(data)
			file[tt.at] = tt.to
			_, err := readAll(file)
			var ce *aof.CorruptError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a CorruptError", err)
			}
			if ce.Offset != tt.offset || !strings.Contains(err.Error(), fmt.Sprintf("corrupt at offset %d", tt.offset)) {
				t.Errorf("got %v, want offset %d in the error", err, tt.offset)
			}
		})
	}
}

func TestReaderLyingLength(t *testing.T) {
	for _, data := range []string{
		"*1\r\n$536870912\r\nabc",
		"#C:1073741824 00000000\r\n*1\r\n",
		"*2147483647\r\n$1\r\na\r\n",
	} {
		_, err := readAll([]byte(data))
		var te *aof.TruncatedError
		if !errors.As(err, &te) || te.ValidUpTo != 0 {
			t.Errorf("%q: got %v, want a TruncatedError valid up to 0", data, err)
		}
	}
	if _, err := readAll([]byte("*1\r\n$536870913\r\nabc\r\n")); err == nil {
		t.Error("bulk over 512MB accepted")
	}
}

func TestReaderRDB(t *testing.T) {
	if _, err := readAll([]byte("REDIS0010...")); !errors.Is(err, aof.ErrRDB) {
		t.Errorf("got %v, want ErrRDB", err)
	}
}

func FuzzReader(f *testing.F) {
	data, _ := sample()
	f.Add(data)
	f.Add(data[:len(data)/2])
	f.Add([]byte("*1\r\n$4\r\nPING\r\n"))
	f.Add([]byte("#C:0 00000000\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		items, err := readAll(data)
		var te *aof.TruncatedError
		var end int64
		if len(items) > 0 {
			end = items[len(items)-1].End
		}
		if errors.As(err, &te) {
			if te.ValidUpTo < end || te.ValidUpTo+te.Dropped != int64(len(data)) {
				t.Fatalf("TruncatedError %+v after items ending at %d, file of %d bytes", te, end, len(data))
			}
			// The sound prefix reads back cleanly with the same items.
			again, err := readAll(data[:te.ValidUpTo])
			if err != nil {
				t.Fatalf("prefix of %d bytes: %v", te.ValidUpTo, err)
			}
			if !reflect.DeepEqual(again, items) {
				t.Fatalf("prefix items differ (-got +want):\n%s", cmp.Diff(again, items))
			}
		}
	})
}
