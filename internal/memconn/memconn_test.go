package memconn

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"
	"time"
)

func TestWritesNeverWaitForTheReader(t *testing.T) {
	a, b := Pipe("a", "b")
	defer a.Close()
	defer b.Close()
	big := bytes.Repeat([]byte("x"), 4<<20)
	if n, err := a.Write(big); n != len(big) || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	got, err := io.ReadAll(io.LimitReader(b, int64(len(big))))
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("read back %d bytes, %v", len(got), err)
	}
}

func TestCloseDrainsThenEOF(t *testing.T) {
	a, b := Pipe("a", "b")
	a.Write([]byte("bye"))
	a.Close()
	got, err := io.ReadAll(b)
	if err != nil || string(got) != "bye" {
		t.Fatalf("ReadAll = %q, %v", got, err)
	}
	if _, err := b.Write([]byte("x")); err == nil {
		t.Fatal("writing to a closed peer succeeded")
	}
}

func TestReadDeadlineInterruptsARead(t *testing.T) {
	a, b := Pipe("a", "b")
	defer a.Close()
	defer b.Close()
	errc := make(chan error, 1)
	go func() {
		_, err := b.Read(make([]byte, 1))
		errc <- err
	}()
	// A deadline in the past interrupts the waiting read at once.
	b.SetReadDeadline(time.Unix(1, 0))
	if err := <-errc; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("interrupted read: %v", err)
	}
	// A future deadline ends the read when it passes.
	b.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	start := time.Now()
	if _, err := b.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v", err)
	}
	if time.Since(start) < 20*time.Millisecond {
		t.Fatal("the read ended before its deadline")
	}
	// Clearing the deadline lets reads wait for data again.
	b.SetReadDeadline(time.Time{})
	go a.Write([]byte("z"))
	buf := make([]byte, 1)
	if n, err := b.Read(buf); n != 1 || err != nil || buf[0] != 'z' {
		t.Fatalf("read after clearing the deadline = %d, %v", n, err)
	}
}
