package catalogcheck

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/inspect"
	"golang.org/x/tools/go/ast/inspector"
	"golang.org/x/tools/go/types/typeutil"

	"github.com/elmohq/telemetry/catalog"
)

// Import paths the analyzer recognises.
const (
	catalogPath   = "github.com/elmohq/telemetry/catalog"
	attributePath = "go.opentelemetry.io/otel/attribute"
	tracePath     = "go.opentelemetry.io/otel/trace"
	metricPath    = "go.opentelemetry.io/otel/metric"
	cobraPath     = "github.com/spf13/cobra"
)

// ignoreDirective exempts the line it ends, or, on a line of its own,
// the line below it, from the check.
const ignoreDirective = "//catalogcheck:ignore"

// Analyzer reports spans, instruments, attribute keys and enumerated
// values that the telemetry catalog would drop at run time.
var Analyzer = &analysis.Analyzer{
	Name:     "catalogcheck",
	Doc:      "report telemetry that the Elmo catalog drops: spans, instruments, attribute keys and enum values it does not allow\n\nSee the package documentation of github.com/elmohq/telemetry/catalog/catalogcheck.",
	URL:      "https://pkg.go.dev/github.com/elmohq/telemetry/catalog/catalogcheck",
	Requires: []*analysis.Analyzer{inspect.Analyzer},
	Run:      run,
}

// testFiles is the -testfiles flag: whether findings in _test.go files
// are reported.
var testFiles bool

func init() {
	Analyzer.Flags.BoolVar(&testFiles, "testfiles", false,
		"report findings in _test.go files too (tests send what the catalog drops on purpose, to show it is dropped)")
}

// checker holds the state of one pass.
type checker struct {
	pass    *analysis.Pass
	vocab   *vocab
	ignored map[string]map[int]bool // file name -> lines exempted

	spans map[types.Object]string // span variables and fields -> event name
	insts map[types.Object]string // instrument variables and fields -> name
	elems map[types.Object][]ast.Expr
	defs  map[types.Object]ast.Expr // locals assigned once -> value
	done  map[*ast.CallExpr]bool    // option calls already checked
}

// conflict marks a variable that holds spans or instruments of more than
// one name.
const conflict = "\x00"

func run(pass *analysis.Pass) (any, error) {
	c := &checker{
		pass:    pass,
		vocab:   catalogVocab().with(localEntries(pass)),
		ignored: make(map[string]map[int]bool),
		spans:   make(map[types.Object]string),
		insts:   make(map[types.Object]string),
		elems:   make(map[types.Object][]ast.Expr),
		defs:    make(map[types.Object]ast.Expr),
		done:    make(map[*ast.CallExpr]bool),
	}
	c.readDirectives()
	// Twice, so that a value copied from one variable to a field is
	// tracked whatever the order of the assignments.
	c.track(true)
	c.track(false)

	insp := pass.ResultOf[inspect.Analyzer].(*inspector.Inspector)
	filter := []ast.Node{(*ast.CallExpr)(nil), (*ast.CompositeLit)(nil)}
	insp.WithStack(filter, func(n ast.Node, push bool, stack []ast.Node) bool {
		if !push {
			return true
		}
		switch n := n.(type) {
		case *ast.CallExpr:
			c.call(n, stack)
		case *ast.CompositeLit:
			c.command(n)
		}
		return true
	})
	return nil, nil
}

// readDirectives records the lines exempted by //catalogcheck:ignore and
// reports a directive without a reason.
func (c *checker) readDirectives() {
	for _, f := range c.pass.Files {
		for _, cg := range f.Comments {
			for _, cm := range cg.List {
				rest, ok := strings.CutPrefix(cm.Text, ignoreDirective)
				if !ok || rest != "" && rest[0] != ' ' && rest[0] != '\t' {
					continue
				}
				// A comment after the directive is not its reason.
				if reason, _, _ := strings.Cut(rest, "//"); strings.TrimSpace(reason) == "" {
					c.pass.Reportf(cm.Pos(), "%s needs a reason: say why this line may send what the catalog drops", ignoreDirective)
					continue
				}
				p := c.pass.Fset.Position(cm.Pos())
				if c.ignored[p.Filename] == nil {
					c.ignored[p.Filename] = make(map[int]bool)
				}
				line := p.Line
				if c.standalone(p) {
					line++ // a comment on a line of its own exempts the next
				}
				c.ignored[p.Filename][line] = true
			}
		}
	}
}

