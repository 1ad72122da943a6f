package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// needStream checks that key holds a stream, so that a command on a
// misspelt name says so rather than showing nothing.
func needStream(ctx context.Context, rdb redis.UniversalClient, t *target, key string) error {
	typ, err := rdb.Type(ctx, key).Result()
	if err != nil {
		return fmt.Errorf("looking up %s: %w", key, err)
	}
	switch typ {
	case "stream":
		return nil
	case "none":
		return fmt.Errorf("no stream named %q at %s ('pelican streams' lists them)", key, t.where())
	}
	return fmt.Errorf("%q is a %s, not a stream", key, typ)
}

// needGroup checks that stream has the consumer group group.
func needGroup(ctx context.Context, rdb redis.UniversalClient, t *target, stream, group string) error {
	if err := needStream(ctx, rdb, t, stream); err != nil {
		return err
	}
	groups, err := rdb.XInfoGroups(ctx, stream).Result()
	if err != nil {
		return fmt.Errorf("groups of %s: %w", stream, err)
	}
	names := make([]string, 0, len(groups))
	for _, g := range groups {
		if g.Name == group {
			return nil
		}
		names = append(names, g.Name)
	}
	if len(names) == 0 {
		return fmt.Errorf("stream %q has no consumer groups, so no group %q", stream, group)
	}
	return fmt.Errorf("stream %q has no group %q (its groups: %s)", stream, group, strings.Join(names, ", "))
}
