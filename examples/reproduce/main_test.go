package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFlatten(t *testing.T) {
	var v any
	if err := json.Unmarshal([]byte(`{"a": 1.5, "b": {"c": [1, 2], "d": "text"}, "long": [1,2,3,4,5,6,7,8,9,10,11,12,13], "n": null}`), &v); err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	flatten("", v, got)
	want := map[string]float64{"a": 1.5, "b.c[0]": 1, "b.c[1]": 2}
	if len(got) != len(want) {
		t.Fatalf("flatten = %v, want %v", got, want)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %v, want %v", k, got[k], w)
		}
	}
}

func TestChoose(t *testing.T) {
	js, err := choose("dbm-s2,fashion")
	if err != nil || len(js) != 2 || js[0].Name != "dbm-s2" || js[1].Name != "fashion" {
		t.Errorf("choose = %v, %v", js, err)
	}
	if _, err := choose("nope"); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("an unknown run gives %v", err)
	}
}

func TestListAndDryRun(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-list"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "go run ./examples/dbm") {
		t.Errorf("-list: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	stdout.Reset()
	if code := run([]string{"-n", "-only", "fashion"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "[1/1") {
		t.Errorf("-n: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	rs := []result{
		{job: jobs[0], Commit: "abc", Date: "2026-01-01T00:00:00Z", Seconds: 3, Figures: map[string]float64{"ll": -3.25, "rows": 30}},
		{job: jobs[1], Commit: "abc", Error: "exit status 1"},
	}
	if err := write(dir, rs); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "figures.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## fashion", "commit abc", "| ll | -3.25 |", "| rows | 30 |", "**failed:** exit status 1"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("figures.md lacks %q:\n%s", want, md)
		}
	}
}
