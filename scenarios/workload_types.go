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

// WorkloadSpec is what a scenario deploys into its run namespace: any mix
// of the reference pipeline's fixtures (broker, gateway, devicesim, sink)
// and the user's own application (manifests, kustomize, helm, with the
// images it needs). A fixture left out is not deployed. When the workload
// names neither a fixture nor an application source, every fixture is
// deployed; when it names only application sources, no fixture is.
type WorkloadSpec struct {
	// Broker deploys the MQTT broker.
	Broker *FixtureSpec `json:"broker,omitempty"`
	// Gateway deploys the edge gateway on every edge node.
	Gateway *FixtureSpec `json:"gateway,omitempty"`
	// DeviceSim deploys the device simulator.
	DeviceSim *FixtureSpec `json:"devicesim,omitempty"`
	// Sink deploys the cloud sink, optionally autoscaled.
	Sink *SinkSpec `json:"sink,omitempty"`
	// Manifests are the user's Kubernetes manifests: YAML or JSON files
	// (several documents each), or folders whose *.yaml, *.yml and *.json
	// files are read (not their subfolders). Paths are relative to the
	// scenario file. Namespaced objects go into the run namespace and must
	// not name another one.
	Manifests []string `json:"manifests,omitempty"`
	// Kustomize lists folders holding a kustomization.yaml, relative to the
	// scenario file, each built with kustomize as `kubectl kustomize` would.
	Kustomize []string `json:"kustomize,omitempty"`
	// Helm lists Helm charts rendered with the Helm SDK (no helm binary) and
	// created in the run namespace. Chart hooks and tests are not run.
	Helm []ChartSpec `json:"helm,omitempty"`
	// Images are the container images the user's objects need that the
	// nodes cannot pull: each is loaded onto every node before anything is
	// deployed, and must hold every architecture among the nodes.
	Images []ImageSpec `json:"images,omitempty"`
}

// ChartSpec is one Helm chart of the user's application.
type ChartSpec struct {
	// Chart is a chart folder or a packaged chart (.tgz), relative to the
	// scenario file.
	Chart string `json:"chart"`
	// Release is the Helm release name; defaults to the chart's name.
	Release string `json:"release,omitempty"`
	// Values are values files, relative to the scenario file, merged in
	// order over the chart's own values.
	Values []string `json:"values,omitempty"`
	// Set are overrides in Helm's --set syntax (key.path=value), applied
	// after the values files, e.g. replicaCount=2.
	Set []string `json:"set,omitempty"`
}

// ImageSpec is one container image of the user's application.
type ImageSpec struct {
	// Name is the image reference the user's objects use, e.g.
	// registry.example.com/team/app:1.4.2.
	Name string `json:"name"`
	// Archive is a tar archive holding the image, as written by `docker
	// save` or an OCI image layout, relative to the scenario file. Without
	// it (or archives) the image is taken from the local Docker engine.
	Archive string `json:"archive,omitempty"`
	// Archives are one archive per architecture (amd64, arm64), for a
	// cluster with nodes of several: each node gets the one built for it.
	// Give archive or archives, not both.
	Archives map[Arch]string `json:"archives,omitempty"`
}

// HasApplication reports whether the workload names any source of the
// user's own application.
func (w *WorkloadSpec) HasApplication() bool {
	return len(w.Manifests) > 0 || len(w.Kustomize) > 0 || len(w.Helm) > 0
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
