package scenarios

// MQTTProtocol is an MQTT protocol version.
type MQTTProtocol string

const (
	// MQTT311 is MQTT 3.1.1 (protocol level 4).
	MQTT311 MQTTProtocol = "3.1.1"
	// MQTT5 is MQTT 5.0.
	MQTT5 MQTTProtocol = "5"
)

// Level is the protocol level a CONNECT packet carries: 4 or 5.
func (p MQTTProtocol) Level() int {
	if p == MQTT5 {
		return 5
	}
	return 4
}

// MQTTClient says how a client of edgeproof (a simulated device, a probe)
// speaks to an MQTT endpoint of the user's application.
type MQTTClient struct {
	// Protocol is the MQTT version: "3.1.1" (the default) or "5".
	Protocol MQTTProtocol `json:"protocol,omitempty"`
	// CredentialsSecret names a Secret of the workload whose key password
	// (and optionally username) the client logs in with. Without a
	// username key, a device logs in with its own id and a probe with its
	// client id.
	CredentialsSecret string `json:"credentialsSecret,omitempty"`
	// TLS, when set, connects over TLS.
	TLS *MQTTTLS `json:"tls,omitempty"`
}

// MQTTTLS is the TLS side of an MQTT connection.
type MQTTTLS struct {
	// Secret names a Secret of the workload holding ca.crt, the CA that
	// signed the server's certificate, and optionally tls.crt and tls.key,
	// a client certificate (the layout cert-manager writes). A
	// cert-manager Certificate of the workload that writes this Secret
	// also counts.
	Secret string `json:"secret"`
	// ServerName is the name the server's certificate must carry; defaults
	// to <service>.<namespace>.svc.
	ServerName string `json:"serverName,omitempty"`
}

// Secret key names edgeproof reads from the Secrets an MQTTClient names.
const (
	// SecretUsername holds the MQTT username (optional).
	SecretUsername = "username"
	// SecretPassword holds the MQTT password.
	SecretPassword = "password"
	// SecretCA holds the PEM CA bundle that verifies the server.
	SecretCA = "ca.crt"
	// SecretCert holds the PEM client certificate (optional).
	SecretCert = "tls.crt"
	// SecretKey holds the PEM key of the client certificate.
	SecretKey = "tls.key"
)

// MQTTProbe publishes a message and waits for it to come back through
// the broker behind a Service of the workload: a fresh connection per
// attempt (CONNECT, SUBSCRIBE, PUBLISH, the message delivered back,
// DISCONNECT). It catches a broker that accepts connections but does not
// route messages, which a tcp probe passes.
type MQTTProbe struct {
	// Service is the name of a Service in the run namespace.
	Service string `json:"service"`
	// Port is the Service port to connect to.
	Port int32 `json:"port"`
	// Topic is the topic the probe subscribes and publishes to, without
	// wildcards; defaults to edgeproof/probe/<probe name>.
	Topic string `json:"topic,omitempty"`
	// QoS is the quality of service of both the subscription and the
	// publish, 0 or 1; defaults to 1.
	QoS *int32 `json:"qos,omitempty"`
	MQTTClient
}

// ObserveSpec is where the user's pipeline delivers the devices' data: a
// topic filter on an MQTT broker of the workload. The sink fixture
// subscribes there instead of to the reference broker, and the delivery
// objectives (lost, duplicates, reorders, latency, catch-up) judge the
// user's pipeline end to end, from the devices' acknowledgements to what
// arrives here.
type ObserveSpec struct {
	// Service is the name of a Service in the run namespace.
	Service string `json:"service"`
	// Port is the Service port of the broker.
	Port int32 `json:"port"`
	// Topic is the topic filter the data lands on; + and # allowed.
	Topic string `json:"topic"`
	// Shared subscribes through $share/edgeproof-sink/<topic>, so that
	// several sink replicas split the stream; the broker must support
	// shared subscriptions. Without it the sink runs one replica.
	Shared bool `json:"shared,omitempty"`
	// JSON names the fields that hold the device id, boot, sequence and
	// timestamp, as dotted paths into nested objects (data.device.id);
	// defaults to spec.devices.json's names. Without json here or there,
	// messages are read in edgeproof's binary form.
	JSON *JSONFields `json:"json,omitempty"`
	MQTTClient
}
