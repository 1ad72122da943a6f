package pelican_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/codec/msgpackcodec"
	"github.com/pelicanhq/pelican/codec/protocodec"
	"github.com/pelicanhq/pelican/dlq"
	"github.com/pelicanhq/pelican/internal/await"
	"github.com/pelicanhq/pelican/internal/backendtest"
	"github.com/pelicanhq/pelican/internal/codectest"
)

// codecCase is a codec with a value to publish, and what to decode it
// into.
type codecCase struct {
	name  string
	codec pelican.Codec
	value any        // what is published
	fresh func() any // a new pointer to decode into
	// bad are targets the codec cannot decode into: Decode must return an
	// error for each, never panic.
	bad []any
}

func codecCases() []codecCase {
	plain := codectest.NewPlainOrder(42, 3)
	return []codecCase{
		{
			name: "json", codec: pelican.JSONCodec{}, value: &plain,
			fresh: func() any { return new(codectest.PlainOrder) },
			bad:   []any{nil, codectest.PlainOrder{}, (*codectest.PlainOrder)(nil)},
		},
		{
			name: "protobuf", codec: protocodec.Codec{}, value: codectest.NewOrder(42, 3),
			fresh: func() any { return new(codectest.Order) },
			bad:   []any{nil, "not a message", new(codectest.PlainOrder), (*codectest.Order)(nil)},
		},
		{
			name: "msgpack", codec: msgpackcodec.Codec{}, value: &plain,
			fresh: func() any { return new(codectest.PlainOrder) },
			bad:   []any{nil, codectest.PlainOrder{}, (*codectest.PlainOrder)(nil)},
		},
	}
}

// receive returns the next value of ch, failing the test after 10s.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// Every codec carries a value from PublishValue to Message.Decode, with
// its content type recorded and its bytes stored as they are (not
// base64), and decodes a message published without a content type (by
// an earlier version, or another producer) too.
func TestCodecRoundTrip(t *testing.T) {
	for _, tc := range codecCases() {
		t.Run(tc.name, func(t *testing.T) {
			backendtest.EachWith(t, pelican.Options{Codec: tc.codec}, func(t *testing.T, c *pelican.Client) {
				ctx := context.Background()
				type got struct {
					v           any
					contentType string
				}
				out := make(chan got, 2)
				_, stop := runWorker(t, c, fastConfig("s", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
					v := tc.fresh()
					if err := m.Decode(v); err != nil {
						return err
					}
					out <- got{v, m.ContentType()}
					return nil
				})))
				defer stop()

				id, err := c.PublishValue(ctx, "s", tc.value, nil)
				if err != nil {
					t.Fatal(err)
				}
				r := receive(t, out, "the published value")
				if diff := cmp.Diff(r.v, tc.value, protocmp.Transform()); diff != "" {
					t.Errorf("decoded (-got +want):\n%s", diff)
				}
				if r.contentType != tc.codec.ContentType() {
					t.Errorf("ContentType() = %q, want %q", r.contentType, tc.codec.ContentType())
				}
				encoded, err := tc.codec.Encode(tc.value)
				if err != nil {
					t.Fatal(err)
				}
				stored, err := c.Redis().XRange(ctx, "s", id, id).Result()
				if err != nil || len(stored) != 1 {
					t.Fatalf("XRANGE %s: %v, %v", id, stored, err)
				}
				want := map[string]any{pelican.PayloadField: encoded[pelican.PayloadField], pelican.FieldContentType: tc.codec.ContentType()}
				if diff := cmp.Diff(stored[0].Values, want); diff != "" {
					t.Errorf("stored fields (-got +want):\n%s", diff)
				}

				// A message without the content-type field.
				if _, err := c.Publish(ctx, "s", encoded, nil); err != nil {
					t.Fatal(err)
				}
				r = receive(t, out, "the value published without a content type")
				if diff := cmp.Diff(r.v, tc.value, protocmp.Transform()); diff != "" {
					t.Errorf("decoded without a content type (-got +want):\n%s", diff)
				}
				if r.contentType != "" {
					t.Errorf("ContentType() = %q, want none", r.contentType)
				}
			})
		})
	}
}

