package nodeimage

import "encoding/json"

// jsonField reads one string field of a JSON object, "" when absent.
func jsonField(raw []byte, field string) string {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return ""
	}
	s, _ := m[field].(string)
	return s
}
