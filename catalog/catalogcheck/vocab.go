package catalogcheck

import (
	"go/ast"
	"go/constant"
	"go/types"
	"slices"
	"sort"
	"strings"
	"sync"

	"golang.org/x/tools/go/analysis"

	"github.com/elmohq/telemetry/catalog"
)

// entry is one event the analyzer knows: from the catalog, or declared
// in the analyzed package as a catalog.Event composite literal.
type entry struct {
	name   string
	kind   catalog.Kind
	prefix bool
	// local is true for an entry declared in the analyzed package.
	local bool
	// open is true when the properties of a local entry could not be read
	// (not a literal, or a key that is not constant): every key is then
	// taken as allowed, since the analyzer does not guess.
	open  bool
	props map[string]prop
}

// prop is what the analyzer knows of one property of an entry.
type prop struct {
	typ catalog.ValueType // 0 when unknown
	// values are the enumerated values; valuesKnown is false when a local
	// entry lists them with something other than constants.
	values      []string
	valuesKnown bool
	other       string
	rule        catalog.Rule
}

// display returns the name documentation shows for e, such as
// "cli_<command>".
func (e *entry) display() string {
	if e.prefix {
		return e.name + "<command>"
	}
	return e.name
}

// where says where the entry is declared, for messages.
func (e *entry) where() string {
	if e.local {
		return "its catalog.Event literal in this package"
	}
	return "catalog/events.go"
}

// keys returns the keys e allows, sorted, joined for a message.
func (e *entry) keys() string {
	if len(e.props) == 0 {
		return "no attributes"
	}
	ks := make([]string, 0, len(e.props))
	for k := range e.props {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

// vocab is the set of entries the analyzer checks against.
type vocab struct {
	entries []*entry
}

// catalogVocab is the vocabulary of the Elmo catalog, built once.
var catalogVocab = sync.OnceValue(func() *vocab {
	v := &vocab{}
	for _, e := range catalog.Events() {
		v.entries = append(v.entries, fromCatalog(e))
	}
	return v
})

func fromCatalog(e catalog.Event) *entry {
	out := &entry{name: e.Name, kind: e.Kind, prefix: e.Prefix, props: make(map[string]prop)}
	for _, p := range e.Properties {
		out.props[string(p.Key)] = prop{
			typ: p.Type, values: p.Values, valuesKnown: true, other: p.Other, rule: p.Rule,
		}
	}
	return out
}

// with returns a copy of v with the entries of local added; a local entry
// takes the place of a catalog entry of the same name.
func (v *vocab) with(local []*entry) *vocab {
	if len(local) == 0 {
		return v
	}
	out := &vocab{}
	for _, e := range v.entries {
		if !slices.ContainsFunc(local, func(l *entry) bool { return l.name == e.name }) {
			out.entries = append(out.entries, e)
		}
	}
	out.entries = append(out.entries, local...)
	return out
}

// lookup returns the entry the event name falls under, as catalog.Lookup
// does: the exact entry, else the prefix entry of the span's family.
func (v *vocab) lookup(name string) *entry {
	for _, e := range v.entries {
		if !e.prefix && e.name == name {
			return e
		}
	}
	for _, e := range v.entries {
		if e.prefix && len(name) > len(e.name) && strings.HasPrefix(name, e.name) && nameChars(name[len(e.name):]) {
			return e
		}
	}
	return nil
}

// ofKinds returns the entries of the given kinds.
func (v *vocab) ofKinds(kinds ...catalog.Kind) []*entry {
	var out []*entry
	for _, e := range v.entries {
		if slices.Contains(kinds, e.kind) {
			out = append(out, e)
		}
	}
	return out
}

// commandEntries returns the span entries that the span of a command
// named leaf can fall under: the exact entries cli_<leaf> and
// cli_..._<leaf>, and the cli_ prefix entry.
func (v *vocab) commandEntries(leaf string) []*entry {
	var out []*entry
	for _, e := range v.entries {
		switch {
		case e.kind != catalog.KindSpan:
		case e.prefix && e.name == catalog.EventCLIPrefix:
			out = append(out, e)
		case !e.prefix && (e.name == catalog.EventCLIPrefix+leaf ||
			strings.HasPrefix(e.name, catalog.EventCLIPrefix) && strings.HasSuffix(e.name, "_"+leaf)):
			out = append(out, e)
		}
	}
	return out
}

// nameChars reports whether s is not empty and holds only a-z, 0-9 and _.
func nameChars(s string) bool { return s != "" && catalog.NameChars(s) }

// localEntries returns the catalog.Event composite literals of the
// package whose name is a constant.
func localEntries(pass *analysis.Pass) []*entry {
	var out []*entry
	for _, f := range pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok || !isCatalogType(pass.TypesInfo.TypeOf(lit), "Event") {
				return true
			}
			if e := readEntry(pass, lit); e != nil {
				out = append(out, e)
			}
			return true
		})
	}
	return out
}

