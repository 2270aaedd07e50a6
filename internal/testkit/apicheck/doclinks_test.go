package apicheck

import (
	"go/ast"
	"go/doc"
	"go/doc/comment"
	"go/types"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/tools/go/packages"
)

// repoBlob is where the repository's files are published; a doc comment
// links a page of docs/ under it.
const repoBlob = "https://github.com/elmohq/telemetry/blob/main/"

// identifier matches a Go identifier, or an import path made of them, the
// only text between brackets that a doc comment can mean as a doc link.
var identifier = regexp.MustCompile(`^[\pL_][\pL\pN_]*(/[\pL_][\pL\pN_.-]*)*$`)

// unresolvedPrefix marks, in the import path of a parsed doc link, a
// package name that is neither imported nor a standard package.
const unresolvedPrefix = "unresolved:"

// TestDocLinksResolve parses the package doc and the doc of every
// exported identifier (fields and interface methods included) of each
// public package, and checks that every doc link, [Name], [Name.Method],
// [pkg.Name] or [pkg], names something that exists: in the package
// itself, as go/doc sees it, or in a package it imports or in the
// standard library. go/doc renders a link it cannot resolve as plain text
// in brackets, and one to a missing identifier of another package as a
// link to nothing, so a reader of the documentation meets a dead end. A
// link to a file of this repository (a link definition under repoBlob)
// must name a file that exists.
func TestDocLinksResolve(t *testing.T) {
	cfg := &packages.Config{
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedSyntax |
			packages.NeedTypes | packages.NeedImports,
		Dir: root,
	}
	pkgs, err := packages.Load(cfg, "./...")
	if err != nil {
		t.Fatalf("load the module's packages: %v", err)
	}
	l := &linkChecker{t: t, cfg: cfg, loaded: map[string]*types.Package{}}
	checked := 0
	for _, pkg := range pkgs {
		if len(pkg.Errors) > 0 {
			t.Fatalf("load %s: %v", pkg.PkgPath, pkg.Errors)
		}
		if isInternal(pkg.PkgPath) || pkg.Name == "main" {
			continue
		}
		for _, imp := range pkg.Types.Imports() {
			l.loaded[imp.Path()] = imp
		}
		l.loaded[pkg.PkgPath] = pkg.Types
		checked++
		t.Run(pkg.PkgPath, func(t *testing.T) {
			l.t = t
			l.checkPackage(pkg)
		})
	}
	if checked < 8 {
		t.Fatalf("checked %d public packages, want at least 8: the loader is broken", checked)
	}
}

// linkChecker resolves the doc links of one package at a time.
type linkChecker struct {
	t      *testing.T
	cfg    *packages.Config
	loaded map[string]*types.Package // by import path; nil when it does not load
}

// checkPackage checks every doc comment of pkg.
func (l *linkChecker) checkPackage(pkg *packages.Package) {
	dp, err := doc.NewFromFiles(pkg.Fset, pkg.Syntax, pkg.PkgPath)
	if err != nil {
		l.t.Fatalf("go/doc: %v", err)
	}
	real := dp.Parser()
	// A parser that takes every bracketed identifier for a doc link, so
	// that a link go/doc would leave as plain text is found and reported.
	parser := &comment.Parser{
		LookupSym: func(recv, name string) bool { return true },
		LookupPackage: func(name string) (string, bool) {
			if path, ok := real.LookupPackage(name); ok {
				return path, true
			}
			if path, ok := comment.DefaultLookupPackage(name); ok {
				return path, true
			}
			if identifier.MatchString(name) {
				return unresolvedPrefix + name, true
			}
			return "", false
		},
	}
	check := func(where, text string) {
		if strings.TrimSpace(text) == "" {
			return
		}
		d := parser.Parse(text)
		for _, def := range d.Links {
			l.checkURL(where, def.URL)
		}
		walkText(d, func(x comment.Text) {
			switch x := x.(type) {
			case *comment.DocLink:
				if msg := l.resolve(pkg, real, x); msg != "" {
					l.t.Errorf("%s: the doc link [%s] %s", where, linkText(x), msg)
				}
			case *comment.Link:
				if x.Auto { // the others are link definitions, checked above
					l.checkURL(where, x.URL)
				}
			}
		})
	}

	check("package doc", dp.Doc)
	values := func(vs []*doc.Value) {
		for _, v := range vs {
			where := strings.Join(v.Names, ", ")
			check(where, v.Doc)
			for _, spec := range v.Decl.Specs {
				if vs, ok := spec.(*ast.ValueSpec); ok && vs.Doc != nil && len(vs.Names) > 0 {
					check(vs.Names[0].Name, vs.Doc.Text())
				}
			}
		}
	}
	funcs := func(recv string, fs []*doc.Func) {
		for _, f := range fs {
			check(recv+f.Name, f.Doc)
		}
	}
	values(dp.Consts)
	values(dp.Vars)
	funcs("", dp.Funcs)
	for _, typ := range dp.Types {
		check(typ.Name, typ.Doc)
		values(typ.Consts)
		values(typ.Vars)
		funcs("", typ.Funcs)
		funcs(typ.Name+".", typ.Methods)
		for _, spec := range typ.Decl.Specs {
			ts, ok := spec.(*ast.TypeSpec)
			if !ok {
				continue
			}
			var fields *ast.FieldList
			switch st := ts.Type.(type) {
			case *ast.StructType:
				fields = st.Fields
			case *ast.InterfaceType:
				fields = st.Methods
			}
			if fields == nil {
				continue
			}
			for _, f := range fields.List {
				if f.Doc == nil {
					continue
				}
				name := "embedded"
				if len(f.Names) > 0 {
					if !f.Names[0].IsExported() {
						continue
					}
					name = f.Names[0].Name
				}
				check(typ.Name+"."+name, f.Doc.Text())
			}
		}
	}
}

