package apicheck

import (
	"go/types"
	"slices"
	"strings"
	"testing"

	"golang.org/x/tools/go/packages"
)

// isInternal reports whether path is an internal package, which only
// this module may import.
func isInternal(path string) bool {
	return slices.Contains(strings.Split(path, "/"), "internal")
}

// TestPublicAPINamesNoInternalType loads every public, non-main package
// of the module and reports each exported identifier whose type, or the
// type of an exported field or method, names a type of an internal
// package.
func TestPublicAPINamesNoInternalType(t *testing.T) {
	cfg := &packages.Config{Mode: packages.NeedName | packages.NeedTypes, Dir: "../../.."}
	pkgs, err := packages.Load(cfg, "./...")
	if err != nil {
		t.Fatalf("load the module's packages: %v", err)
	}
	checked := 0
	for _, pkg := range pkgs {
		if len(pkg.Errors) > 0 {
			t.Fatalf("load %s: %v", pkg.PkgPath, pkg.Errors)
		}
		if isInternal(pkg.PkgPath) || pkg.Name == "main" || pkg.Types == nil {
			continue
		}
		checked++
		scope := pkg.Types.Scope()
		for _, name := range scope.Names() {
			obj := scope.Lookup(name)
			if !obj.Exported() {
				continue
			}
			w := walker{seen: map[types.Type]bool{}, home: pkg.Types}
			w.object(obj)
			for _, found := range w.found {
				t.Errorf("%s.%s names %s, a type of an internal package", pkg.PkgPath, name, found)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no public package was checked")
	}
}

// walker collects the internal types an exported object's API names.
type walker struct {
	home  *types.Package
	seen  map[types.Type]bool
	found []string
}

func (w *walker) object(obj types.Object) {
	if tn, ok := obj.(*types.TypeName); ok {
		if named, ok := tn.Type().(*types.Named); ok && named.Obj().Pkg() == w.home {
			w.declared(named)
			return
		}
	}
	w.typ(obj.Type())
}

// declared walks the exported surface of a type declared in the checked
// package: its underlying type and its exported methods.
func (w *walker) declared(named *types.Named) {
	if w.seen[named] {
		return
	}
	w.seen[named] = true
	w.typ(named.Underlying())
	for m := range named.Methods() {
		if m.Exported() {
			w.typ(m.Type())
		}
	}
	if iface, ok := named.Underlying().(*types.Interface); ok {
		for m := range iface.Methods() {
			if m.Exported() {
				w.typ(m.Type())
			}
		}
	}
}

func (w *walker) typ(t types.Type) {
	if t == nil || w.seen[t] {
		return
	}
	switch t := t.(type) {
	case *types.Alias:
		w.seen[t] = true
		w.named(t.Obj())
		w.typ(types.Unalias(t))
	case *types.Named:
		w.named(t.Obj())
		if t.Obj().Pkg() == w.home {
			w.declared(t)
		}
		for a := range t.TypeArgs().Types() {
			w.typ(a)
		}
	case *types.Pointer:
		w.typ(t.Elem())
	case *types.Slice:
		w.typ(t.Elem())
	case *types.Array:
		w.typ(t.Elem())
	case *types.Map:
		w.typ(t.Key())
		w.typ(t.Elem())
	case *types.Chan:
		w.typ(t.Elem())
	case *types.Signature:
		w.seen[t] = true
		for v := range t.Params().Variables() {
			w.typ(v.Type())
		}
		for v := range t.Results().Variables() {
			w.typ(v.Type())
		}
	case *types.Struct:
		w.seen[t] = true
		for f := range t.Fields() {
			if f.Exported() || f.Embedded() {
				w.typ(f.Type())
			}
		}
	case *types.Interface:
		w.seen[t] = true
		for m := range t.Methods() {
			if m.Exported() {
				w.typ(m.Type())
			}
		}
		for e := range t.EmbeddedTypes() {
			w.typ(e)
		}
	}
}

func (w *walker) named(obj *types.TypeName) {
	if obj.Pkg() != nil && isInternal(obj.Pkg().Path()) {
		w.found = append(w.found, obj.Pkg().Path()+"."+obj.Name())
	}
}