// A worker's codec overrides its client's: a client with the default
// codec runs a msgpack worker.
func TestWorkerCodecOverridesTheClients(t *testing.T) {
	backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		producer := pelican.New(c.Redis(), pelican.Options{Codec: msgpackcodec.Codec{}, Logger: backendtest.Quiet()})
		out := make(chan codectest.PlainOrder, 1)
		cfg := fastConfig("s", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			var o codectest.PlainOrder
			if err := m.Decode(&o); err != nil {
				return err
			}
			out <- o
			return nil
		}))
		cfg.Codec = msgpackcodec.Codec{}
		_, stop := runWorker(t, c, cfg)
		defer stop()
		want := codectest.NewPlainOrder(7, 2)
		if _, err := producer.PublishValue(ctx, "s", want, nil); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(receive(t, out, "the order"), want); diff != "" {
			t.Errorf("decoded (-got +want):\n%s", diff)
		}
		if got := c.Codec().ContentType(); got != pelican.ContentTypeJSON {
			t.Errorf("the client's default codec is %s, want JSON", got)
		}
	})
}

// A message the worker's codec cannot decode is a permanent failure: it
// is dead-lettered after one delivery, with an error that says why, and
// with its fields (content type included) as they were.
func TestUndecodableMessageIsDeadLetteredAsPermanent(t *testing.T) {
	msgpackOrder, err := msgpackcodec.Codec{}.Encode(codectest.NewPlainOrder(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name     string
		codec    pelican.Codec // the worker's
		values   map[string]string
		mismatch bool
		wantErr  string // the dead letter's error, after "order 1: "
	}{
		{
			name:  "msgpack to a JSON worker",
			codec: pelican.JSONCodec{},
			values: map[string]string{pelican.PayloadField: msgpackOrder[pelican.PayloadField],
				pelican.FieldContentType: msgpackcodec.ContentType},
			mismatch: true,
			wantErr:  "pelican: content type mismatch: the message is application/msgpack, the codec decodes application/json",
		},
		{
			name:     "JSON to a protobuf worker",
			codec:    protocodec.Codec{},
			values:   map[string]string{pelican.PayloadField: `{"id":1}`, pelican.FieldContentType: "application/json; charset=utf-8"},
			mismatch: true,
			wantErr:  "pelican: content type mismatch: the message is application/json; charset=utf-8, the codec decodes application/x-protobuf",
		},
		{
			name:    "bytes that are not protobuf",
			codec:   protocodec.Codec{},
			values:  map[string]string{pelican.PayloadField: "\xff\xff\xff\xff", pelican.FieldContentType: protocodec.ContentType},
			wantErr: "protocodec: decoding a pelican.codectest.Order: ",
		},
		{
			name:    "bytes that are not msgpack",
			codec:   msgpackcodec.Codec{},
			values:  map[string]string{pelican.PayloadField: "\xc1"},
			wantErr: "msgpackcodec: decoding into a *codectest.PlainOrder: ",
		},
		{
			name:    "msgpack with bytes after the value",
			codec:   msgpackcodec.Codec{},
			values:  map[string]string{pelican.PayloadField: msgpackOrder[pelican.PayloadField] + "\x00"},
			wantErr: "msgpackcodec: decoding into a *codectest.PlainOrder: 1 bytes after the value",
		},
		{
			name:    "text that is not JSON",
			codec:   pelican.JSONCodec{},
			values:  map[string]string{pelican.PayloadField: "{not json"},
			wantErr: "pelican: decoding the JSON payload: ",
		},
		{
			name:    "no payload",
			codec:   pelican.JSONCodec{},
			values:  map[string]string{"order": "1"},
			wantErr: `pelican: the message has no "payload" field`,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			backendtest.Each(t, func(t *testing.T, c *pelican.Client) {
				ctx := context.Background()
				var calls atomic.Int64
				errs := make(chan error, 1)
				cfg := fastConfig("s", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
					calls.Add(1)
					var err error
					if _, ok := tt.codec.(protocodec.Codec); ok {
						err = m.Decode(new(codectest.Order))
					} else {
						err = m.Decode(new(codectest.PlainOrder))
					}
					if err == nil {
						return errors.New("decoded")
					}
					errs <- err
					return fmt.Errorf("order 1: %w", err)
				}))
				cfg.Codec = tt.codec
				w, stop := runWorker(t, c, cfg)
				if _, err := c.Publish(ctx, "s", tt.values, nil); err != nil {
					t.Fatal(err)
				}
				err := receive(t, errs, "the decoding error")
				await.True(t, "the message is dead-lettered", func() bool { return w.Stats().DeadLettered == 1 })
				stop()

				var de *pelican.DecodeError
				if !errors.As(err, &de) || !errors.Is(err, pelican.ErrPermanent) {
					t.Errorf("Decode: %v (%T), want a *DecodeError matching ErrPermanent", err, err)
				} else if de.Codec != tt.codec.ContentType() || de.ContentType != tt.values[pelican.FieldContentType] {
					t.Errorf("DecodeError{ContentType: %q, Codec: %q}, want %q, %q", de.ContentType, de.Codec, tt.values[pelican.FieldContentType], tt.codec.ContentType())
				}
				if got := errors.Is(err, pelican.ErrContentTypeMismatch); got != tt.mismatch {
					t.Errorf("errors.Is(err, ErrContentTypeMismatch) = %v, want %v", got, tt.mismatch)
				}
				if calls.Load() != 1 {
					t.Errorf("handler called %d times, want 1", calls.Load())
				}
				dead, err := c.Redis().XRange(ctx, "s:dlq", "-", "+").Result()
				if err != nil || len(dead) != 1 {
					t.Fatalf("dead letters: %v, %v", dead, err)
				}
				d, err := pelican.ParseDeadLetter(dead[0])
				if err != nil {
					t.Fatal(err)
				}
				if d.Class != pelican.ClassPermanent || d.Deliveries != 1 {
					t.Errorf("dead letter class %q after %d deliveries, want %q after 1", d.Class, d.Deliveries, pelican.ClassPermanent)
				}
				if !strings.HasPrefix(d.Error, "order 1: "+tt.wantErr) {
					t.Errorf("dead letter error %q, want it to start with %q", d.Error, "order 1: "+tt.wantErr)
				}
				for k, v := range tt.values {
					if got := dead[0].Values[k]; got != v {
						t.Errorf("dead letter field %s = %q, want %q", k, got, v)
					}
				}
				if d.ContentType != tt.values[pelican.FieldContentType] {
					t.Errorf("DeadLetter.ContentType = %q, want %q", d.ContentType, tt.values[pelican.FieldContentType])
				}
			})
		})
	}
}

