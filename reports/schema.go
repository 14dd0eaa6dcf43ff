package reports

import (
	"bytes"
	_ "embed"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// SchemaJSON is report.schema.json, the JSON Schema (2020-12) of report.json.
//
//go:embed report.schema.json
var SchemaJSON []byte

// SchemaID is the $id of SchemaJSON.
const SchemaID = "urn:edgeproof:report:1.3.0"

var compiled = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(SchemaJSON))
	if err != nil {
		return nil, fmt.Errorf("parse embedded report schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat() // date-time strings are part of the contract
	if err := c.AddResource(SchemaID, doc); err != nil {
		return nil, fmt.Errorf("load embedded report schema: %w", err)
	}
	s, err := c.Compile(SchemaID)
	if err != nil {
		return nil, fmt.Errorf("compile embedded report schema: %w", err)
	}
	return s, nil
})

// ValidateJSON checks a report.json document against SchemaJSON.
func ValidateJSON(data []byte) error {
	s, err := compiled()
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("report.json is not JSON: %w", err)
	}
	if err := s.Validate(inst); err != nil {
		return fmt.Errorf("report.json does not match schema %s: %w", SchemaVersion, err)
	}
	return nil
}
