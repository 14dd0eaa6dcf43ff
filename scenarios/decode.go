package scenarios

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// maxNodes bounds the work of decoding one document, so that alias bombs
// ("billion laughs") fail fast instead of exhausting memory.
const maxNodes = 100_000

// scalarDecoder is implemented by value types that read a YAML scalar
// themselves (Duration, Percent, Budget); tag is the resolved YAML tag.
type scalarDecoder interface {
	decodeScalar(tag, value string) error
}

var (
	scalarDecoderType   = reflect.TypeFor[scalarDecoder]()
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

// decoder decodes a yaml.v3 node tree into Go values by their json tags,
// strictly: unknown and duplicate keys and wrong types are errors. Unlike
// converting to JSON first, it keeps the position of every value and goes on
// after an error, so one pass reports every problem.
type decoder struct {
	errs      ErrorList
	positions map[string]Position // value position of every decoded path
	keys      map[string]Position // key position of every map entry's path
	failed    []fieldPath         // paths that did not decode
	budget    int
}

func newDecoder() *decoder {
	return &decoder{positions: map[string]Position{}, keys: map[string]Position{}, budget: maxNodes}
}

func nodePos(n *yaml.Node) Position { return Position{Line: n.Line, Column: n.Column} }

func (d *decoder) fail(n *yaml.Node, p fieldPath, kind error, format string, args ...any) {
	d.errs = append(d.errs, &FieldError{Pos: nodePos(n), Path: string(p), Kind: kind, Detail: fmt.Sprintf(format, args...)})
	d.failed = append(d.failed, p)
}

// decode stores node n into v, which must be settable.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, p fieldPath) {
	d.budget--
	if d.budget < 0 {
		if d.budget == -1 {
			d.fail(n, p, ErrInvalid, "document too large: more than %d values after expanding aliases", maxNodes)
		}
		return
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		d.positions[string(p)] = nodePos(n)
		n = n.Alias
	} else {
		d.positions[string(p)] = nodePos(n)
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // like JSON null: leave the zero value
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		v = v.Elem()
	}
	if v.CanAddr() {
		if sd, ok := v.Addr().Interface().(scalarDecoder); ok {
			d.decodeCustom(n, p, sd)
			return
		}
		if v.Addr().Type().Implements(jsonUnmarshalerType) {
			d.decodeJSON(n, v, p)
			return
		}
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(n, v, p)
	case reflect.Map:
		d.decodeMap(n, v, p)
	case reflect.Slice:
		d.decodeSlice(n, v, p)
	default:
		d.decodeScalar(n, v, p)
	}
}

func (d *decoder) decodeCustom(n *yaml.Node, p fieldPath, sd scalarDecoder) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, p, ErrType, "must be a scalar value, not %s", describeNode(n))
		return
	}
	if err := sd.decodeScalar(n.ShortTag(), n.Value); err != nil {
		kind := error(ErrInvalid)
		if ve, ok := errors.AsType[*valueError](err); ok {
			kind = ve.kind
		}
		d.fail(n, p, kind, "%s", err.Error())
	}
}

// decodeJSON handles types that only know JSON (none in the format today,
// but Chaos Mesh or Kubernetes types may bring them).
func (d *decoder) decodeJSON(n *yaml.Node, v reflect.Value, p fieldPath) {
	var raw any
	if err := n.Decode(&raw); err != nil {
		d.fail(n, p, ErrType, "%v", err)
		return
	}
	b, err := json.Marshal(raw)
	if err == nil {
		err = v.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(b)
	}
	if err != nil {
		d.fail(n, p, ErrInvalid, "%v", err)
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, p fieldPath) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, p, ErrType, "must be a mapping, not %s", describeNode(n))
		return
	}
	fields := structFields(v.Type())
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		name, ok := d.key(k, p)
		if !ok {
			continue
		}
		cp := p.child(name)
		if seen[name] {
			d.fail(k, cp, ErrDuplicate, "duplicate field %q", name)
			continue
		}
		seen[name] = true
		f, found := findField(fields, name)
		if !found {
			d.fail(k, cp, ErrUnknownField, "unknown field %q%s", name, didYouMean(name, fields))
			continue
		}
		d.decode(val, fieldByIndex(v, f.index), cp)
	}
}