// Values a codec cannot encode are refused before anything is published,
// and targets it cannot decode into give errors, never panics.
func TestCodecRefusesInvalidValues(t *testing.T) {
	for _, tc := range codecCases() {
		t.Run(tc.name, func(t *testing.T) {
			backendtest.EachWith(t, pelican.Options{Codec: tc.codec}, func(t *testing.T, c *pelican.Client) {
				ctx := context.Background()
				for _, v := range []any{nil, (*codectest.PlainOrder)(nil), (*codectest.Order)(nil)} {
					if _, err := c.PublishValue(ctx, "s", v, nil); !errors.Is(err, pelican.ErrNilValue) {
						t.Errorf("PublishValue(%#v): %v, want ErrNilValue", v, err)
					}
				}
				var unencodable any = make(chan int)
				if _, ok := tc.codec.(protocodec.Codec); ok {
					unencodable = codectest.NewPlainOrder(1, 1)
				}
				if _, err := c.PublishValue(ctx, "s", unencodable, nil); err == nil {
					t.Errorf("PublishValue(%T) succeeded", unencodable)
				} else if _, ok := tc.codec.(protocodec.Codec); ok && !errors.Is(err, protocodec.ErrNotProto) {
					t.Errorf("PublishValue(%T): %v, want ErrNotProto", unencodable, err)
				}
				if n, err := c.Redis().XLen(ctx, "s").Result(); err != nil || n != 0 {
					t.Errorf("XLEN after refused values: %d, %v; want 0", n, err)
				}

				errs := make(chan []error, 1)
				_, stop := runWorker(t, c, fastConfig("s", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) (err error) {
					var got []error
					for _, target := range tc.bad {
						func() {
							defer func() {
								if p := recover(); p != nil {
									got = append(got, fmt.Errorf("panic: %v", p))
								}
							}()
							got = append(got, m.Decode(target))
						}()
					}
					errs <- got
					return nil
				})))
				defer stop()
				if _, err := c.PublishValue(ctx, "s", tc.value, nil); err != nil {
					t.Fatal(err)
				}
				for i, err := range receive(t, errs, "the decoding errors") {
					var de *pelican.DecodeError
					if !errors.As(err, &de) || !errors.Is(err, pelican.ErrPermanent) {
						t.Errorf("Decode(%#v): %v, want a *DecodeError", tc.bad[i], err)
					}
				}
			})
		})
	}
}