// standalone reports whether only blanks come before p on its line.
func (c *checker) standalone(p token.Position) bool {
	src, err := c.pass.ReadFile(p.Filename)
	if err != nil || p.Offset > len(src) {
		return false
	}
	start := p.Offset - (p.Column - 1)
	return start >= 0 && strings.TrimSpace(string(src[start:p.Offset])) == ""
}

// report reports a finding at pos unless its line is exempted.
func (c *checker) report(pos token.Pos, format string, args ...any) {
	p := c.pass.Fset.Position(pos)
	if c.ignored[p.Filename][p.Line] || !testFiles && strings.HasSuffix(p.Filename, "_test.go") {
		return
	}
	c.pass.Reportf(pos, format, args...)
}

// track records which variables and fields hold spans and instruments of
// a constant name, the elements put in []attribute.KeyValue variables,
// and the value of locals assigned once.
func (c *checker) track(first bool) {
	info := c.pass.TypesInfo
	for _, f := range c.pass.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.AssignStmt:
				c.assign(n.Lhs, n.Rhs, first)
			case *ast.ValueSpec:
				lhs := make([]ast.Expr, len(n.Names))
				for i, id := range n.Names {
					lhs[i] = id
				}
				c.assign(lhs, n.Values, first)
			case *ast.CompositeLit:
				for _, elt := range n.Elts {
					kv, ok := elt.(*ast.KeyValueExpr)
					if !ok {
						continue
					}
					if id, ok := kv.Key.(*ast.Ident); ok {
						if field, ok := info.Uses[id].(*types.Var); ok && field.IsField() {
							c.flow(field, kv.Value, 0)
						}
					}
				}
			}
			return true
		})
	}
}

func (c *checker) assign(lhs, rhs []ast.Expr, first bool) {
	switch {
	case len(lhs) == len(rhs):
		for i := range lhs {
			obj := c.objOf(lhs[i])
			if obj == nil {
				continue
			}
			c.flow(obj, rhs[i], 0)
			if first {
				c.collectElems(obj, rhs[i])
				if _, seen := c.defs[obj]; seen {
					c.defs[obj] = nil // assigned more than once
				} else {
					c.defs[obj] = rhs[i]
				}
			}
		}
	case len(rhs) == 1:
		// ctx, span := tracer.Start(...); c, err := meter.Int64Counter(...)
		for i := range lhs {
			if obj := c.objOf(lhs[i]); obj != nil {
				c.flow(obj, rhs[0], i)
			}
		}
	}
}

// flow records what obj holds when it is given result index of x.
func (c *checker) flow(obj types.Object, x ast.Expr, index int) {
	if name, ok := c.spanName(x); ok && index == 1 {
		set(c.spans, obj, name)
	} else if name, ok := c.spans[c.objOf(x)]; ok && index == 0 {
		set(c.spans, obj, name)
	}
	if name, ok := c.instrumentName(x); ok && index == 0 {
		set(c.insts, obj, name)
	} else if name, ok := c.insts[c.objOf(x)]; ok && index == 0 {
		set(c.insts, obj, name)
	}
}

func set(m map[types.Object]string, obj types.Object, name string) {
	if old, ok := m[obj]; ok && old != name {
		m[obj] = conflict
		return
	}
	m[obj] = name
}

// collectElems records the attributes put in a []attribute.KeyValue
// variable by a literal or an append.
func (c *checker) collectElems(obj types.Object, x ast.Expr) {
	if !isKeyValueSlice(obj.Type()) {
		return
	}
	switch x := ast.Unparen(x).(type) {
	case *ast.CompositeLit:
		c.elems[obj] = append(c.elems[obj], x.Elts...)
	case *ast.CallExpr:
		if id, ok := ast.Unparen(x.Fun).(*ast.Ident); ok && id.Name == "append" && len(x.Args) > 1 && x.Ellipsis == token.NoPos {
			if _, builtin := c.pass.TypesInfo.Uses[id].(*types.Builtin); builtin {
				c.elems[obj] = append(c.elems[obj], x.Args[1:]...)
			}
		}
	}
}

