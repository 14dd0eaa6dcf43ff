package scenarios

// Fixture is one of the IoT workload components edgeproof deploys.
type Fixture string

const (
	// FixtureBroker is the MQTT broker in the cloud zone.
	FixtureBroker Fixture = "broker"
	// FixtureGateway is the edge gateway, one per edge node: devices publish
	// to it and it forwards over its uplink to the cloud.
	FixtureGateway Fixture = "gateway"
	// FixtureDeviceSim is the device simulator that plays the device fleet.
	FixtureDeviceSim Fixture = "devicesim"
	// FixtureSink is the cloud sink that receives and accounts messages.
	FixtureSink Fixture = "sink"
)

// FixtureLabel is the pod label key fixtures carry with their Fixture name as
// value (app.kubernetes.io/name: sink); pod targets select fixtures by it.
const FixtureLabel = "app.kubernetes.io/name"

// WorkloadSpec lists the fixtures to deploy; a fixture left out is not
// deployed. When the workload is omitted or empty every fixture is deployed.
type WorkloadSpec struct {
	// Broker deploys the MQTT broker.
	Broker *FixtureSpec `json:"broker,omitempty"`
	// Gateway deploys the edge gateway on every edge node.
	Gateway *FixtureSpec `json:"gateway,omitempty"`
	// DeviceSim deploys the device simulator.
	DeviceSim *FixtureSpec `json:"devicesim,omitempty"`
	// Sink deploys the cloud sink, optionally autoscaled.
	Sink *SinkSpec `json:"sink,omitempty"`
}

// FixtureSpec configures one deployed fixture.
type FixtureSpec struct {
	// Replicas is the number of pods; for the gateway it is the number per
	// edge node. Defaults to 1.
	Replicas *int32 `json:"replicas,omitempty"`
}

// SinkSpec configures the cloud sink.
type SinkSpec struct {
	// Replicas is the number of sink pods; with an HPA it is the starting
	// count and defaults to hpa.minReplicas, otherwise to 2.
	Replicas *int32 `json:"replicas,omitempty"`
	// HPA, when set, autoscales the sink on CPU.
	HPA *HPASpec `json:"hpa,omitempty"`
	// WorkPerMessage is CPU time each sink pod spends per message, standing
	// in for real processing so that CPU use follows the message rate; an
	// HPA scenario sets it so the base load sits at a known share of the
	// pods' CPU request. Defaults to none.
	WorkPerMessage Duration `json:"workPerMessage,omitempty"`
	// CPURequest is each sink pod's CPU request, a Kubernetes quantity such
	// as "100m" (the default); an HPA's utilization is relative to it.
	CPURequest string `json:"cpuRequest,omitempty"`
}

// HPASpec is a CPU-based HorizontalPodAutoscaler, named as in
// autoscaling/v1.
type HPASpec struct {
	// MinReplicas is the lower bound; defaults to 1.
	MinReplicas int32 `json:"minReplicas,omitempty"`
	// MaxReplicas is the upper bound; at least minReplicas.
	MaxReplicas int32 `json:"maxReplicas"`
	// TargetCPUUtilizationPercentage is the average CPU use, in percent of
	// the pods' request, the HPA aims for (1-100).
	TargetCPUUtilizationPercentage int32 `json:"targetCPUUtilizationPercentage"`
}
