package inventory

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apiscout/apiscout/shared/postman"
)

// BenchmarkPlanImport25MiB plans the generated 25 MiB collection:
// templating, shape inference, sensitive-data scanning, auth detection
// and redaction of every saved example (parsing excluded).
func BenchmarkPlanImport25MiB(b *testing.B) {
	data := postman.GenerateCollection(10_000, 0.5, 25<<20-100<<10)
	c, err := postman.Parse(data, postman.Options{
		Rand: rand.New(rand.NewPCG(1, 2)),
		Now:  func() time.Time { return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		b.Fatal(err)
	}
	opts := PlanOptions{AccountID: "acc", ImportID: "imp", Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), SampleBodyMax: 1 << 20}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var p Plan
	for b.Loop() {
		p = PlanImport(c, "col", opts)
	}
	b.ReportMetric(float64(p.Counts.Samples), "samples")
	b.ReportMetric(float64(len(p.Observations)), "endpoints")
}
