package embedded_test

import (
	"context"
	"fmt"
	"log"

	"github.com/pelicanhq/pelican"
	"github.com/pelicanhq/pelican/embedded"
)

func ExampleNew() {
	ctx := context.Background()
	c, err := embedded.New(pelican.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close() // stops the engine
	if _, err := c.Publish(ctx, "orders", map[string]string{"order": "42"}, nil); err != nil {
		log.Fatal(err)
	}
	n, err := c.Redis().XLen(ctx, "orders").Result()
	fmt.Println(n, err)
	// Output: 1 <nil>
}