func readEntry(pass *analysis.Pass, lit *ast.CompositeLit) *entry {
	e := &entry{local: true, props: make(map[string]prop)}
	named := false
	for _, elt := range lit.Elts {
		kv, ok := elt.(*ast.KeyValueExpr)
		if !ok {
			return nil // a positional literal: not read
		}
		field, _ := kv.Key.(*ast.Ident)
		if field == nil {
			continue
		}
		switch field.Name {
		case "Name":
			if s, ok := constString(pass, kv.Value); ok {
				e.name, named = s, true
			}
		case "Kind":
			if n, ok := constInt(pass, kv.Value); ok {
				e.kind = catalog.Kind(n)
			}
		case "Prefix":
			if tv, ok := pass.TypesInfo.Types[kv.Value]; ok && tv.Value != nil && tv.Value.Kind() == constant.Bool {
				e.prefix = constant.BoolVal(tv.Value)
			}
		case "Properties":
			if !readProperties(pass, kv.Value, e) {
				e.open = true
			}
		}
	}
	if !named {
		return nil
	}
	return e
}

// readProperties reads a []catalog.Property literal into e, reporting
// false when part of it could not be read.
func readProperties(pass *analysis.Pass, x ast.Expr, e *entry) bool {
	lit, ok := ast.Unparen(x).(*ast.CompositeLit)
	if !ok {
		return false
	}
	complete := true
	for _, elt := range lit.Elts {
		pl, ok := elt.(*ast.CompositeLit)
		if !ok {
			complete = false
			continue
		}
		var key string
		var p prop
		haveKey := false
		p.valuesKnown = true
		for _, pe := range pl.Elts {
			kv, ok := pe.(*ast.KeyValueExpr)
			if !ok {
				return false
			}
			field, _ := kv.Key.(*ast.Ident)
			if field == nil {
				continue
			}
			switch field.Name {
			case "Key":
				key, haveKey = constString(pass, kv.Value)
			case "Type":
				if n, ok := constInt(pass, kv.Value); ok {
					p.typ = catalog.ValueType(n)
				}
			case "Values":
				vals, ok := constStrings(pass, kv.Value)
				p.values, p.valuesKnown = vals, ok
			case "Other":
				p.other, _ = constString(pass, kv.Value)
			case "Rule":
				if n, ok := constInt(pass, kv.Value); ok {
					p.rule = catalog.Rule(n)
				}
			}
		}
		if !haveKey {
			complete = false
			continue
		}
		e.props[key] = p
	}
	return complete
}

// isCatalogType reports whether t is the named type of the catalog
// package called name.
func isCatalogType(t types.Type, name string) bool {
	n, ok := types.Unalias(t).(*types.Named)
	if !ok {
		return false
	}
	obj := n.Obj()
	return obj.Pkg() != nil && obj.Pkg().Path() == catalogPath && obj.Name() == name
}

// constString returns the value of a constant string expression.
func constString(pass *analysis.Pass, x ast.Expr) (string, bool) {
	tv, ok := pass.TypesInfo.Types[x]
	if !ok || tv.Value == nil || tv.Value.Kind() != constant.String {
		return "", false
	}
	return constant.StringVal(tv.Value), true
}

// constInt returns the value of a constant integer expression.
func constInt(pass *analysis.Pass, x ast.Expr) (int64, bool) {
	tv, ok := pass.TypesInfo.Types[x]
	if !ok || tv.Value == nil || tv.Value.Kind() != constant.Int {
		return 0, false
	}
	return constant.Int64Val(tv.Value)
}

// constStrings returns the values of a slice literal of constant strings.
func constStrings(pass *analysis.Pass, x ast.Expr) ([]string, bool) {
	lit, ok := ast.Unparen(x).(*ast.CompositeLit)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(lit.Elts))
	for _, elt := range lit.Elts {
		s, ok := constString(pass, elt)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}
