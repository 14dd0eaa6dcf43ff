package scenarios

// TrafficPattern is the traffic pattern of the simulated devices.
type TrafficPattern string

const (
	// DeviceSteady publishes at a constant rate.
	DeviceSteady TrafficPattern = "steady"
	// DeviceBurst publishes the same average rate in bursts, as battery
	// devices that wake, send their buffer and sleep.
	DeviceBurst TrafficPattern = "burst"
	// DeviceReconnectStorm publishes steadily but drops and re-opens its
	// connection often, staggered, as devices on a poor radio link.
	DeviceReconnectStorm TrafficPattern = "reconnect-storm"
)

// DeviceSpec is the simulated device fleet.
type DeviceSpec struct {
	// Count is the number of simulated devices; must be > 0.
	Count int32 `json:"count"`
	// Rate is the messages per second each device publishes; must be > 0
	// (0.1 is one message every 10 s).
	Rate float64 `json:"rate"`
	// Pattern is the traffic pattern, under the key "profile"; defaults to
	// steady.
	Pattern TrafficPattern `json:"profile,omitempty"`
	// PayloadBytes is the size of each message payload; defaults to 256.
	PayloadBytes int32 `json:"payloadBytes,omitempty"`
	// QoS is the MQTT quality of service the devices publish with (0, 1 or
	// 2); defaults to 1, at-least-once, which zero-loss budgets rely on.
	QoS *int32 `json:"qos,omitempty"`
	// Endpoint is an MQTT endpoint of the user's application the devices
	// publish to, instead of the reference pipeline's gateway of their
	// zone.
	Endpoint *EndpointSpec `json:"endpoint,omitempty"`
	// Topic is the topic each device publishes to, {device} standing for
	// its id, e.g. site/{device}/telemetry; defaults to telemetry/{device}.
	Topic string `json:"topic,omitempty"`
	// JSON, when set, makes each message a JSON object with these field
	// names, instead of edgeproof's binary form (payloadBytes then does not
	// apply). The boot id is a string of 16 hex digits, the sequence and
	// the timestamp (Unix nanoseconds) are numbers.
	JSON *JSONFields `json:"json,omitempty"`
}

// EndpointSpec is a Service port of the workload.
type EndpointSpec struct {
	// Service is the name of a Service in the run namespace.
	Service string `json:"service"`
	// Port is the Service port.
	Port int32 `json:"port"`
	MQTTClient
}

// JSONFields names the fields of a JSON device message.
type JSONFields struct {
	// Device holds the device id; defaults to "device".
	Device string `json:"device,omitempty"`
	// Boot holds the id of the device's boot; defaults to "boot".
	Boot string `json:"boot,omitempty"`
	// Sequence holds the message's number within the boot; defaults to
	// "seq".
	Sequence string `json:"sequence,omitempty"`
	// Timestamp holds when it was sent, in Unix nanoseconds; defaults to
	// "ts".
	Timestamp string `json:"timestamp,omitempty"`
}
