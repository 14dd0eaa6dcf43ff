package slo

import "time"

// ReplicaSample is one reading of the sink's replica counts, e.g. from its
// HorizontalPodAutoscaler (desired) and Deployment (ready).
type ReplicaSample struct {
	// T is when the counts were read.
	T time.Time
	// Desired is the HPA's desired replica count.
	Desired int32
	// Ready is the number of Ready replicas.
	Ready int32
}

// Scaling is how the sink scaled.
type Scaling struct {
	// ScaleOut is the time from the load step until more replicas than
	// before it were desired and all of them Ready, in seconds.
	ScaleOut Value
	// Replicas is the highest number of Ready replicas seen.
	Replicas Value
}

// MeasureScaling computes scaling from samples in time order and the time
// the load rose. The initial count is the Ready count of the last sample at
// or before step (the first sample if none is). ScaleOut ends at the first
// sample after step with Ready >= Desired > initial.
func MeasureScaling(samples []ReplicaSample, step time.Time) Scaling {
	if len(samples) == 0 {
		why := Unknown("no replica samples")
		return Scaling{ScaleOut: why, Replicas: why}
	}
	initial := samples[0].Ready
	var most, mostDesired int32
	out := Unknown("")
	for _, s := range samples {
		most = max(most, s.Ready)
		if !s.T.After(step) {
			initial = s.Ready
			continue
		}
		mostDesired = max(mostDesired, s.Desired)
		if !out.Known && s.Desired > initial && s.Ready >= s.Desired {
			out = Seconds(s.T.Sub(step))
		}
	}
	if !out.Known {
		out = Unknown("no scale-out after the load step: %d replicas Ready before it, at most %d desired and %d Ready after it",
			initial, mostDesired, most)
	}
	return Scaling{ScaleOut: out, Replicas: Count(most)}
}
