package postman

import (
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

// heapSampler records the peak of live-and-unswept heap objects while it
// runs, polling runtime/metrics.
type heapSampler struct {
	stop chan struct{}
	wg   sync.WaitGroup
	peak uint64
}

const heapMetric = "/memory/classes/heap/objects:bytes"

func heapNow() uint64 {
	s := []metrics.Sample{{Name: heapMetric}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func startHeapSampler() *heapSampler {
	h := &heapSampler{stop: make(chan struct{}), peak: heapNow()}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		s := []metrics.Sample{{Name: heapMetric}}
		t := time.NewTicker(100 * time.Microsecond)
		defer t.Stop()
		for {
			select {
			case <-h.stop:
				return
			case <-t.C:
				metrics.Read(s)
				h.peak = max(h.peak, s[0].Value.Uint64())
			}
		}
	}()
	return h
}

func (h *heapSampler) Stop() uint64 {
	close(h.stop)
	h.wg.Wait()
	return max(h.peak, heapNow())
}

// BenchmarkParse25MiB parses a generated 25 MiB v2.1 collection (10,000
// requests, 30% with examples). Besides ns/op and B/op it reports the peak
// heap during Parse (input included) in MiB and as a multiple of the input
// size; the goals are <= 0.5 s and <= 4x.
func BenchmarkParse25MiB(b *testing.B) {
	data := GenerateCollection(10_000, 0.3, 25<<20)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	var peak uint64
	for b.Loop() {
		b.StopTimer()
		runtime.GC()
		h := startHeapSampler()
		b.StartTimer()
		c, err := Parse(data, Options{Rand: rand.New(rand.NewPCG(1, 2)), Now: func() time.Time { return now }})
		b.StopTimer()
		peak = max(peak, h.Stop())
		if err != nil {
			b.Fatal(err)
		}
		if len(c.Requests) != 10_000 {
			b.Fatalf("requests = %d", len(c.Requests))
		}
		runtime.KeepAlive(c)
		b.StartTimer()
	}
	b.ReportMetric(float64(len(data))/(1<<20), "input-MiB")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(peak)/float64(len(data)), "peak-heap/input")
}
