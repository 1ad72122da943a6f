package cli

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pelicanhq/pelican"
)

// This file holds what the demo and its worker processes share: the
// orders, their keys, and the handler that charges them.

// demoGroup is the consumer group of the demo's workers.
const demoGroup = "billing"

// demoKeys names the keys of one run of the demo. A hash tag keeps them in
// one Redis Cluster slot, so that a charge and its acknowledgement commit
// in one transaction there too; the run ID keeps runs apart on a server
// that is not the demo's own.
type demoKeys struct{ run string }

func (k demoKeys) prefix() string { return "{demo-" + k.run + "}" }

// stream is where orders are published.
func (k demoKeys) stream() string { return k.prefix() + ":orders" }

// deadLetters is the stream's dead-letter stream.
func (k demoKeys) deadLetters() string { return pelican.DeadLetterStreamOf(k.stream()) }

// charged is the set of the order numbers charged: the side effect, made
// in the same transaction as the acknowledgement.
func (k demoKeys) charged() string { return k.prefix() + ":charged" }

// charges counts, per order number, how many times it was charged: more
// than once would be a duplicate.
func (k demoKeys) charges() string { return k.prefix() + ":charges" }

// counters counts the handler's calls (fields demoCalls...), outside any
// transaction.
func (k demoKeys) counters() string { return k.prefix() + ":counters" }

// Fields of the counters hash.
const (
	demoCalls    = "calls"    // handler calls
	demoRetries  = "retries"  // calls for a message delivered before
	demoTimeouts = "timeouts" // payment gateway timeouts (transient failures)
)

// An orderKind says how the handler fares with an order.
type orderKind int

const (
	// orderOK is charged at once.
	orderOK orderKind = iota
	// orderSlowGateway goes through a gateway that times out on the
	// first attempt and succeeds on a retry.
	orderSlowGateway
	// orderNoPrice lacks its amount: it fails on every delivery until
	// the workers look prices up in the catalogue.
	orderNoPrice
	// orderBadCurrency has a currency nobody can charge: bad data, failing
	// permanently.
	orderBadCurrency
)

// kindOf is the kind of order n of a run with the given seed: about 10%
// time out once, 3% lack a price, 2% have an unknown currency.
func kindOf(seed uint64, n int) orderKind {
	switch r := rand.New(rand.NewPCG(seed, uint64(n))).IntN(100); {
	case r < 10:
		return orderSlowGateway
	case r < 13:
		return orderNoPrice
	case r < 15:
		return orderBadCurrency
	}
	return orderOK
}

// Gateways and currencies of the orders.
const (
	gatewayOK   = "acme-pay"
	gatewaySlow = "slowpay"
)

var (
	goodCurrencies = []string{"EUR", "USD", "GBP"}
	badCurrencies  = []string{"XBT", "ZZZ", "EURO"}
)

// order returns the fields of order n.
func order(seed uint64, n int) map[string]string {
	r := rand.New(rand.NewPCG(seed^0x5eed, uint64(n)))
	sku := "sku-" + strconv.Itoa(1+r.IntN(40))
	v := map[string]string{
		"order":    strconv.Itoa(n),
		"sku":      sku,
		"qty":      strconv.Itoa(1 + r.IntN(5)),
		"currency": goodCurrencies[r.IntN(len(goodCurrencies))],
		"amount":   catalogPrice(sku),
		"gateway":  gatewayOK,
	}
	switch kindOf(seed, n) {
	case orderSlowGateway:
		v["gateway"] = gatewaySlow
	case orderNoPrice:
		delete(v, "amount")
	case orderBadCurrency:
		v["currency"] = badCurrencies[r.IntN(len(badCurrencies))]
	}
	return v
}

// catalogPrice is the price of a SKU in the catalogue.
func catalogPrice(sku string) string {
	n, _ := strconv.Atoi(sku[len("sku-"):])
	return fmt.Sprintf("%d.%02d", 5+n%17, (n*37)%100)
}

// errGatewayTimeout is the transient failure of the slow gateway.
var errGatewayTimeout = errors.New("payment gateway " + gatewaySlow + " timed out")

// demoHandler charges orders. Each charge is a Redis write queued on the
// message's transaction (the worker runs in exactly-once mode), so it
// commits with the acknowledgement, once, however often the order is
// delivered.
type demoHandler struct {
	rdb  redis.UniversalClient
	keys demoKeys
	// priceLookup is the fix: an order without an amount is charged at
	// the catalogue's price instead of failing.
	priceLookup bool
	// work is how long a charge takes.
	work time.Duration
}

// Handle charges one order.
func (h *demoHandler) Handle(ctx context.Context, m *pelican.Message) error {
	_, err := h.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.HIncrBy(ctx, h.keys.counters(), demoCalls, 1)
		if m.Deliveries > 1 {
			p.HIncrBy(ctx, h.keys.counters(), demoRetries, 1)
		}
		return nil
	})
	if err != nil {
		return pelican.Unavailable(fmt.Errorf("counting the call: %w", err))
	}
	time.Sleep(h.work)
	if cur := m.Values["currency"]; !slices.Contains(goodCurrencies, cur) {
		return pelican.Permanent(fmt.Errorf("unknown currency %q", cur))
	}
	amount := m.Values["amount"]
	if amount == "" && h.priceLookup {
		amount = catalogPrice(m.Values["sku"])
	}
	if amount == "" {
		return fmt.Errorf("price missing for %q", m.Values["sku"])
	}
	if m.Values["gateway"] == gatewaySlow && m.Deliveries == 1 {
		h.rdb.HIncrBy(ctx, h.keys.counters(), demoTimeouts, 1)
		return errGatewayTimeout
	}
	m.Tx().SAdd(ctx, h.keys.charged(), m.Values["order"])
	m.Tx().HIncrBy(ctx, h.keys.charges(), m.Values["order"], 1)
	return nil
}

// demoMaxDeliveries is the workers' MaxDeliveries.
const demoMaxDeliveries = 3

// demoClaimMinIdle is how long a message may stay pending without
// progress before another worker claims it: seconds rather than minutes,
// so that the demo shows it.
const demoClaimMinIdle = 2 * time.Second

// demoWorkerConfig is the configuration of a demo worker: intervals short
// enough that retries, claims and dead-letters happen within seconds.
func demoWorkerConfig(keys demoKeys, name string, h pelican.Handler) pelican.WorkerConfig {
	return pelican.WorkerConfig{
		Stream:         keys.stream(),
		Group:          demoGroup,
		Consumer:       name,
		Handler:        h,
		Concurrency:    4,
		BatchSize:      16,
		Block:          200 * time.Millisecond,
		HandlerTimeout: 5 * time.Second,
		MaxDeliveries:  demoMaxDeliveries,
		Backoff:        pelican.ExponentialBackoff{Base: 200 * time.Millisecond, Max: time.Second, Jitter: 0.2},
		ClaimMinIdle:   demoClaimMinIdle,
		ClaimInterval:  250 * time.Millisecond,
		// A worker that misses three beats is dead: at once when its
		// process is gone from this host.
		HeartbeatInterval: 250 * time.Millisecond,
		ExactlyOnce:       true,
		ShutdownGrace:     3 * time.Second,
	}
}
