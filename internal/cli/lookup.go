package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/pelicanhq/pelican"
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
		return fmt.Errorf("no stream named %q at %s; list them with: %s", key, t.where(), t.command("streams"))
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

// openStream opens the target (see target.open) and checks that stream
// is a stream there (see needStream).
func (t *target) openStream(ctx context.Context, stream string) (*pelican.Client, error) {
	return t.openChecked(ctx, func(rdb redis.UniversalClient) error { return needStream(ctx, rdb, t, stream) })
}

// openGroup opens the target and checks that stream has group (see
// needGroup).
func (t *target) openGroup(ctx context.Context, stream, group string) (*pelican.Client, error) {
	return t.openChecked(ctx, func(rdb redis.UniversalClient) error { return needGroup(ctx, rdb, t, stream, group) })
}

// openChecked opens the target and runs check, closing it again when
// check fails.
func (t *target) openChecked(ctx context.Context, check func(redis.UniversalClient) error) (*pelican.Client, error) {
	c, err := t.open(ctx)
	if err != nil {
		return nil, err
	}
	if err := check(c.Redis()); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}
