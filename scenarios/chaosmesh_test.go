package scenarios

import (
	"testing"
	"time"
)

func TestChaosMeshConversions(t *testing.T) {
	d := (&DelaySpec{Latency: Duration(90 * time.Second), Jitter: Duration(1500 * time.Microsecond), Correlation: 25}).ChaosMesh()
	if d.Latency != "90000ms" || d.Jitter != "1500us" || d.Correlation != "25" {
		t.Errorf("DelaySpec = %+v", d)
	}
	l := (&LossSpec{Loss: 2.5}).ChaosMesh()
	if l.Loss != "2.5" || l.Correlation != "0" {
		t.Errorf("LossSpec = %+v", l)
	}
	b := (&BandwidthSpec{Rate: "256kbit", Limit: 10, Buffer: 20}).ChaosMesh()
	if b.Rate != "256kbit" || b.Limit != 10 || b.Buffer != 20 {
		t.Errorf("BandwidthSpec = %+v", b)
	}
	load := int32(80)
	s := (&StressParams{CPU: &CPUStressor{Workers: 2, Load: &load}, Memory: &MemoryStressor{Workers: 1, Size: "64MB"}}).ChaosMesh()
	if s.CPUStressor.Workers != 2 || *s.CPUStressor.Load != 80 || s.MemoryStressor.Size != "64MB" {
		t.Errorf("Stressors = %+v", s)
	}
}

func TestBitsPerSecond(t *testing.T) {
	for rate, want := range map[string]uint64{"256kbit": 256e3, "1mbps": 8e6, "10 MBIT": 10e6, "100bps": 800} {
		got, err := (&BandwidthSpec{Rate: rate}).BitsPerSecond()
		if err != nil || got != want {
			t.Errorf("%q = %d, %v; want %d", rate, got, err, want)
		}
	}
	for _, rate := range []string{"fast", "1.5mbit", "-1kbit", "99999999999999999999tbps"} {
		if _, err := (&BandwidthSpec{Rate: rate}).BitsPerSecond(); err == nil {
			t.Errorf("%q: no error", rate)
		}
	}
}