// objOf returns the variable or field x denotes, or nil.
func (c *checker) objOf(x ast.Expr) types.Object {
	switch x := ast.Unparen(x).(type) {
	case *ast.Ident:
		if v, ok := c.pass.TypesInfo.ObjectOf(x).(*types.Var); ok {
			return v
		}
	case *ast.SelectorExpr:
		if v, ok := c.pass.TypesInfo.ObjectOf(x.Sel).(*types.Var); ok {
			return v
		}
	}
	return nil
}

// callee returns the function or method x calls, or nil.
func (c *checker) callee(call *ast.CallExpr) *types.Func {
	fn, _ := typeutil.Callee(c.pass.TypesInfo, call).(*types.Func)
	return fn
}

// is reports whether fn is the function or method name of the package
// path; method says whether it must be a method.
func is(fn *types.Func, path string, method bool, names ...string) bool {
	if fn == nil || fn.Pkg() == nil || fn.Pkg().Path() != path {
		return false
	}
	if recv := fn.Type().(*types.Signature).Recv(); (recv != nil) != method {
		return false
	}
	return slices.Contains(names, fn.Name())
}

// spanName returns the constant name of the span x starts, when x is a
// call of Tracer.Start with a constant name.
func (c *checker) spanName(x ast.Expr) (string, bool) {
	call, ok := ast.Unparen(x).(*ast.CallExpr)
	if !ok || len(call.Args) < 2 || !is(c.callee(call), tracePath, true, "Start") {
		return "", false
	}
	return constString(c.pass, call.Args[1])
}

// instrumentKinds maps the Meter methods to the kind of instrument they
// create; the kinds the catalog has no entries of are named.
var instrumentKinds = map[string]string{
	"Int64Counter": "counter", "Float64Counter": "counter",
	"Int64ObservableCounter": "counter", "Float64ObservableCounter": "counter",
	"Int64Gauge": "gauge", "Float64Gauge": "gauge",
	"Int64ObservableGauge": "gauge", "Float64ObservableGauge": "gauge",
	"Int64UpDownCounter": "up-down counter", "Float64UpDownCounter": "up-down counter",
	"Int64ObservableUpDownCounter": "up-down counter", "Float64ObservableUpDownCounter": "up-down counter",
	"Int64Histogram": "histogram", "Float64Histogram": "histogram",
}

// instrumentCall returns the Meter method x calls and its name argument.
func (c *checker) instrumentCall(x ast.Expr) (method string, name ast.Expr, ok bool) {
	call, ok := ast.Unparen(x).(*ast.CallExpr)
	if !ok || len(call.Args) < 1 {
		return "", nil, false
	}
	fn := c.callee(call)
	if fn == nil || instrumentKinds[fn.Name()] == "" || !is(fn, metricPath, true, fn.Name()) {
		return "", nil, false
	}
	return fn.Name(), call.Args[0], true
}

// instrumentName returns the constant name of the instrument x creates.
func (c *checker) instrumentName(x ast.Expr) (string, bool) {
	_, name, ok := c.instrumentCall(x)
	if !ok {
		return "", false
	}
	return constString(c.pass, name)
}

// call checks one call.
func (c *checker) call(call *ast.CallExpr, stack []ast.Node) {
	fn := c.callee(call)
	if fn == nil {
		return
	}
	switch {
	case is(fn, tracePath, true, "Start"):
		c.start(call)
	case is(fn, tracePath, true, "SetAttributes"):
		if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok {
			c.attributes(c.spanContext(sel.X, stack), call.Args, call.Ellipsis != token.NoPos)
		}
	case is(fn, tracePath, false, "WithAttributes"):
		if c.done[call] || c.insideCall(stack, tracePath, "AddEvent", "RecordError") {
			return // span events are always dropped
		}
		c.attributes(c.anySpan(), call.Args, call.Ellipsis != token.NoPos)
	case is(fn, metricPath, false, "WithAttributes"):
		c.attributes(c.measurementContext(stack), call.Args, call.Ellipsis != token.NoPos)
	case is(fn, metricPath, false, "WithAttributeSet"):
		if len(call.Args) == 1 {
			if set, ok := ast.Unparen(call.Args[0]).(*ast.CallExpr); ok && is(c.callee(set), attributePath, false, "NewSet") {
				c.attributes(c.measurementContext(stack), set.Args, set.Ellipsis != token.NoPos)
			}
		}
	default:
		if method, name, ok := c.instrumentCall(call); ok {
			c.instrument(method, name)
		}
	}
}

