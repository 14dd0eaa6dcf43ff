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
}
