package config

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

const moduleDir = "../../terraform/modules/function/"

// TestModuleEnvironmentIsTheContract holds the Terraform function module to Variables: its environment map sets
// exactly the variables marked SetByModule, each from one module variable whose default, allowed values and range
// are the contract's.
func TestModuleEnvironmentIsTheContract(t *testing.T) {
	env := moduleEnvironment(t)
	vars := moduleVariables(t)
	var want []string
	for _, v := range Variables {
		if v.SetBy == SetByModule {
			want = append(want, v.Name)
		}
	}
	if got := slices.Sorted(maps.Keys(env)); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Fatalf("environment map of %smain.tf sets %q; the contract's module variables are %q", moduleDir, got, want)
	}
	for _, name := range want {
		c := Lookup(name)
		tf, ok := vars[env[name]]
		if !ok {
			t.Errorf("%s = var.%s: no such variable in %svariables.tf", name, env[name], moduleDir)
			continue
		}
		if c.Required != !tf.hasDefault || (!c.Required && tf.def != c.Default) {
			t.Errorf("%s: var.%s default %q (set %v); contract default %q, required %v", name, env[name], tf.def, tf.hasDefault, c.Default, c.Required)
		}
		if !slices.Equal(tf.allowed, c.Allowed) {
			t.Errorf("%s: var.%s allows %q; contract allows %q", name, env[name], tf.allowed, c.Allowed)
		}
		if tf.min != c.Min || tf.max != c.Max {
			t.Errorf("%s: var.%s range %d–%d; contract range %d–%d", name, env[name], tf.min, tf.max, c.Min, c.Max)
		}
	}
}

// TestReadmeTableIsTheContract holds the README's configuration table to Variables, row for row.
func TestReadmeTableIsTheContract(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const header = "| variable | values | default | meaning |"
	_, after, ok := strings.Cut(string(readme), header+"\n|---|---|---|---|\n")
	if !ok {
		t.Fatalf("README.md has no table headed %q", header)
	}
	var got []string
	for _, line := range strings.Split(after, "\n") {
		if !strings.HasPrefix(line, "|") {
			break
		}
		got = append(got, line)
	}
	want := readmeRows()
	if !slices.Equal(got, want) {
		t.Errorf("README.md configuration table differs from the contract; it should read:\n%s\n%s\n%s",
			header, "|---|---|---|---|", strings.Join(want, "\n"))
	}
}

func readmeRows() []string {
	var rows []string
	for _, v := range Variables {
		values := v.Values
		switch {
		case len(v.Allowed) > 0:
			values = "`" + strings.Join(v.Allowed, "` · `") + "`"
		case v.Max > 0:
			values = fmt.Sprintf("%d–%d", v.Min, v.Max)
		}
		def := "unset"
		switch {
		case v.Required:
			def = "**required**"
		case v.Default != "":
			def = "`" + v.Default + "`"
		case v.SetBy == SetByLambda:
			def = "set by Lambda"
		}
		rows = append(rows, fmt.Sprintf("| `%s` | %s | %s | %s |", v.Name, values, def, v.Doc))
	}
	return rows
}

func TestContractIsConsistent(t *testing.T) {
	seen := map[string]bool{}
	for _, v := range Variables {
		if seen[v.Name] {
			t.Errorf("%s is listed twice", v.Name)
		}
		seen[v.Name] = true
		if v.Doc == "" || !slices.Contains([]string{SetByModule, SetByLambda, SetByUser}, v.SetBy) {
			t.Errorf("%s: no doc or no SetBy", v.Name)
		}
		if len(v.Allowed) > 0 && v.Default != "" && !slices.Contains(v.Allowed, v.Default) {
			t.Errorf("%s: default %q is not allowed", v.Name, v.Default)
		}
		if (len(v.Allowed) > 0) == (v.Values != "") && v.Max == 0 {
			t.Errorf("%s: say what it holds with exactly one of Allowed, Min–Max or Values", v.Name)
		}
	}
}

