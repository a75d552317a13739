// Package terraform makes the defaults of the Terraform modules' variables available to Go: the local pipeline and
// the tests default to exactly what a deployment defaults to, and each default is written once, in the module that
// owns it (modules/<name>/variables.tf). The .tf files are embedded; no Terraform runs.
package terraform

import (
	"embed"
	"fmt"

	"github.com/kinesis2s3/kinesis2s3/internal/tfvars"
)

//go:embed modules/*/variables.tf
var modules embed.FS

// The root's own variables: the few that compose modules (on_failure_destination, for one) rather than pass through.
//
//go:embed variables.tf
var root []byte

// RootDefaults returns the default value of each variable of the root module (terraform/variables.tf) that has one.
func RootDefaults() (map[string]tfvars.Value, error) {
	return tfvars.Defaults(root, "terraform/variables.tf")
}

// ModuleDefaults returns the default value of each variable of the module (a directory under modules/, such as
// "function") that has one.
func ModuleDefaults(module string) (map[string]tfvars.Value, error) {
	path := "modules/" + module + "/variables.tf"
	src, err := modules.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("terraform module %q: %w", module, err)
	}
	return tfvars.Defaults(src, "terraform/"+path)
}

// MustModuleDefaults is ModuleDefaults for the modules this repository ships, whose files are embedded at build
// time: an error is a defect of the build, which the tests catch, not a condition to handle.
func MustModuleDefaults(module string) map[string]tfvars.Value {
	d, err := ModuleDefaults(module)
	if err != nil {
		panic(err)
	}
	return d
}
