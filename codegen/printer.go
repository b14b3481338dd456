package codegen

import (
	"bytes"
	"fmt"
	"strings"

	"golang.org/x/tools/imports"
)

// printer accumulates generated Go source line by line (protogen's P).
type printer struct {
	buf bytes.Buffer
}

// P writes its arguments, formatted with fmt.Sprint without spaces, and a newline.
func (p *printer) P(args ...any) {
	for _, a := range args {
		fmt.Fprint(&p.buf, a)
	}
	p.buf.WriteByte('\n')
}

// Pf writes a formatted line.
func (p *printer) Pf(format string, args ...any) {
	fmt.Fprintf(&p.buf, format, args...)
	p.buf.WriteByte('\n')
}

// Doc writes a doc comment, one // line per line of text.
func (p *printer) Doc(text string) {
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if l == "" {
			p.P("//")
		} else {
			p.P("// ", l)
		}
	}
}

// format runs goimports on the source (which also drops the imports a model
// does not use); when it does not parse, the error
// carries a line-numbered listing so the bug in the generator can be found.
func format(filename string, src []byte) ([]byte, error) {
	out, err := imports.Process(filename, src, &imports.Options{Comments: true, TabIndent: true, TabWidth: 8, FormatOnly: false})
	if err != nil {
		var b strings.Builder
		for i, l := range strings.Split(string(src), "\n") {
			fmt.Fprintf(&b, "%5d  %s\n", i+1, l)
		}
		return nil, fmt.Errorf("codegen: generated code for %s does not parse: %v\n%s", filename, err, b.String())
	}
	return out, nil
}
