package stream

import (
	"testing"
)

func benchStream(n int) *Stream {
	s := New()
	val := []byte("0123456789")
	for i := 1; i <= n; i++ {
		if err := s.Append(ID{uint64(i), 0}, [][]byte{[]byte("payload"), val}, DefaultLimits); err != nil {
			panic(err)
		}
	}
	return s
}

// BenchmarkRangeCount10 seeks to a random entry and reads ten.
func BenchmarkRangeCount10(b *testing.B) {
	const n = 100000
	s := benchStream(n)
	var it Iterator
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		it.Reset(s, ID{uint64(1 + i*97%n), 0}, MaxID, false)
		for k := 0; k < 10 && it.Next(); k++ {
			it.Fields()
		}
	}
}

// BenchmarkAppend measures appending one small entry.
func BenchmarkAppend(b *testing.B) {
	s := New()
	fv := [][]byte{[]byte("payload"), []byte("0123456789")}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := s.Append(ID{uint64(i + 1), 0}, fv, DefaultLimits); err != nil {
			b.Fatal(err)
		}
	}
}
