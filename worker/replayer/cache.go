package replayer

import (
	"container/list"
	"context"
	"fmt"
	"sync"

	"github.com/apiscout/apiscout/shared/inventory"
	"github.com/apiscout/apiscout/shared/postman"
)

// loaded is an import with its parsed collection.
type loaded struct {
	imp  inventory.Import
	coll *postman.Collection

	// known are the collection's stored templates, read once by the
	// import's first batch on this worker: the import task wrote its own
	// endpoints before any replay was enqueued, and templates a batch adds
	// are the ones a later batch derives again from the same paths.
	mu        sync.Mutex
	known     []inventory.Endpoint
	haveKnown bool
}

// templates returns the collection's stored templates, reading them on
// first use.
func (l *loaded) templates(ctx context.Context, read func(ctx context.Context, accountID, collectionID string) ([]inventory.Endpoint, error), accountID, collectionID string) ([]inventory.Endpoint, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.haveKnown {
		known, err := read(ctx, accountID, collectionID)
		if err != nil {
			return nil, err
		}
		l.known, l.haveKnown = known, true
	}
	return l.known, nil
}

// collectionCache keeps the last few parsed collections of this worker, so
// the replays of one import parse its stored collection once per worker
// (the payloads carry ids; requests are rebuilt from the stored file).
type collectionCache struct {
	mu      sync.Mutex
	size    int
	order   *list.List // of string (import id), front = newest
	entries map[string]*cacheEntry
	load    func(ctx context.Context, accountID, importID string) (*loaded, error)
}

type cacheEntry struct {
	ready chan struct{}
	val   *loaded
	err   error
	elem  *list.Element
}

func newCollectionCache(size int, load func(ctx context.Context, accountID, importID string) (*loaded, error)) *collectionCache {
	return &collectionCache{size: size, order: list.New(), entries: map[string]*cacheEntry{}, load: load}
}

// get returns the import and its collection, loading it once even when
// many tasks ask at the same time. Failed loads are not cached.
func (c *collectionCache) get(ctx context.Context, accountID, importID string) (*loaded, error) {
	c.mu.Lock()
	if e, ok := c.entries[importID]; ok {
		c.order.MoveToFront(e.elem)
		c.mu.Unlock()
		select {
		case <-e.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if e.err == nil && e.val.imp.AccountID != accountID {
			return nil, fmt.Errorf("import %s belongs to another account", importID)
		}
		return e.val, e.err
	}
	e := &cacheEntry{ready: make(chan struct{})}
	e.elem = c.order.PushFront(importID)
	c.entries[importID] = e
	for c.order.Len() > c.size {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.entries, old.Value.(string))
	}
	c.mu.Unlock()

	e.val, e.err = c.load(ctx, accountID, importID)
	close(e.ready)
	if e.err != nil {
		c.mu.Lock()
		if c.entries[importID] == e {
			c.order.Remove(e.elem)
			delete(c.entries, importID)
		}
		c.mu.Unlock()
	}
	return e.val, e.err
}
