// Command tfdocs writes the Inputs and Outputs tables of the Terraform READMEs from the code, so that they cannot
// drift: each README.md holds them between <!-- BEGIN_TF_DOCS --> and <!-- END_TF_DOCS -->.
//
//	go run ./scripts/tfdocs terraform          # rewrite the tables of every module under terraform/ (make tf-docs)
//	go run ./scripts/tfdocs -check terraform   # fail if one is out of date (make tf-check)
//
// Every directory with .tf files under the given ones is a module and needs a README.md with that section.
//
// A root input that only passes through to a module (typed, default = null, no description; see
// terraform/variables.tf) is listed with the default and the description of the module variable it is given to in
// a module block, `arg = var.name`: the module owns them, and terraform-docs would print null. The types must agree.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

const (
	begin = "<!-- BEGIN_TF_DOCS -->"
	end   = "<!-- END_TF_DOCS -->"
)

func main() {
	check := flag.Bool("check", false, "report READMEs whose tables are out of date instead of rewriting them")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: tfdocs [-check] DIR...")
		os.Exit(2)
	}
	var failed bool
	dirs, err := modules(flag.Args())
	if err != nil {
		fmt.Fprintln(os.Stderr, "tfdocs:", err)
		os.Exit(1)
	}
	for _, dir := range dirs {
		if err := run(dir, *check); err != nil {
			fmt.Fprintln(os.Stderr, "tfdocs:", err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}

// modules returns the directories under roots that hold .tf files, leaving out .terraform.
func modules(roots []string) ([]string, error) {
	var dirs []string
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return err
			case d.IsDir() && d.Name() == ".terraform":
				return filepath.SkipDir
			case !d.IsDir() && filepath.Ext(path) == ".tf" && !slices.Contains(dirs, filepath.Dir(path)):
				dirs = append(dirs, filepath.Dir(path))
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return dirs, nil
}

func run(dir string, check bool) error {
	mod, err := load(dir)
	if err != nil {
		return err
	}
	tables, err := render(mod)
	if err != nil {
		return err
	}
	readme := filepath.Join(dir, "README.md")
	old, err := os.ReadFile(readme)
	if err != nil {
		return err
	}
	i, j := bytes.Index(old, []byte(begin)), bytes.Index(old, []byte(end))
	if i < 0 || j < i {
		return fmt.Errorf("%s: no %s ... %s section", readme, begin, end)
	}
	updated := slices.Concat(old[:i+len(begin)], []byte("\n"+tables), old[j:])
	switch {
	case bytes.Equal(old, updated):
		return nil
	case check:
		return fmt.Errorf("%s: the Inputs/Outputs tables are out of date: run make tf-docs", readme)
	}
	return os.WriteFile(readme, updated, 0o644)
}

// variable is a variable block, its expressions as written.
type variable struct {
	name, typ, def, description string
	required                    bool
}

type output struct{ name, description string }

// module is what tfdocs reads from one directory of .tf files.
type module struct {
	dir       string
	variables []variable
	outputs   []output
	// passes maps a root input to the module variable it is given to: var.X as the whole value of a module
	// argument.
	passes map[string][]passTarget
}

type passTarget struct{ dir, arg string }

func load(dir string) (*module, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil {
		return nil, err
	}
	slices.Sort(files)
	m := &module{dir: dir, passes: map[string][]passTarget{}}
	parser := hclparse.NewParser()
	for _, path := range files {
		f, diags := parser.ParseHCLFile(path)
		if diags.HasErrors() {
			return nil, diags
		}
		body := f.Body.(*hclsyntax.Body)
		for _, b := range body.Blocks {
			var err error
			switch b.Type {
			case "variable":
				err = m.addVariable(b, f.Bytes)
			case "output":
				m.outputs = append(m.outputs, output{name: b.Labels[0], description: stringAttr(b.Body, "description")})
			case "module":
				err = m.addModuleCall(b)
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
		}
	}
	return m, nil
}

func (m *module) addVariable(b *hclsyntax.Block, src []byte) error {
	v := variable{name: b.Labels[0], description: stringAttr(b.Body, "description"), required: true}
	if a, ok := b.Body.Attributes["type"]; ok {
		v.typ = sourceText(a.Expr, src)
	}
	if a, ok := b.Body.Attributes["default"]; ok {
		v.required = false
		v.def = sourceText(a.Expr, src)
	}
	if v.typ == "" {
		return fmt.Errorf("variable %q has no type", v.name)
	}
	m.variables = append(m.variables, v)
	return nil
}

func (m *module) addModuleCall(b *hclsyntax.Block) error {
	source := stringAttr(b.Body, "source")
	if !strings.HasPrefix(source, "./") && !strings.HasPrefix(source, "../") {
		return nil
	}
	for name, a := range b.Body.Attributes {
		t, ok := a.Expr.(*hclsyntax.ScopeTraversalExpr)
		if !ok || len(t.Traversal) != 2 || t.Traversal.RootName() != "var" {
			continue
		}
		in := t.Traversal[1].(hcl.TraverseAttr).Name
		m.passes[in] = append(m.passes[in], passTarget{dir: filepath.Clean(filepath.Join(m.dir, source)), arg: name})
	}
	return nil
}

// render returns the Inputs and Outputs sections.
func render(m *module) (string, error) {
	var sb strings.Builder
	sb.WriteString("## Inputs\n\n| Name | Type | Default | Description |\n| --- | --- | --- | --- |\n")
	owners := map[string]*module{}
	for _, v := range m.variables {
		if v.def == "null" && v.description == "" {
			// A pass-through input: the module it goes to documents it.
			if len(m.passes[v.name]) != 1 {
				return "", fmt.Errorf("%s: variable %q has no description, so exactly one module argument must take it (arg = var.%s), which owns its default and description; it is given to %d", m.dir, v.name, v.name, len(m.passes[v.name]))
			}
			p := m.passes[v.name][0]
			owner, ok := owners[p.dir]
			if !ok {
				var err error
				if owner, err = load(p.dir); err != nil {
					return "", err
				}
				owners[p.dir] = owner
			}
			i := slices.IndexFunc(owner.variables, func(o variable) bool { return o.name == p.arg })
			if i < 0 {
				return "", fmt.Errorf("%s: var.%s is passed to %s, which has no variable %q", m.dir, v.name, p.dir, p.arg)
			}
			o := owner.variables[i]
			if o.typ != v.typ {
				return "", fmt.Errorf("%s: variable %q is %s, but %s's %q is %s", m.dir, v.name, v.typ, p.dir, p.arg, o.typ)
			}
			rel, err := filepath.Rel(m.dir, p.dir)
			if err != nil {
				return "", err
			}
			v.def, v.required = o.def, o.required
			v.description = fmt.Sprintf("%s (%s: `%s`)", o.description, filepath.ToSlash(rel), p.arg)
		}
		if v.description == "" {
			return "", fmt.Errorf("%s: variable %q has no description", m.dir, v.name)
		}
		def := "(required)"
		if !v.required {
			def = "`" + v.def + "`"
		}
		fmt.Fprintf(&sb, "| `%s` | `%s` | %s | %s |\n", v.name, v.typ, cell(def), cell(v.description))
	}
	sb.WriteString("\n## Outputs\n\n| Name | Description |\n| --- | --- |\n")
	for _, o := range m.outputs {
		if o.description == "" {
			return "", fmt.Errorf("%s: output %q has no description", m.dir, o.name)
		}
		fmt.Fprintf(&sb, "| `%s` | %s |\n", o.name, cell(o.description))
	}
	return sb.String(), nil
}

// stringAttr returns the value of a constant string attribute, or "".
func stringAttr(body *hclsyntax.Body, name string) string {
	a, ok := body.Attributes[name]
	if !ok {
		return ""
	}
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() || v.Type() != cty.String || v.IsNull() {
		return ""
	}
	return v.AsString()
}

// sourceText returns an expression as written, on one line.
func sourceText(e hclsyntax.Expression, src []byte) string {
	r := e.Range()
	return strings.Join(strings.Fields(string(r.SliceBytes(src))), " ")
}

// cell makes text safe inside a Markdown table cell: a pipe would end the cell, and <name> would be taken for HTML.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;").Replace(s)
}
