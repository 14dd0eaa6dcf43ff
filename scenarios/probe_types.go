package scenarios

// Probe checks one Service of the workload from a pod in the cloud tier,
// at an interval, from steady state to the end of the run. It yields the
// availability metrics successRatio (the share of attempts that
// succeeded) and longestOutage (from the start of the first failed attempt
// to the end of the next successful one) for objectives that name it.
// Set exactly one of http, tcp and mqtt.
type Probe struct {
	// Name identifies the probe; objectives refer to it. A DNS-1123 label,
	// unique within the scenario.
	Name string `json:"name"`
	// HTTP probes with a GET request.
	HTTP *HTTPProbe `json:"http,omitempty"`
	// TCP probes by opening a connection.
	TCP *TCPProbe `json:"tcp,omitempty"`
	// MQTT probes with a message that makes a round trip through a broker.
	MQTT *MQTTProbe `json:"mqtt,omitempty"`
	// Interval is the time between the starts of two attempts; defaults to
	// 1s.
	Interval Duration `json:"interval,omitempty"`
	// Timeout bounds one attempt; defaults to the interval, and must not
	// exceed it.
	Timeout Duration `json:"timeout,omitempty"`
}

// HTTPProbe is a GET request to a Service of the workload.
type HTTPProbe struct {
	// Service is the name of a Service in the run namespace.
	Service string `json:"service"`
	// Port is the Service port to connect to.
	Port int32 `json:"port"`
	// Path is the request path; defaults to /.
	Path string `json:"path,omitempty"`
	// ExpectStatus is the status code that counts as success; 0 (the
	// default) accepts any 2xx.
	ExpectStatus int32 `json:"expectStatus,omitempty"`
}

// TCPProbe opens a TCP connection to a Service of the workload.
type TCPProbe struct {
	// Service is the name of a Service in the run namespace.
	Service string `json:"service"`
	// Port is the Service port to connect to.
	Port int32 `json:"port"`
}

// Service returns the Service and port the probe checks.
func (p Probe) Service() (string, int32) {
	switch {
	case p.HTTP != nil:
		return p.HTTP.Service, p.HTTP.Port
	case p.TCP != nil:
		return p.TCP.Service, p.TCP.Port
	case p.MQTT != nil:
		return p.MQTT.Service, p.MQTT.Port
	}
	return "", 0
}