// start checks a Tracer.Start call: its name, and the attributes of its
// options.
func (c *checker) start(call *ast.CallExpr) {
	if len(call.Args) < 2 {
		return
	}
	ctx := c.anySpan()
	if name, ok := constString(c.pass, call.Args[1]); ok {
		e := c.vocab.lookup(name)
		ctx = attrContext{skip: true} // unless the span is in the catalog
		switch {
		case e == nil:
			c.report(call.Args[1].Pos(), "span %q is not in the catalog, so it is never sent: add catalog.Event{Name: %q, Kind: catalog.KindSpan, ...} to catalog/events.go", name, name)
		case e.kind != catalog.KindSpan:
			c.report(call.Args[1].Pos(), "span %q is a %v in catalog entry %s, so the span is never sent: start a span with a span's name, or change the entry's Kind in %s", name, e.kind, e.display(), e.where())
		default:
			ctx = eventContext("span", name, e)
		}
	}
	for _, opt := range call.Args[2:] {
		oc, ok := ast.Unparen(opt).(*ast.CallExpr)
		if ok && is(c.callee(oc), tracePath, false, "WithAttributes") {
			c.done[oc] = true
			c.attributes(ctx, oc.Args, oc.Ellipsis != token.NoPos)
		}
	}
}

// instrument checks the name and kind of a new instrument.
func (c *checker) instrument(method string, nameExpr ast.Expr) {
	name, ok := constString(c.pass, nameExpr)
	if !ok {
		return
	}
	kind := instrumentKinds[method]
	want := map[string]catalog.Kind{"counter": catalog.KindCounter, "gauge": catalog.KindGauge}[kind]
	e := c.vocab.lookup(name)
	switch {
	case want == 0:
		c.report(nameExpr.Pos(), "instrument %q is a %s (%s), which is never sent: only counters and gauges become events; use one and add it to catalog/events.go", name, kind, method)
	case e == nil:
		c.report(nameExpr.Pos(), "%s %q is not in the catalog, so it is never sent: add catalog.Event{Name: %q, Kind: catalog.Kind%s, ...} to catalog/events.go", kind, name, name, title(kind))
	case e.kind != want:
		c.report(nameExpr.Pos(), "instrument %q is created as a %s (%s), but catalog entry %s is a %v, so it is never sent: change the instrument or the entry's Kind in %s", name, kind, method, e.display(), e.kind, e.where())
	}
}

