package inventory

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apiscout/apiscout/shared/postman"
	"github.com/apiscout/apiscout/shared/sensitive"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// corpusDir is ../shared/corpus seen from the repository root.
func corpusDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "corpus")
	if _, err := os.Stat(filepath.Join(dir, "INDEX.tsv")); err != nil {
		t.Skipf("corpus not found at %s (../shared/corpus next to the repository): %v", dir, err)
	}
	return dir
}

func parseCorpus(t testing.TB, name string) *postman.Collection {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpusDir(t), name+".json"))
	require.NoError(t, err)
	c, err := postman.Parse(data, postman.Options{
		Rand: rand.New(rand.NewPCG(1, 2)),
		Now:  func() time.Time { return time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC) },
	})
	require.NoError(t, err)
	return c
}

// corpusFigures are reviewed by eye in the golden files; the test pins
// them so a change in templating or detection shows.
type corpusFigures struct {
	endpoints, templated, samples int
	findings                      map[sensitive.Type]int // endpoints carrying each type
}

// summary renders a plan's endpoints, one block each, for a golden file.
func summary(eps []Endpoint) string {
	var b strings.Builder
	for _, ep := range eps {
		fmt.Fprintf(&b, "%s %s%s\n", ep.Method, ep.Host, ep.Path)
		fmt.Fprintf(&b, "  key=%s samples=%d statuses=%v sources=%d\n", templateOfEndpoint(ep).Key(), len(ep.SampleIDs), ep.StatusCodes, len(ep.Sources))
		for _, p := range ep.PathParams {
			fmt.Fprintf(&b, "  param %s %s %v\n", p.Name, p.Origin, p.Types)
		}
		if len(ep.Paths) > 0 {
			fmt.Fprintf(&b, "  paths %s\n", strings.Join(ep.Paths, " "))
		}
		var auth []string
		for _, e := range ep.Auth {
			auth = append(auth, fmt.Sprintf("%s(%s:%s)", e.Type, e.In, e.Name))
		}
		fmt.Fprintf(&b, "  auth %s postman=%v\n", strings.Join(auth, " "), ep.PostmanAuth)
		if r := ep.Shape.Request; r != nil {
			var q, h, bodies []string
			for _, f := range r.Query {
				q = append(q, f.Name)
			}
			for _, f := range r.Headers {
				h = append(h, f.Name)
			}
			for _, bd := range r.Bodies {
				desc := bd.MediaType
				if bd.JSON != nil {
					desc += fmt.Sprintf("(%d fields)", len(bd.JSON.Paths(0)))
				}
				if bd.Form != nil {
					desc += fmt.Sprintf("(%d form fields)", len(bd.Form))
				}
				bodies = append(bodies, desc)
			}
			fmt.Fprintf(&b, "  request query=%v headers=%v bodies=%v\n", q, h, bodies)
		}
		for _, r := range ep.Shape.Responses {
			var bodies []string
			for _, bd := range r.Bodies {
				desc := bd.MediaType
				if bd.JSON != nil {
					desc += fmt.Sprintf("(%d fields)", len(bd.JSON.Paths(0)))
				}
				bodies = append(bodies, desc)
			}
			fmt.Fprintf(&b, "  response %d bodies=%v\n", r.Status, bodies)
		}
		for _, f := range ep.Sensitive {
			fmt.Fprintf(&b, "  sensitive %s %s %s/%s %s%s\n", f.Type, f.Severity, f.Side, f.Part, f.Name, f.Path)
		}
	}
	return b.String()
}

// importCorpus plans a corpus collection and merges it, as the importer
// does, into endpoints (sorted by method, host and path).
func importCorpus(t testing.TB, c *postman.Collection, known []Endpoint, importID string) (Plan, []Endpoint) {
	t.Helper()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := PlanImport(c, "col", PlanOptions{AccountID: "acc", ImportID: importID, Now: now, SampleBodyMax: 1 << 20, Known: known})
	byID := map[string]*Endpoint{}
	for i := range known {
		byID[known[i].ID] = &known[i]
	}
	var eps []Endpoint
	for _, obs := range p.Observations {
		ep, _, _ := Merge(byID[EndpointID("col", obs.Key)], obs, MergeOptions{AccountID: "acc", CollectionID: "col", ImportID: importID, Now: now, Keep: 10})
		eps = append(eps, ep)
	}
	slices.SortFunc(eps, func(a, b Endpoint) int {
		return strings.Compare(a.Method+" "+a.Host+a.Path, b.Method+" "+b.Host+b.Path)
	})
	return p, eps
}

func TestCorpusInventory(t *testing.T) {
	t.Parallel()
	// Reviewed by eye in testdata/*.golden: adyen declares :ids everywhere;
	// paypal mixes :ids, {{vars}} and concrete ids in its examples; plaid is
	// all POSTs without path parameters. The two adyen terminal order ids
	// that pass Luhn (5265677890100681, 4154567890100682) are not cards:
	// they sit in "id" members.
	want := map[string]corpusFigures{
		"adyen-management-v3": {endpoints: 93, templated: 86, samples: 111,
			findings: map[sensitive.Type]int{sensitive.Email: 19, sensitive.IPAddress: 1, sensitive.Phone: 16}},
		"paypal-partner": {endpoints: 34, templated: 21, samples: 229,
			findings: map[sensitive.Type]int{sensitive.CreditCard: 2, sensitive.Email: 12, sensitive.IBAN: 1, sensitive.IPAddress: 8, sensitive.Phone: 4, sensitive.SSN: 1}},
		"plaid": {endpoints: 95, templated: 0, samples: 101,
			findings: map[sensitive.Type]int{sensitive.Email: 19, sensitive.IBAN: 4, sensitive.IPAddress: 3, sensitive.Phone: 7, sensitive.SSN: 2}},
	}
	for _, name := range []string{"plaid", "paypal-partner", "adyen-management-v3"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := parseCorpus(t, name)
			p, eps := importCorpus(t, c, nil, "imp1")
			got := corpusFigures{endpoints: len(eps), samples: p.Counts.Samples, findings: map[sensitive.Type]int{}}
			for _, ep := range eps {
				if len(ep.PathParams) > 0 {
					got.templated++
				}
				for _, typ := range ep.SensitiveTypes {
					got.findings[typ]++
				}
			}
			require.Equal(t, want[name], got)

			golden := filepath.Join("testdata", name+".golden")
			s := summary(eps)
			if *update {
				require.NoError(t, os.WriteFile(golden, []byte(s), 0o644))
			}
			g, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test ./shared/inventory -run TestCorpusInventory -update")
			require.Equal(t, string(g), s)

			// Re-importing the same collection over its endpoints finds
			// the same endpoints and changes none of what they know.
			_, again := importCorpus(t, c, eps, "imp2")
			require.Len(t, again, len(eps))
			for i := range eps {
				a, b := eps[i], again[i]
				require.Equal(t, a.ID, b.ID)
				require.Equal(t, a.Path, b.Path)
				require.Equal(t, a.PathParams, b.PathParams)
				require.Equal(t, a.Shape, b.Shape)
				require.Equal(t, a.Sensitive, b.Sensitive)
				require.Equal(t, a.Auth, b.Auth)
				require.Equal(t, a.SampleIDs, b.SampleIDs)
			}
		})
	}
}