// The content type stays with a message through the dead-letter stream
// and a redrive: the redriven message decodes as it did the first time.
func TestContentTypeSurvivesDeadLetterAndRedrive(t *testing.T) {
	backendtest.EachWith(t, pelican.Options{Codec: protocodec.Codec{}}, func(t *testing.T, c *pelican.Client) {
		ctx := context.Background()
		want := codectest.NewOrder(9, 2)
		out := make(chan *codectest.Order, 1)
		hooked := make(chan string, 1)
		cfg := fastConfig("s", pelican.HandlerFunc(func(ctx context.Context, m *pelican.Message) error {
			o := new(codectest.Order)
			if err := m.Decode(o); err != nil {
				return err
			}
			if m.Values[pelican.FieldRedrives] == "" {
				return pelican.Permanent(errors.New("the warehouse is closed"))
			}
			if m.ContentType() != protocodec.ContentType {
				t.Errorf("redriven message's content type %q", m.ContentType())
			}
			out <- o
			return nil
		}))
		cfg.OnDeadLetter = func(ctx context.Context, d pelican.DeadLetter) { hooked <- d.ContentType }
		w, stop := runWorker(t, c, cfg)
		defer stop()
		if _, err := c.PublishValue(ctx, "s", want, nil); err != nil {
			t.Fatal(err)
		}
		if got := receive(t, hooked, "OnDeadLetter"); got != protocodec.ContentType {
			t.Errorf("OnDeadLetter's DeadLetter.ContentType = %q", got)
		}
		entries, _, err := dlq.Open(c, "s:dlq").List(ctx, dlq.Selector{All: true}, dlq.ListOptions{})
		if err != nil || len(entries) != 1 {
			t.Fatalf("dead letters: %+v, %v", entries, err)
		}
		if e := entries[0]; e.ContentType != protocodec.ContentType || e.Class != pelican.ClassPermanent {
			t.Errorf("dead letter: content type %q, class %q", e.ContentType, e.Class)
		}
		job, err := dlq.Open(c, "s:dlq").Redrive(ctx, dlq.Selector{All: true}, dlq.RedriveOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if p, err := job.Wait(ctx); err != nil || p.Moved != 1 {
			t.Fatalf("redrive: %+v, %v", p, err)
		}
		if diff := cmp.Diff(receive(t, out, "the redriven order"), want, protocmp.Transform()); diff != "" {
			t.Errorf("redriven order (-got +want):\n%s", diff)
		}
		await.True(t, "the redriven order is acknowledged", func() bool { return w.Stats().Processed == 1 })
	})
}
