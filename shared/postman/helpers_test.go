package postman_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/postman"
)

const schema21 = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"

var fixedNow = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// testOptions are deterministic options: a seeded random source and a
// fixed clock.
func testOptions() postman.Options {
	return postman.Options{
		Rand: rand.New(rand.NewPCG(1, 2)),
		Now:  func() time.Time { return fixedNow },
	}
}

// v21 wraps items (the inside of the item array) and optional extra
// top-level members (starting with a comma) into a v2.1 collection.
func v21(items, extra string) string {
	return `{"info":{"name":"test","schema":"` + schema21 + `"},"item":[` + items + `]` + extra + `}`
}

func mustParse(t *testing.T, doc string, opts postman.Options) *postman.Collection {
	t.Helper()
	c, err := postman.Parse([]byte(doc), opts)
	require.NoError(t, err)
	return c
}

// only parses doc and returns its single request.
func only(t *testing.T, doc string, opts postman.Options) postman.Request {
	t.Helper()
	c := mustParse(t, doc, opts)
	require.Len(t, c.Requests, 1)
	return c.Requests[0]
}

func headerNames(h []postman.KV) []string {
	out := make([]string, 0, len(h))
	for _, kv := range h {
		out = append(out, kv.Key)
	}
	return out
}

func header(h []postman.KV, key string) (string, bool) {
	for _, kv := range h {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return "", false
}
