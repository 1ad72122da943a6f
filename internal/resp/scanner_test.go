package resp

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
)

// scanned is a Value with its text, for comparison.
type scanned struct {
	Kind byte
	N    int64
	Text string
	Null bool
}

func scan(s *Scanner, v Value) scanned {
	return scanned{Kind: v.Kind, N: v.N, Text: string(s.Text(v)), Null: v.Null()}
}

// walk reads one whole value with Next and renders it: its kind, N and
// text, then its elements in brackets. Error replies are values.
func walk(s *Scanner) (string, error) {
	var b strings.Builder
	err := walkInto(s, &b)
	return b.String(), err
}

func walkInto(s *Scanner, b *strings.Builder) error {
	v, err := s.Next()
	if err != nil && !v.IsError() {
		return err
	}
	b.WriteByte(v.Kind)
	b.WriteString(strconv.FormatInt(v.N, 10))
	if v.End > v.Start {
		b.WriteString(strconv.Quote(string(s.Text(v))))
	}
	if !v.IsAggregate() || v.Null() {
		return nil
	}
	b.WriteByte('[')
	n := v.Elems()
	if v.Kind == KindAttribute {
		n++
	}
	for i := int64(0); i < n; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		if err := walkInto(s, b); err != nil {
			return err
		}
	}
	b.WriteByte(']')
	return nil
}

func TestScannerNextReadsEveryKind(t *testing.T) {
	tests := []struct {
		name string
		wire string
		want scanned
	}{
		{"simple", "+OK\r\n", scanned{Kind: '+', Text: "OK"}},
		{"empty simple", "+\r\n", scanned{Kind: '+'}},
		{"integer", ":-42\r\n", scanned{Kind: ':', N: -42}},
		{"integer -1 is not a null", ":-1\r\n", scanned{Kind: ':', N: -1}},
		{"bulk", "$2\r\nOK\r\n", scanned{Kind: '$', N: 2, Text: "OK"}},
		{"bulk holding CRLF", "$4\r\na\r\nb\r\n", scanned{Kind: '$', N: 4, Text: "a\r\nb"}},
		{"empty bulk", "$0\r\n\r\n", scanned{Kind: '$'}},
		{"null bulk", "$-1\r\n", scanned{Kind: '$', N: -1, Null: true}},
		{"array", "*2\r\n", scanned{Kind: '*', N: 2}},
		{"null array", "*-1\r\n", scanned{Kind: '*', N: -1, Null: true}},
		{"null", "_\r\n", scanned{Kind: '_', N: -1, Null: true}},
		{"double", ",1.5\r\n", scanned{Kind: ',', Text: "1.5"}},
		{"true", "#t\r\n", scanned{Kind: '#', N: 1}},
		{"false", "#f\r\n", scanned{Kind: '#'}},
		{"big number", "(12345678901234567890\r\n", scanned{Kind: '(', Text: "12345678901234567890"}},
		{"verbatim", "=7\r\ntxt:abc\r\n", scanned{Kind: '=', N: 7, Text: "txt:abc"}},
		{"map", "%1\r\n", scanned{Kind: '%', N: 1}},
		{"set", "~3\r\n", scanned{Kind: '~', N: 3}},
		{"push", ">2\r\n", scanned{Kind: '>', N: 2}},
		{"attribute", "|1\r\n", scanned{Kind: '|', N: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewScanner([]byte(tt.wire))
			v, err := s.Next()
			if err != nil {
				t.Fatalf("Next() error: %v", err)
			}
			if diff := cmp.Diff(scan(s, v), tt.want); diff != "" {
				t.Errorf("Next() (-got +want):\n%s", diff)
			}
			if got, want := s.Pos(), len(tt.wire); got != want {
				t.Errorf("Pos() = %d after Next, want %d", got, want)
			}
		})
	}
}

