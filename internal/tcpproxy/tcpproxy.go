// Package tcpproxy forwards a loopback TCP port to a server, and can cut
// the way and restore it, for tests of what clients do when their server
// goes away: refused connections, connections dropped mid-command, and a
// server that comes back (or is replaced by a fresh one) at the same
// address.
package tcpproxy

import (
	"io"
	"net"
	"sync"
	"testing"
)

// Proxy forwards connections made to Addr to its target.
type Proxy struct {
	// Addr is the loopback host:port clients connect to. It stays the
	// same across Cut and Restore.
	Addr string

	mu     sync.Mutex
	target string
	ln     net.Listener
	conns  map[net.Conn]struct{}
	cuts   int // how many times Cut ran, so forward can tell it missed one
	wg     sync.WaitGroup
}

// New starts a proxy to target on a free loopback port; it is stopped
// when the test ends.
func New(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("tcpproxy: listening: %v", err)
	}
	p := &Proxy{Addr: ln.Addr().String(), target: target, conns: make(map[net.Conn]struct{})}
	p.serve(ln)
	t.Cleanup(p.close)
	return p
}

// SetTarget makes new connections go to target.
func (p *Proxy) SetTarget(target string) {
	p.mu.Lock()
	p.target = target
	p.mu.Unlock()
}

// Cut closes every connection and stops listening: clients see their
// connections drop and new ones refused, as when a server dies.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cuts++
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
}

// Restore listens again at Addr.
func (p *Proxy) Restore(t testing.TB) {
	t.Helper()
	ln, err := net.Listen("tcp", p.Addr)
	if err != nil {
		t.Fatalf("tcpproxy: listening again on %s: %v", p.Addr, err)
	}
	p.serve(ln)
}

func (p *Proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.forward(c)
		}
	}()
}

// forward connects c to the target and copies both ways until either
// side closes.
func (p *Proxy) forward(c net.Conn) {
	p.mu.Lock()
	target, cuts := p.target, p.cuts
	if p.ln == nil {
		p.mu.Unlock()
		c.Close()
		return
	}
	p.mu.Unlock()
	s, err := net.Dial("tcp", target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.cuts != cuts {
		// Cut ran while this connection was being made: it must not
		// survive the cut, still joined to the old target.
		p.mu.Unlock()
		c.Close()
		s.Close()
		return
	}
	p.conns[c], p.conns[s] = struct{}{}, struct{}{}
	p.mu.Unlock()
	pipe := func(dst, src net.Conn) {
		defer p.wg.Done()
		_, _ = io.Copy(dst, src)
		dst.Close()
		src.Close()
		p.mu.Lock()
		delete(p.conns, dst)
		delete(p.conns, src)
		p.mu.Unlock()
	}
	p.wg.Add(2)
	go pipe(s, c)
	go pipe(c, s)
}

func (p *Proxy) close() {
	p.Cut()
	p.wg.Wait()
}
