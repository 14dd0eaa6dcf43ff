package scenarios

import (
	"embed"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
)

// typeSources are this package's type declarations; GenerateSchema reads
// their doc comments so that the schema's descriptions are the Go docs and
// cannot drift from them.
//
//go:embed *_types.go
var typeSources embed.FS

// docIndex holds doc comments by "Type", "Type.Field" and "Type=value".
type docIndex map[string]string

func loadDocs() (docIndex, error) {
	docs := docIndex{}
	entries, err := typeSources.ReadDir(".")
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		src, err := typeSources.ReadFile(e.Name())
		if err != nil {
			return nil, err
		}
		f, err := parser.ParseFile(fset, e.Name(), src, parser.ParseComments)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", e.Name(), err)
		}
		for _, decl := range f.Decls {
			if gd, ok := decl.(*ast.GenDecl); ok {
				docs.addDecl(gd)
			}
		}
	}
	for k, v := range externalDocs {
		docs[k] = v
	}
	return docs, nil
}

func (d docIndex) addDecl(gd *ast.GenDecl) {
	for _, spec := range gd.Specs {
		switch s := spec.(type) {
		case *ast.TypeSpec:
			doc := s.Doc
			if doc == nil && len(gd.Specs) == 1 {
				doc = gd.Doc
			}
			d[s.Name.Name] = cleanDoc(doc)
			st, ok := s.Type.(*ast.StructType)
			if !ok {
				continue
			}
			for _, fld := range st.Fields.List {
				for _, n := range fld.Names {
					d[s.Name.Name+"."+n.Name] = cleanDoc(fld.Doc)
				}
			}
		case *ast.ValueSpec:
			typ, ok := s.Type.(*ast.Ident)
			if !ok || len(s.Values) != 1 {
				continue
			}
			lit, ok := s.Values[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				continue
			}
			if v, err := strconv.Unquote(lit.Value); err == nil {
				d[typ.Name+"="+v] = cleanDoc(s.Doc)
			}
		}
	}
}

// cleanDoc joins a comment's lines into paragraphs separated by blank lines.
func cleanDoc(cg *ast.CommentGroup) string {
	if cg == nil {
		return ""
	}
	var paras []string
	for _, p := range strings.Split(strings.TrimSpace(cg.Text()), "\n\n") {
		paras = append(paras, strings.Join(strings.Fields(p), " "))
	}
	return strings.Join(paras, "\n\n")
}

// externalDocs describe the Chaos Mesh and Kubernetes types the format
// reuses, whose sources are not embedded.
var externalDocs = map[string]string{
	"ContainerSelector":                       "Selects pods, and containers in them, with Chaos Mesh's ContainerSelector.",
	"ContainerSelector.ContainerNames":        "Names of the containers to hit; empty means the pod's first container.",
	"PodSelector.Selector":                    "Which pods qualify.",
	"PodSelector.Mode":                        "How many of the qualifying pods to hit.",
	"PodSelector.Value":                       "The count (fixed) or percentage (fixed-percent, random-max-percent) for mode.",
	"PodSelectorSpec":                         "Chaos Mesh's pod selector; the criteria are ANDed.",
	"GenericSelectorSpec.Namespaces":          "Namespaces the pods live in; empty means the fixtures' namespace.",
	"GenericSelectorSpec.FieldSelectors":      "Field selectors the pods must match, e.g. metadata.name.",
	"GenericSelectorSpec.LabelSelectors":      "Labels the pods must carry, e.g. app.kubernetes.io/name: sink.",
	"GenericSelectorSpec.ExpressionSelectors": "Set-based label requirements (In, NotIn, Exists, DoesNotExist).",
	"GenericSelectorSpec.AnnotationSelectors": "Annotations the pods must carry.",
	"PodSelectorSpec.Nodes":                   "Only pods on these nodes.",
	"PodSelectorSpec.Pods":                    "Pods by name, keyed by namespace.",
	"PodSelectorSpec.NodeSelectors":           "Only pods on nodes with these labels.",
	"PodSelectorSpec.PodPhaseSelectors":       "Only pods in these phases.",
	"LabelSelectorRequirement":                "A set-based label requirement.",
	"LabelSelectorRequirement.Key":            "The label key.",
	"LabelSelectorRequirement.Operator":       "How the key relates to values.",
	"LabelSelectorRequirement.Values":         "Values for In and NotIn; empty for Exists and DoesNotExist.",
	"SelectorMode":                            "How many of the matching targets to hit (Chaos Mesh selector mode).",
	"SelectorMode=one":                        "One target, chosen at random.",
	"SelectorMode=all":                        "Every matching target.",
	"SelectorMode=fixed":                      "A fixed number of targets, given in value.",
	"SelectorMode=fixed-percent":              "A fixed percentage of targets, given in value.",
	"SelectorMode=random-max-percent":         "A random percentage of targets, at most value.",
	"LabelSelectorOperator":                   "A label selector operator.",
	"LabelSelectorOperator=In":                "The label's value is one of values.",
	"LabelSelectorOperator=NotIn":             "The label's value is none of values.",
	"LabelSelectorOperator=Exists":            "The label is present.",
	"LabelSelectorOperator=DoesNotExist":      "The label is absent.",
}