// Error replies come back as values and as errors that callers match the
// way they match go-redis's own error replies.
func TestScannerErrorReplies(t *testing.T) {
	tests := []struct {
		name string
		wire string
		want string
	}{
		{"simple error", "-NOGROUP No such key\r\n", "NOGROUP No such key"},
		{"bulk error", "!9\r\nERR oops!\r\n", "ERR oops!"},
		{"bulk error holding CRLF", "!5\r\nE\r\nxy\r\n", "E\r\nxy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewScanner([]byte(tt.wire + ":1\r\n"))
			v, err := s.Next()
			var redisErr redis.Error
			if !errors.As(err, &redisErr) {
				t.Fatalf("Next() error = %v, want a redis.Error", err)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("Next() error = %q, want %q", got, tt.want)
			}
			if got := string(s.Text(v)); !v.IsError() || got != tt.want {
				t.Errorf("Next() value %+v with text %q, want an error reply %q", v, got, tt.want)
			}
			// The scanner has moved past the error to the next value.
			if v, err := s.Next(); err != nil || v.Kind != ':' {
				t.Errorf("Next() after the error = %+v, %v; want :1", v, err)
			}
			for _, read := range []func(*Scanner) error{
				func(s *Scanner) error { _, _, err := s.Aggregate(); return err },
				func(s *Scanner) error { _, _, _, err := s.Bulk(); return err },
			} {
				if err := read(NewScanner([]byte(tt.wire))); err == nil || err.Error() != tt.want {
					t.Errorf("reading a shape over %q: error %v, want %q", tt.wire, err, tt.want)
				}
			}
		})
	}
}

func TestScannerRejectsBadInput(t *testing.T) {
	tests := []struct {
		name string
		wire string
		want error
	}{
		{"empty", "", ErrTruncated},
		{"no CRLF", "+OK", ErrTruncated},
		{"CR only", "+OK\r", ErrTruncated},
		{"LF only", "+OK\n", ErrTruncated},
		{"CR not followed by LF", "+O\rK\r\n", ErrMalformed},
		{"unknown type", "?x\r\n", ErrMalformed},
		{"empty line", "\r\n", ErrMalformed},
		{"not an integer", ":abc\r\n", ErrMalformed},
		{"integer with a plus", ":+1\r\n", ErrMalformed},
		{"integer with leading zero", ":01\r\n", ErrMalformed},
		{"empty integer", ":\r\n", ErrMalformed},
		{"bulk shorter than its length", "$3\r\nab\r\n", ErrTruncated},
		{"bulk not followed by CRLF", "$2\r\nabcd", ErrMalformed},
		{"bulk length below -1", "$-2\r\n", ErrMalformed},
		{"bulk length of no end", "$9223372036854775807\r\nab\r\n", ErrTruncated},
		{"null verbatim", "=-1\r\n", ErrMalformed},
		{"null bulk error", "!-1\r\n", ErrMalformed},
		{"array length below -1", "*-2\r\n", ErrMalformed},
		{"null attribute", "|-1\r\n", ErrMalformed},
		{"bad boolean", "#x\r\n", ErrMalformed},
		{"null with text", "_x\r\n", ErrMalformed},
		{"array missing elements", "*2\r\n:1\r\n", ErrTruncated},
		{"array longer than the input", "*9223372036854775807\r\n:1\r\n", ErrTruncated},
		{"map longer than the input", "%4611686018427387904\r\n:1\r\n", ErrTruncated},
		{"attribute without its value", "|1\r\n+k\r\n:1\r\n", ErrTruncated},
		{"malformed element", "*2\r\n:1\r\n:x\r\n", ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := NewScanner([]byte(tt.wire)).Skip()
			if !errors.Is(err, tt.want) {
				t.Errorf("Skip() over %q = %v, want %v", tt.wire, err, tt.want)
			}
		})
	}
}

