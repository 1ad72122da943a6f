// Package codectest holds the payloads that the codec tests and
// benchmarks encode: an order as a protobuf message (Order, generated from
// order.proto) and as a plain Go struct (PlainOrder) with the same fields,
// for the codecs that take any value.
package codectest

import "fmt"

// PlainOrder is Order as a Go struct.
type PlainOrder struct {
	ID         int64       `json:"id" msgpack:"id"`
	Customer   string      `json:"customer" msgpack:"customer"`
	Lines      []PlainLine `json:"lines" msgpack:"lines"`
	TotalCents int64       `json:"total_cents" msgpack:"total_cents"`
}

// PlainLine is Line as a Go struct.
type PlainLine struct {
	SKU        string `json:"sku" msgpack:"sku"`
	Quantity   int32  `json:"quantity" msgpack:"quantity"`
	PriceCents int64  `json:"price_cents" msgpack:"price_cents"`
}

// Tricky is a customer name with the bytes a text protocol would trip
// on: a NUL, CR LF, and RESP's own markers. Redis strings keep them.
const Tricky = "Ada\x00Lovelace\r\n$3\r\n*1\r\n"

// NewPlainOrder returns an order with id and lines lines, whose customer
// is Tricky.
func NewPlainOrder(id int64, lines int) PlainOrder {
	o := PlainOrder{ID: id, Customer: Tricky}
	for i := range lines {
		l := PlainLine{SKU: fmt.Sprintf("SKU-%05d", i), Quantity: int32(i%5 + 1), PriceCents: int64(199 + 100*i)}
		o.Lines = append(o.Lines, l)
		o.TotalCents += int64(l.Quantity) * l.PriceCents
	}
	return o
}

// NewOrder returns NewPlainOrder(id, lines) as a protobuf message.
func NewOrder(id int64, lines int) *Order {
	p := NewPlainOrder(id, lines)
	o := &Order{Id: p.ID, Customer: p.Customer, TotalCents: p.TotalCents}
	for _, l := range p.Lines {
		o.Lines = append(o.Lines, &Line{Sku: l.SKU, Quantity: l.Quantity, PriceCents: l.PriceCents})
	}
	return o
}
