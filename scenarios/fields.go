package scenarios

import (
	"reflect"
	"strings"
	"sync"
)

// fieldInfo is one JSON-visible struct field, with embedded (inline) structs
// flattened as encoding/json does.
type fieldInfo struct {
	name      string       // JSON key
	index     []int        // reflect index path from the outer struct
	owner     reflect.Type // struct that declares the field, for docs
	goName    string       // Go field name, for docs
	omitEmpty bool         // optional in the schema
}

var fieldCache sync.Map // reflect.Type -> []fieldInfo

// structFields lists the JSON fields of struct type t in declaration order.
func structFields(t reflect.Type) []fieldInfo {
	if v, ok := fieldCache.Load(t); ok {
		return v.([]fieldInfo)
	}
	var out []fieldInfo
	collectFields(t, nil, &out)
	fieldCache.Store(t, out)
	return out
}

func collectFields(t reflect.Type, prefix []int, out *[]fieldInfo) {
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		index := append(append([]int(nil), prefix...), i)
		if sf.Anonymous && name == "" && sf.Type.Kind() == reflect.Struct {
			collectFields(sf.Type, index, out)
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		*out = append(*out, fieldInfo{
			name:      name,
			index:     index,
			owner:     t,
			goName:    sf.Name,
			omitEmpty: strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero"),
		})
	}
}