func TestScannerSkipPassesOneWholeValue(t *testing.T) {
	tests := []struct {
		name  string
		value string
	}{
		{"integer", ":1\r\n"},
		{"nested arrays", "*2\r\n*2\r\n$1\r\na\r\n:1\r\n*0\r\n"},
		{"map", "%2\r\n+a\r\n:1\r\n+b\r\n*1\r\n_\r\n"},
		{"error inside an array", "*2\r\n-ERR x\r\n!3\r\nERR\r\n"},
		{"attribute and its value", "|1\r\n+ttl\r\n:3\r\n*1\r\n+v\r\n"},
		{"attribute inside an array", "*2\r\n|1\r\n+k\r\n+v\r\n:1\r\n:2\r\n"},
		{"null array", "*-1\r\n"},
		{"push", ">2\r\n$7\r\nmessage\r\n:1\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewScanner([]byte(tt.value + "+next\r\n"))
			if err := s.Skip(); err != nil {
				t.Fatalf("Skip() = %v", err)
			}
			if got, want := s.Pos(), len(tt.value); got != want {
				t.Errorf("Pos() after Skip = %d, want %d", got, want)
			}
		})
	}
}

func TestScannerShapes(t *testing.T) {
	s := NewScanner([]byte("*2\r\n%1\r\n_\r\n+simple\r\n$3\r\nabc\r\n$-1\r\n:1\r\n"))
	type agg struct {
		Kind byte
		N    int64
	}
	var got []any
	for range 3 {
		kind, n, err := s.Aggregate()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, agg{kind, n})
	}
	for range 3 {
		start, end, null, err := s.Bulk()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(s.b[start:end]), null)
	}
	want := []any{agg{'*', 2}, agg{'%', 1}, agg{'_', -1}, "simple", false, "abc", false, "", true}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("shapes read (-got +want):\n%s", diff)
	}
	if _, _, _, err := s.Bulk(); err == nil {
		t.Error("Bulk() over an integer gave no error")
	}
	if _, _, err := NewScanner([]byte("$1\r\na\r\n")).Aggregate(); err == nil {
		t.Error("Aggregate() over a bulk string gave no error")
	}
}

// The Scanner reads back what the Writer writes, in both protocols.
func TestScannerReadsWriterOutput(t *testing.T) {
	write := func(w *Writer) {
		w.Array(11)
		w.Simple("OK")
		w.Error("ERR bad\r\nthing")
		w.Int(-7)
		w.BulkString("a\r\nb")
		w.NullBulk()
		w.NullArray()
		w.Bool(true)
		w.Double(1.5)
		w.Verbatim("txt", "hi")
		w.Map(1)
		w.BulkString("k")
		w.Set(1)
		w.Int(1)
		d := w.Defer(KindMap)
		w.BulkString("x")
		w.Push(0)
		w.SetLen(d, 1)
	}
	tests := []struct {
		proto int
		want  string
	}{
		{2, `*11[+0"OK" -0"ERR bad  thing" :-7 $4"a\r\nb" $-1 *-1 :1 $3"1.5" $2"hi" *2[$1"k" *1[:1]] *2[$1"x" *0[]]]`},
		{3, `*11[+0"OK" -0"ERR bad  thing" :-7 $4"a\r\nb" _-1 _-1 #1 ,0"1.5" =6"txt:hi" %1[$1"k" ~1[:1]] %1[$1"x" >0[]]]`},
	}
	for _, tt := range tests {
		w := Writer{Proto: tt.proto}
		write(&w)
		s := NewScanner(w.Buf)
		got, err := walk(s)
		if err != nil {
			t.Fatalf("RESP%d: %v", tt.proto, err)
		}
		if diff := cmp.Diff(got, tt.want); diff != "" {
			t.Errorf("RESP%d (-got +want):\n%s", tt.proto, diff)
		}
		if s.Pos() != len(w.Buf) {
			t.Errorf("RESP%d: read %d of %d bytes", tt.proto, s.Pos(), len(w.Buf))
		}
	}
}

// streamReply returns an XREADGROUP-like reply of n entries.
func streamReply(n int) []byte {
	w := Writer{Proto: 3}
	w.Map(1)
	w.BulkString("s")
	w.Array(n)
	for i := range n {
		w.Array(2)
		w.BulkString(strconv.Itoa(i) + "-1")
		w.Array(4)
		for _, f := range []string{"name", "pelican", "payload", strings.Repeat("x", 100)} {
			w.BulkString(f)
		}
	}
	return w.Buf
}