func title(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// command checks that a cobra command with a constant name gets a span
// name the cli_<command> entry matches.
func (c *checker) command(lit *ast.CompositeLit) {
	use, pos, ok := c.commandUse(lit)
	if !ok {
		return
	}
	if leaf := commandSpanPart(use); leaf != "" && !nameChars(leaf) {
		c.report(pos, "command %q gets the span name %s…%s, which catalog entry %s<command> does not match (a-z, 0-9, _ and - only), so its span is never sent: rename the command", strings.Fields(use)[0], catalog.EventCLIPrefix, leaf, catalog.EventCLIPrefix)
	}
}

// commandUse returns the constant Use of a cobra.Command literal.
func (c *checker) commandUse(lit *ast.CompositeLit) (string, token.Pos, bool) {
	t := types.Unalias(c.pass.TypesInfo.TypeOf(lit))
	n, ok := t.(*types.Named)
	if !ok || n.Obj().Pkg() == nil || n.Obj().Pkg().Path() != cobraPath || n.Obj().Name() != "Command" {
		return "", token.NoPos, false
	}
	for _, elt := range lit.Elts {
		if kv, ok := elt.(*ast.KeyValueExpr); ok {
			if id, ok := kv.Key.(*ast.Ident); ok && id.Name == "Use" {
				s, ok := constString(c.pass, kv.Value)
				return s, kv.Value.Pos(), ok
			}
		}
	}
	return "", token.NoPos, false
}

// commandSpanPart returns the last part of the span name of a command
// with the given Use, as runner.SpanName makes it.
func commandSpanPart(use string) string {
	f := strings.Fields(use)
	if len(f) == 0 {
		return ""
	}
	return strings.ReplaceAll(strings.ToLower(f[0]), "-", "_")
}

// insideCall reports whether the innermost call enclosing the top of the
// stack is a method of path with one of names.
func (c *checker) insideCall(stack []ast.Node, path string, names ...string) bool {
	parent := enclosingCall(stack)
	return parent != nil && is(c.callee(parent), path, true, names...)
}

// enclosingCall returns the call whose argument the top of the stack is.
func enclosingCall(stack []ast.Node) *ast.CallExpr {
	if len(stack) < 2 {
		return nil
	}
	top := stack[len(stack)-1]
	for i := len(stack) - 2; i >= 0; i-- {
		switch n := stack[i].(type) {
		case *ast.ParenExpr:
			continue
		case *ast.CallExpr:
			if slices.Contains(n.Args, top.(ast.Expr)) {
				return n
			}
			return nil
		default:
			return nil
		}
	}
	return nil
}

// attrContext says which entries an attribute is checked against, and how
// a message names them.
type attrContext struct {
	// subject names what carries the attributes, such as `span "cli_init"`.
	subject string
	// candidates are the entries the attribute may belong to.
	candidates []*entry
	// target is the one entry to change, when it is known.
	target *entry
	// newEntry, when not empty, is the name of the entry to add because
	// none of the candidates is specific to the subject.
	newEntry string
	// any is true when the subject is not known: the attribute is checked
	// against every entry of its kind.
	any bool
	// skip is true for the attributes of a span or instrument that is
	// itself reported.
	skip bool
	kind string // "span" or "counter or gauge"
}

func eventContext(kind, name string, e *entry) attrContext {
	return attrContext{subject: fmt.Sprintf("%s %q", kind, name), candidates: []*entry{e}, target: e, kind: kind}
}

func (c *checker) anySpan() attrContext {
	return attrContext{candidates: c.vocab.ofKinds(catalog.KindSpan), any: true, kind: "span"}
}

func (c *checker) anyInstrument() attrContext {
	return attrContext{candidates: c.vocab.ofKinds(catalog.KindCounter, catalog.KindGauge), any: true, kind: "counter or gauge"}
}

// spanContext returns the context of attributes set on the span x.
func (c *checker) spanContext(x ast.Expr, stack []ast.Node) attrContext {
	obj := c.objOf(x)
	if name, ok := c.spans[obj]; ok && name != conflict {
		if e := c.vocab.lookup(name); e != nil && e.kind == catalog.KindSpan {
			return eventContext("span", name, e)
		}
		// The span is reported where it starts: none of its attributes
		// is sent.
		return attrContext{skip: true}
	}
	if obj != nil {
		if v := c.defs[obj]; v != nil {
			x = v
		}
	}
	if c.commandSpan(x) {
		for i := len(stack) - 1; i >= 0; i-- {
			lit, ok := stack[i].(*ast.CompositeLit)
			if !ok {
				continue
			}
			if use, _, ok := c.commandUse(lit); ok {
				return c.commandContext(strings.Fields(use)[0])
			}
		}
	}
	return c.anySpan()
}

// commandSpan reports whether x is trace.SpanFromContext(cmd.Context())
// for a *cobra.Command cmd: the span internal/app/cli/runner started for the
// command.
func (c *checker) commandSpan(x ast.Expr) bool {
	call, ok := ast.Unparen(x).(*ast.CallExpr)
	if !ok || len(call.Args) != 1 || !is(c.callee(call), tracePath, false, "SpanFromContext") {
		return false
	}
	arg, ok := ast.Unparen(call.Args[0]).(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := ast.Unparen(arg.Fun).(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "Context" {
		return false
	}
	ptr, ok := c.pass.TypesInfo.TypeOf(sel.X).(*types.Pointer)
	if !ok {
		return false
	}
	n, ok := types.Unalias(ptr.Elem()).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == cobraPath && n.Obj().Name() == "Command"
}

// commandContext returns the context of attributes set on the span of the
// command named name: the entries its span name can fall under.
func (c *checker) commandContext(name string) attrContext {
	leaf := commandSpanPart(name)
	ctx := attrContext{
		subject:    fmt.Sprintf("the span of command %q", name),
		candidates: c.vocab.commandEntries(leaf),
		kind:       "span",
	}
	var exact []*entry
	for _, e := range ctx.candidates {
		if !e.prefix {
			exact = append(exact, e)
		}
	}
	switch len(exact) {
	case 0:
		ctx.newEntry = catalog.EventCLIPrefix + leaf
	case 1:
		ctx.target = exact[0]
	}
	return ctx
}

// measurementContext returns the context of metric.WithAttributes or
// WithAttributeSet on top of the stack: the instrument of the Add, Record
// or Observe call it is an option of, when its name is known.
func (c *checker) measurementContext(stack []ast.Node) attrContext {
	// The option call is on top; for WithAttributeSet(attribute.NewSet()) the
	// NewSet call is inside it, and the stack ends at the option too.
	parent := enclosingCall(stack)
	if parent == nil {
		return c.anyInstrument()
	}
	fn := c.callee(parent)
	var inst ast.Expr
	switch {
	case is(fn, metricPath, true, "Add", "Record"):
		if sel, ok := ast.Unparen(parent.Fun).(*ast.SelectorExpr); ok {
			inst = sel.X
		}
	case is(fn, metricPath, true, "ObserveInt64", "ObserveFloat64"):
		if len(parent.Args) > 0 {
			inst = parent.Args[0]
		}
	}
	if inst == nil {
		return c.anyInstrument()
	}
	name, ok := c.insts[c.objOf(inst)]
	if !ok || name == conflict {
		return c.anyInstrument()
	}
	e := c.vocab.lookup(name)
	if e == nil || (e.kind != catalog.KindCounter && e.kind != catalog.KindGauge) {
		return attrContext{skip: true} // reported where it is created
	}
	return eventContext(e.kind.String(), name, e)
}

// attribute is one attribute with a constant key.
type attribute struct {
	key    string
	pos    token.Pos
	typ    catalog.ValueType // 0: a type the catalog has no property of
	typKey string            // the constructor's type, for messages
	values []string          // the constant string values, if any
}

// constructors maps the attribute constructors to the catalog type of
// the value they make.
var constructors = map[string]catalog.ValueType{
	"String": catalog.TypeString, "Stringer": catalog.TypeString,
	"StringSlice": catalog.TypeStringSlice,
	"Int":         catalog.TypeInt, "Int64": catalog.TypeInt,
	"Bool": catalog.TypeBool, "Float64": catalog.TypeFloat,
	"IntSlice": 0, "Int64Slice": 0, "BoolSlice": 0, "Float64Slice": 0,
}

var typeNames = map[string]string{
	"String": "string", "Stringer": "string", "StringSlice": "string[]",
	"Int": "int", "Int64": "int", "Bool": "bool", "Float64": "float",
	"IntSlice": "int[]", "Int64Slice": "int[]", "BoolSlice": "bool[]", "Float64Slice": "float[]",
}

// attributeOf reads x when it is an attribute constructor with a constant
// key: attribute.String("k", v) or attribute.Key("k").String(v) (such as
// catalog.KeyProvider.String(v)).
func (c *checker) attributeOf(x ast.Expr) (attribute, bool) {
	call, ok := ast.Unparen(x).(*ast.CallExpr)
	if !ok {
		return attribute{}, false
	}
	fn := c.callee(call)
	if fn == nil {
		return attribute{}, false
	}
	typ, known := constructors[fn.Name()]
	if !known {
		return attribute{}, false
	}
	var keyExpr, valExpr ast.Expr
	switch {
	case is(fn, attributePath, false, fn.Name()) && len(call.Args) == 2:
		keyExpr, valExpr = call.Args[0], call.Args[1]
	case is(fn, attributePath, true, fn.Name()) && len(call.Args) == 1:
		sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
		if !ok {
			return attribute{}, false
		}
		keyExpr, valExpr = sel.X, call.Args[0]
	default:
		return attribute{}, false
	}
	key, ok := constString(c.pass, keyExpr)
	if !ok {
		return attribute{}, false // the runtime gate decides
	}
	a := attribute{key: key, pos: call.Pos(), typ: typ, typKey: typeNames[fn.Name()]}
	switch typ {
	case catalog.TypeString:
		if s, ok := constString(c.pass, valExpr); ok {
			a.values = []string{s}
		}
	case catalog.TypeStringSlice:
		if lit, ok := ast.Unparen(valExpr).(*ast.CompositeLit); ok {
			for _, elt := range lit.Elts {
				if s, ok := constString(c.pass, elt); ok {
					a.values = append(a.values, s)
				}
			}
		}
	}
	return a, true
}

// attributes checks the attributes args in ctx. spread says the last
// argument is a slice passed with "...", whose elements are read from
// where the slice variable is built.
func (c *checker) attributes(ctx attrContext, args []ast.Expr, spread bool) {
	if ctx.skip {
		return
	}
	var xs []ast.Expr
	for i, a := range args {
		if spread && i == len(args)-1 {
			if obj := c.objOf(a); obj != nil {
				xs = append(xs, c.elems[obj]...)
			}
			continue
		}
		xs = append(xs, a)
	}
	for _, x := range xs {
		if a, ok := c.attributeOf(x); ok {
			c.check(ctx, a)
		}
	}
}

// check checks one attribute against ctx.
func (c *checker) check(ctx attrContext, a attribute) {
	var props []prop
	var owners []*entry
	for _, e := range ctx.candidates {
		if e.open {
			return // a local entry the analyzer could not read
		}
		if p, ok := e.props[a.key]; ok {
			props = append(props, p)
			owners = append(owners, e)
		}
	}
	if len(props) == 0 {
		c.notAllowed(ctx, a)
		return
	}

	if !slices.ContainsFunc(props, func(p prop) bool { return p.typ == 0 || p.typ == a.typ }) || a.typ == 0 {
		c.report(a.pos, "attribute %q is set as a %s, but catalog entry %s declares it %v, so it is dropped: set a %v, or change the property's Type in %s",
			a.key, a.typKey, owners[0].display(), props[0].typ, props[0].typ, owners[0].where())
		return
	}

	for _, v := range a.values {
		in := false
		for _, p := range props {
			if !p.valuesKnown || len(p.values) == 0 || slices.Contains(p.values, v) {
				in = true
				break
			}
		}
		if in {
			continue
		}
		fate := "dropped"
		if props[0].other != "" {
			fate = "sent as " + strconv.Quote(props[0].other)
		}
		c.report(a.pos, "value %q of attribute %q is not one of its values in catalog entry %s (%s), so it is %s: use one of them, or add it to the property's Values in %s",
			v, a.key, owners[0].display(), strings.Join(props[0].values, ", "), fate, owners[0].where())
	}
}

// notAllowed reports an attribute key that none of the entries of ctx
// allows.
func (c *checker) notAllowed(ctx attrContext, a attribute) {
	switch {
	case ctx.any:
		c.report(a.pos, "attribute %q is not allowed on any %s of the catalog, so it is dropped: add catalog.Property{Key: %q, ...} to the catalog entry of the %s that carries it in catalog/events.go",
			a.key, ctx.kind, a.key, ctx.kind)
	case ctx.target != nil:
		c.report(a.pos, "attribute %q is not allowed on %s, so it is dropped: add catalog.Property{Key: %q, ...} to catalog entry %s in %s (it allows %s)",
			a.key, ctx.subject, a.key, ctx.target.display(), ctx.target.where(), ctx.target.keys())
	case ctx.newEntry != "":
		allows := "nothing"
		for _, e := range ctx.candidates {
			if e.prefix {
				allows = e.keys()
			}
		}
		c.report(a.pos, "attribute %q is not allowed on %s, so it is dropped: add catalog entry %s (catalog.Event{Name: %q, Kind: catalog.KindSpan, ...}) with catalog.Property{Key: %q, ...} to catalog/events.go (catalog entry %s<command> allows %s)",
			a.key, ctx.subject, ctx.newEntry, ctx.newEntry, a.key, catalog.EventCLIPrefix, allows)
	default:
		names := make([]string, 0, len(ctx.candidates))
		for _, e := range ctx.candidates {
			names = append(names, e.display())
		}
		c.report(a.pos, "attribute %q is not allowed on %s, so it is dropped: add catalog.Property{Key: %q, ...} to the one of catalog entries %s that names it, in catalog/events.go",
			a.key, ctx.subject, a.key, strings.Join(names, ", "))
	}
}

// isKeyValueSlice reports whether t is []attribute.KeyValue.
func isKeyValueSlice(t types.Type) bool {
	s, ok := types.Unalias(t).Underlying().(*types.Slice)
	if !ok {
		return false
	}
	n, ok := types.Unalias(s.Elem()).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == attributePath && n.Obj().Name() == "KeyValue"
}
