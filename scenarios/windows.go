package scenarios

import "time"

// Window is one occurrence of a fault, as offsets from the moment the
// workload is steady. For instantaneous faults End equals Start.
type Window struct {
	// Start is when the fault is injected.
	Start time.Duration
	// End is when the fault is healed.
	End time.Duration
}

// Windows returns every occurrence of the fault in time order, for a
// validated fault. Jitter is drawn in whole milliseconds with splitmix64
// from the seed, so the same file always yields the same timeline, on any
// Go version.
func (f *Fault) Windows() []Window {
	count := int32(1)
	var period, jitter time.Duration
	var seed uint64
	if r := f.Repeat; r != nil && r.Count > 1 {
		count, period, jitter = r.Count, r.Period.Std(), r.Jitter.Std()
		if r.Seed != nil {
			seed = uint64(*r.Seed)
		}
	}
	out := make([]Window, 0, count)
	for i := range count {
		start := f.At.Std() + time.Duration(i)*period
		if steps := uint64(jitter / time.Millisecond); i > 0 && steps > 0 {
			start += time.Duration(splitmix64(seed+uint64(i))%steps) * time.Millisecond
		}
		out = append(out, Window{Start: start, End: start + f.Duration.Std()})
	}
	return out
}

// LatestEnd is the latest the fault can be healed whatever the seed: the
// last occurrence started with the whole jitter.
func (f *Fault) LatestEnd() time.Duration {
	end := f.At.Std() + f.Duration.Std()
	if r := f.Repeat; r != nil && r.Count > 1 {
		end += time.Duration(r.Count-1)*r.Period.Std() + r.Jitter.Std()
	}
	return end
}

// splitmix64 is a fixed, well-mixed hash; unlike math/rand its output is
// part of this package's contract, which keeps timelines reproducible.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