func TestScannerAllocatesNothing(t *testing.T) {
	b := streamReply(100)
	s := NewScanner(nil)
	allocs := testing.AllocsPerRun(20, func() {
		s.Reset(b)
		if err := s.Skip(); err != nil {
			t.Fatal(err)
		}
		s.Reset(b)
		for s.Pos() < len(b) {
			if _, err := s.Next(); err != nil {
				t.Fatal(err)
			}
		}
	})
	if allocs != 0 {
		t.Errorf("scanning a reply allocates %v times", allocs)
	}
}

func BenchmarkScannerSkip(b *testing.B) {
	reply := streamReply(100)
	b.SetBytes(int64(len(reply)))
	b.ReportAllocs()
	s := NewScanner(nil)
	for b.Loop() {
		s.Reset(reply)
		if err := s.Skip(); err != nil {
			b.Fatal(err)
		}
	}
}

// bulkArray returns the strings of b if it is an array of bulk strings,
// the shape of a command.
func bulkArray(b []byte) ([]string, bool) {
	s := NewScanner(b)
	kind, n, err := s.Aggregate()
	if err != nil || kind != KindArray || n < 0 {
		return nil, false
	}
	args := []string{}
	for range n {
		v, err := s.Next()
		if err != nil || v.Kind != KindBulk || v.Null() {
			return nil, false
		}
		args = append(args, string(s.Text(v)))
	}
	return args, true
}

func FuzzScanner(f *testing.F) {
	for _, seed := range []string{
		"*2\r\n$4\r\nPING\r\n$2\r\nhi\r\n",
		"%1\r\n$1\r\ns\r\n*1\r\n*4\r\n$3\r\n2-1\r\n*-1\r\n:5000\r\n:2\r\n",
		"|1\r\n+k\r\n:1\r\n~2\r\n#t\r\n,1.5\r\n",
		">3\r\n=7\r\ntxt:abc\r\n(123\r\n_\r\n",
		"*2\r\n-ERR x\r\n!3\r\nERR\r\n",
		"$-1\r\n",
		"*1\r\n$3\r\nab\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		// Skip and a walk with Next agree on whether b starts with a whole
		// value, and where it ends.
		s := NewScanner(b)
		skipErr := s.Skip()
		end := s.Pos()
		w := NewScanner(b)
		_, walkErr := walk(w)
		if (skipErr == nil) != (walkErr == nil) {
			t.Fatalf("Skip() = %v but a walk with Next = %v over %q", skipErr, walkErr, b)
		}
		if skipErr != nil {
			if !errors.Is(skipErr, ErrTruncated) && !errors.Is(skipErr, ErrMalformed) {
				t.Fatalf("Skip() = %v, neither truncated nor malformed", skipErr)
			}
			return
		}
		if w.Pos() != end || end > len(b) {
			t.Fatalf("Skip() ends at %d, a walk at %d, of %d bytes", end, w.Pos(), len(b))
		}
		// Every proper prefix of a whole value is truncated.
		if end <= 512 {
			for i := range end {
				if err := NewScanner(b[:i]).Skip(); !errors.Is(err, ErrTruncated) {
					t.Fatalf("Skip() over the first %d bytes of %q = %v, want ErrTruncated", i, b[:end], err)
				}
			}
		}
		// An array of bulk strings is a command: the Reader parses it to the
		// same arguments.
		want, ok := bulkArray(b[:end])
		if !ok {
			return
		}
		r := NewReader(strings.NewReader(""))
		r.Feed(b[:end])
		args, err := r.Parse()
		if err != nil {
			t.Fatalf("Reader.Parse(%q) = %v; the Scanner read %q", b[:end], err, want)
		}
		got := make([]string, len(args))
		for i, a := range args {
			got[i] = string(a)
		}
		if diff := cmp.Diff(got, want); diff != "" {
			t.Fatalf("Reader and Scanner differ over %q (-reader +scanner):\n%s", b[:end], diff)
		}
		if r.Buffered() != 0 {
			t.Fatalf("Reader left %d bytes of %q", r.Buffered(), b[:end])
		}
	})
}