// resolve returns why link does not resolve, or "" when it does.
func (l *linkChecker) resolve(pkg *packages.Package, real *comment.Parser, link *comment.DocLink) string {
	if name, ok := strings.CutPrefix(link.ImportPath, unresolvedPrefix); ok {
		return "names " + name + ", which " + pkg.Name + " does not import and is not a standard package"
	}
	if link.ImportPath == "" || link.ImportPath == pkg.PkgPath {
		if link.Name == "" || real.LookupSym(link.Recv, link.Name) {
			return ""
		}
		return "names nothing that " + pkg.Name + " exports"
	}
	other := l.load(link.ImportPath)
	if other == nil {
		return "names package " + link.ImportPath + ", which does not load"
	}
	if link.Name == "" {
		return ""
	}
	if link.Recv == "" {
		if obj := other.Scope().Lookup(link.Name); obj != nil && obj.Exported() {
			return ""
		}
		return "names nothing that " + link.ImportPath + " exports"
	}
	tn, ok := other.Scope().Lookup(link.Recv).(*types.TypeName)
	if !ok {
		return "names a method of " + link.Recv + ", which is not a type of " + link.ImportPath
	}
	obj, _, _ := types.LookupFieldOrMethod(types.NewPointer(tn.Type()), false, other, link.Name)
	if obj == nil || !obj.Exported() {
		return "names nothing that " + link.ImportPath + "." + link.Recv + " has"
	}
	return ""
}

// load returns the types of the package at path, loading it when no
// package of the module imports it.
func (l *linkChecker) load(path string) *types.Package {
	if p, ok := l.loaded[path]; ok {
		return p
	}
	cfg := *l.cfg
	cfg.Mode = packages.NeedName | packages.NeedTypes
	var found *types.Package
	if pkgs, err := packages.Load(&cfg, path); err == nil && len(pkgs) == 1 && len(pkgs[0].Errors) == 0 {
		found = pkgs[0].Types
	}
	l.loaded[path] = found
	return found
}

// checkURL reports a link to a file of this repository that does not
// exist.
func (l *linkChecker) checkURL(where, url string) {
	rel, ok := strings.CutPrefix(url, repoBlob)
	if !ok {
		return
	}
	rel, _, _ = strings.Cut(rel, "#")
	if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel))); err != nil {
		l.t.Errorf("%s: the link %s names %s, which is not a file of this repository", where, url, rel)
	}
}

// linkText is the text of a doc link as written in the comment.
func linkText(link *comment.DocLink) string {
	var parts []string
	if link.ImportPath != "" {
		parts = append(parts, strings.TrimPrefix(link.ImportPath, unresolvedPrefix))
	}
	if link.Recv != "" {
		parts = append(parts, link.Recv)
	}
	if link.Name != "" {
		parts = append(parts, link.Name)
	}
	return strings.Join(parts, ".")
}

// walkText calls f for every piece of text in d, in links and lists too.
func walkText(d *comment.Doc, f func(comment.Text)) {
	var texts func([]comment.Text)
	texts = func(ts []comment.Text) {
		for _, x := range ts {
			f(x)
			switch x := x.(type) {
			case *comment.Link:
				texts(x.Text)
			case *comment.DocLink:
				texts(x.Text)
			}
		}
	}
	var blocks func([]comment.Block)
	blocks = func(bs []comment.Block) {
		for _, b := range bs {
			switch b := b.(type) {
			case *comment.Paragraph:
				texts(b.Text)
			case *comment.Heading:
				texts(b.Text)
			case *comment.List:
				for _, item := range b.Items {
					blocks(item.Content)
				}
			}
		}
	}
	blocks(d.Content)
}
