package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestLicense: the repository's LICENSE is Go's BSD-3-Clause text with
// the ebmc copyright line and "the copyright holder" for Google LLC.
func TestLicense(t *testing.T) {
	got, err := os.ReadFile(filepath.Join("..", "..", "LICENSE"))
	if err != nil {
		t.Fatal(err)
	}
	const first = "Copyright (c) 2026 The ebmc Authors.\n"
	if !strings.HasPrefix(string(got), first) {
		t.Errorf("LICENSE does not start with %q", first)
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skipf("go env GOROOT: %v", err)
	}
	goLicense, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(goroot)), "LICENSE"))
	if err != nil {
		t.Skipf("no Go LICENSE to compare with: %v", err)
	}
	_, rest, _ := strings.Cut(string(goLicense), "\n")
	want := first + strings.Replace(rest, "Neither the name of Google LLC nor", "Neither the name of the copyright holder nor", 1)
	if string(got) != want {
		t.Errorf("LICENSE is not Go's BSD-3-Clause text with the ebmc copyright line:\n%s", firstDiff(want, string(got)))
	}
	for _, clause := range []string{"Redistributions of source code must retain", "Redistributions in binary form must reproduce",
		"may be used to endorse or promote products", `"AS IS"`} {
		if !strings.Contains(string(got), clause) {
			t.Errorf("LICENSE lacks %q", clause)
		}
	}
}