func findField(fields []fieldInfo, name string) (fieldInfo, bool) {
	for _, f := range fields {
		if f.name == name {
			return f, true
		}
	}
	return fieldInfo{}, false
}

func didYouMean(name string, fields []fieldInfo) string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
	}
	if s := suggest(name, names); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

// fieldByIndex is v.FieldByIndex that allocates nil embedded pointers.
func fieldByIndex(v reflect.Value, index []int) reflect.Value {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v
}

// key returns a mapping key as a string; keys must be plain scalars.
func (d *decoder) key(k *yaml.Node, p fieldPath) (string, bool) {
	if k.Kind == yaml.AliasNode && k.Alias != nil {
		k = k.Alias
	}
	if k.Kind != yaml.ScalarNode {
		d.fail(k, p, ErrType, "mapping keys must be strings, not %s", describeNode(k))
		return "", false
	}
	if k.ShortTag() == "!!merge" {
		d.fail(k, p, ErrInvalid, "YAML merge keys (<<) are not supported; write the fields out")
		return "", false
	}
	return k.Value, true
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, p fieldPath) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, p, ErrType, "must be a mapping, not %s", describeNode(n))
		return
	}
	t := v.Type()
	if t.Key().Kind() != reflect.String {
		d.fail(n, p, ErrType, "unsupported map key type %s", t.Key())
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMapWithSize(t, len(n.Content)/2))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		name, ok := d.key(k, p)
		if !ok {
			continue
		}
		cp := p.key(name)
		d.keys[string(cp)] = nodePos(k)
		kv := reflect.ValueOf(name).Convert(t.Key())
		if v.MapIndex(kv).IsValid() {
			d.fail(k, cp, ErrDuplicate, "duplicate key %q", name)
			continue
		}
		ev := reflect.New(t.Elem()).Elem()
		d.decode(val, ev, cp)
		v.SetMapIndex(kv, ev)
	}
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, p fieldPath) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, p, ErrType, "must be a list, not %s", describeNode(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.decode(item, s.Index(i), p.index(i))
	}
	v.Set(s)
}

func (d *decoder) decodeScalar(n *yaml.Node, v reflect.Value, p fieldPath) {
	want := kindName(v.Kind())
	if n.Kind != yaml.ScalarNode {
		d.fail(n, p, ErrType, "must be %s, not %s", want, describeNode(n))
		return
	}
	tag := n.ShortTag()
	wrongType := func() {
		hint := ""
		if v.Kind() == reflect.String && (tag == "!!int" || tag == "!!float" || tag == "!!bool") {
			hint = fmt.Sprintf("; quote it: %q", n.Value)
		}
		d.fail(n, p, ErrType, "must be %s, not %s%s", want, describeTag(tag), hint)
	}
	switch v.Kind() {
	case reflect.String:
		if tag != "!!str" {
			wrongType()
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		b, err := strconv.ParseBool(n.Value)
		if tag != "!!bool" || err != nil {
			wrongType()
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if tag != "!!int" {
			wrongType()
			return
		}
		i, err := strconv.ParseInt(n.Value, 0, v.Type().Bits())
		if err != nil {
			d.fail(n, p, ErrInvalid, "%s is out of range for a %d-bit integer", n.Value, v.Type().Bits())
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if tag != "!!int" {
			wrongType()
			return
		}
		u, err := strconv.ParseUint(n.Value, 0, v.Type().Bits())
		if err != nil {
			d.fail(n, p, ErrInvalid, "%s is out of range for an unsigned %d-bit integer", n.Value, v.Type().Bits())
			return
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		if tag != "!!int" && tag != "!!float" {
			wrongType()
			return
		}
		f, err := parseYAMLFloat(n.Value)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			d.fail(n, p, ErrInvalid, "must be a finite number, got %s", n.Value)
			return
		}
		v.SetFloat(f)
	default:
		d.fail(n, p, ErrType, "unsupported field type %s", v.Type())
	}
}

// parseYAMLFloat parses a YAML 1.2 number, including integers written in
// hex or octal, which strconv.ParseFloat does not accept.
func parseYAMLFloat(s string) (float64, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f, nil
	}
	i, err := strconv.ParseInt(s, 0, 64)
	return float64(i), err
}

func kindName(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Struct, reflect.Map:
		return "a mapping"
	case reflect.Slice:
		return "a list"
	}
	return "an integer"
}

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	return describeTag(n.ShortTag())
}
