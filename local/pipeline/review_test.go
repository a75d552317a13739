package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Review (rev10): terraform.tfvars.example offers filter_patterns, and on AWS the mapping then drops every record
// that matches no pattern without invoking the function. make run reads the same terraform.tfvars and ignores
// the variable without a word (TestMirrorsTheFunctionModule lists it as having "no local meaning"): locally
// every record is written, the demo reports them all accounted for, and the user learns only after deploying
// that most of the stream never reaches the bucket. A setting that changes which records the function sees must
// be applied locally or refused by name. (esm_enabled = false, the root's name for the module's enabled, is
// ignored the same way: on AWS the records wait in the stream, locally they are processed.)
func TestLoadTFVarsDoesNotSilentlyDropMappingSettings(t *testing.T) {
	for name, body := range map[string]string{
		"filter_patterns": `filter_patterns = ["{\"data\":{\"type\":[\"order\"]}}"]`, // terraform.tfvars.example's line
		"esm_enabled":     `esm_enabled = false`,
	} {
		path := filepath.Join(t.TempDir(), "terraform.tfvars")
		if err := os.WriteFile(path, []byte(body+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		s := DefaultSettings()
		err := s.LoadTFVars(path)
		if err == nil {
			err = s.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: LoadTFVars and Validate accept it (error %v) and the local mapping ignores it: on AWS it changes "+
				"which records reach the function", body, err)
		}
	}
}

// The values that mean what the local mapping does are accepted.
func TestLoadTFVarsAcceptsMappingSettingsThatMatchTheLocalMapping(t *testing.T) {
	path := filepath.Join(t.TempDir(), "terraform.tfvars")
	if err := os.WriteFile(path, []byte("filter_patterns = []\nesm_enabled = true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := DefaultSettings()
	if err := s.LoadTFVars(path); err != nil {
		t.Errorf("LoadTFVars: %v", err)
	}
}