// moduleEnvironment returns the module's environment map: variable name → the module variable it is set from.
func moduleEnvironment(t *testing.T) map[string]string {
	t.Helper()
	body := parseHCL(t, moduleDir+"main.tf")
	for _, b := range body.Blocks {
		attr, ok := b.Body.Attributes["environment"]
		if b.Type != "locals" || !ok {
			continue
		}
		obj, ok := attr.Expr.(*hclsyntax.ObjectConsExpr)
		if !ok {
			t.Fatalf("local.environment is not an object constructor")
		}
		env := map[string]string{}
		for _, item := range obj.Items {
			name := hcl.ExprAsKeyword(item.KeyExpr)
			refs := moduleVars(item.ValueExpr)
			if name == "" || len(refs) != 1 {
				t.Fatalf("local.environment: %q must be a bare name set from exactly one module variable (got %q)", name, refs)
			}
			env[name] = refs[0]
		}
		return env
	}
	t.Fatalf("%smain.tf has no local.environment", moduleDir)
	return nil
}

// tfVariable is what the contract test reads from a module variable.
type tfVariable struct {
	hasDefault bool
	def        string
	allowed    []string // from contains([...], var.x) in a validation
	min, max   int      // from var.x >= min and var.x <= max in a validation
}

func moduleVariables(t *testing.T) map[string]tfVariable {
	t.Helper()
	vars := map[string]tfVariable{}
	for _, b := range parseHCL(t, moduleDir+"variables.tf").Blocks {
		if b.Type != "variable" || len(b.Labels) != 1 {
			continue
		}
		var v tfVariable
		if attr, ok := b.Body.Attributes["default"]; ok {
			v.hasDefault = true
			v.def = literal(t, attr.Expr)
		}
		for _, vb := range b.Body.Blocks {
			if cond, ok := vb.Body.Attributes["condition"]; ok && vb.Type == "validation" {
				readValidation(t, cond.Expr, &v)
			}
		}
		vars[b.Labels[0]] = v
	}
	return vars
}

// readValidation picks out of a condition the forms that state allowed values and ranges.
func readValidation(t *testing.T, cond hclsyntax.Expression, v *tfVariable) {
	hclsyntax.VisitAll(cond, func(n hclsyntax.Node) hcl.Diagnostics {
		switch e := n.(type) {
		case *hclsyntax.FunctionCallExpr:
			if e.Name != "contains" || len(e.Args) != 2 {
				break
			}
			if list, ok := e.Args[0].(*hclsyntax.TupleConsExpr); ok {
				for _, item := range list.Exprs {
					v.allowed = append(v.allowed, literal(t, item))
				}
			}
		case *hclsyntax.BinaryOpExpr:
			if len(moduleVars(e.LHS)) != 1 || len(moduleVars(e.RHS)) != 0 {
				break
			}
			var n int
			fmt.Sscan(literal(t, e.RHS), &n)
			switch e.Op {
			case hclsyntax.OpGreaterThanOrEqual:
				v.min = n
			case hclsyntax.OpLessThanOrEqual:
				v.max = n
			}
		}
		return nil
	})
}

func parseHCL(t *testing.T, path string) *hclsyntax.Body {
	t.Helper()
	f, diags := hclparse.NewParser().ParseHCLFile(path)
	if diags.HasErrors() {
		t.Fatalf("%s: %s", path, diags)
	}
	return f.Body.(*hclsyntax.Body)
}

// moduleVars returns the names of the module variables (var.x) an expression refers to.
func moduleVars(e hcl.Expression) []string {
	var names []string
	for _, tr := range e.Variables() {
		if tr.RootName() == "var" && len(tr) > 1 {
			if a, ok := tr[1].(hcl.TraverseAttr); ok {
				names = append(names, a.Name)
			}
		}
	}
	return names
}

// literal evaluates a constant expression to the string the handler would read for it.
func literal(t *testing.T, e hcl.Expression) string {
	t.Helper()
	v, diags := e.Value(nil)
	if diags.HasErrors() {
		t.Fatalf("not a constant: %s", diags)
	}
	switch v.Type() {
	case cty.String:
		return v.AsString()
	case cty.Number:
		return v.AsBigFloat().Text('f', -1)
	}
	return v.GoString()
}
