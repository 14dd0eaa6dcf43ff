package scenarios

import (
	"strconv"
	"time"

	"github.com/chaos-mesh/chaos-mesh/api/v1alpha1"
)

// ChaosMesh converts the bandwidth limit to Chaos Mesh's BandwidthSpec.
func (b *BandwidthSpec) ChaosMesh() v1alpha1.BandwidthSpec {
	return v1alpha1.BandwidthSpec{Rate: b.Rate, Limit: b.Limit, Buffer: b.Buffer}
}

// ChaosMesh converts the loss to Chaos Mesh's LossSpec.
func (l *LossSpec) ChaosMesh() v1alpha1.LossSpec {
	return v1alpha1.LossSpec{Loss: l.Loss.String(), Correlation: l.Correlation.String()}
}

// ChaosMesh converts the delay to Chaos Mesh's DelaySpec.
func (d *DelaySpec) ChaosMesh() v1alpha1.DelaySpec {
	return v1alpha1.DelaySpec{
		Latency:     chaosDuration(d.Latency.Std()),
		Jitter:      chaosDuration(d.Jitter.Std()),
		Correlation: d.Correlation.String(),
	}
}

// ChaosMesh converts the stressors to Chaos Mesh's Stressors.
func (s *StressParams) ChaosMesh() v1alpha1.Stressors {
	var out v1alpha1.Stressors
	if c := s.CPU; c != nil {
		out.CPUStressor = &v1alpha1.CPUStressor{Stressor: v1alpha1.Stressor{Workers: int(c.Workers)}}
		if c.Load != nil {
			load := int(*c.Load)
			out.CPUStressor.Load = &load
		}
	}
	if m := s.Memory; m != nil {
		out.MemoryStressor = &v1alpha1.MemoryStressor{Stressor: v1alpha1.Stressor{Workers: int(m.Workers)}, Size: m.Size}
	}
	return out
}

// chaosDuration formats d in a single unit, since Chaos Mesh's latency
// pattern rejects compound durations such as "1m30s".
func chaosDuration(d time.Duration) string {
	if d%time.Millisecond == 0 {
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	}
	return strconv.FormatInt(d.Microseconds(), 10) + "us"
}
