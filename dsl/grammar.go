package dsl

import (
	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// The participle grammar. These tagged structs never leave the package:
// Parse converts them into the plain AST of ast.go.

var ebmLexer = lexer.MustSimple([]lexer.SimpleRule{
	{Name: "LineComment", Pattern: `//[^\n]*|#[^\n]*`},
	{Name: "BlockComment", Pattern: `/\*([^*]|\*+[^*/])*\*+/`},
	{Name: "Number", Pattern: `(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?`},
	{Name: "Keyword", Pattern: `(model|const|visible|hidden|param|energy|fixed|sum)\b`},
	{Name: "Ident", Pattern: `[A-Za-z_][A-Za-z0-9_]*`},
	{Name: "Punct", Pattern: `[-+*/^()\[\],=]`},
	{Name: "Space", Pattern: `\s+`},
})

var ebmParser = participle.MustBuild[gFile](
	participle.Lexer(ebmLexer),
	participle.Elide("LineComment", "BlockComment", "Space"),
	participle.UseLookahead(3),
)

type gFile struct {
	Pos   lexer.Position
	Model *gName   `parser:"'model' @@"`
	Decls []*gDecl `parser:"@@*"`
}

type gName struct {
	Pos  lexer.Position
	Name string `parser:"@Ident"`
}

type gDecl struct {
	Const  *gConst  `parser:"@@"`
	Layer  *gLayer  `parser:"| @@"`
	Param  *gParam  `parser:"| @@"`
	Energy *gEnergy `parser:"| @@"`
}

type gConst struct {
	Pos   lexer.Position
	Name  *gName `parser:"'const' @@ '='"`
	Value *gSize `parser:"@@"`
}

type gSize struct {
	Pos    lexer.Position
	Number *string `parser:"@Number"`
	Name   *string `parser:"| @Ident"`
}

type gLayer struct {
	Pos  lexer.Position
	Role string   `parser:"@('visible' | 'hidden')"`
	Name *gName   `parser:"@@"`
	Dims []*gSize `parser:"'[' @@ (',' @@)* ']'"`
	Kind *gKind   `parser:"@@"`
}

// gKind is a layer's unit kind; its own type so that a syntax error can
// say a kind was expected.
type gKind struct {
	Pos  lexer.Position
	Name string `parser:"@Ident"`
}

type gParam struct {
	Pos   lexer.Position
	Name  *gName   `parser:"'param' @@"`
	Dims  []*gSize `parser:"('[' @@ (',' @@)* ']')?"`
	Init  *gInit   `parser:"('=' @@)?"`
	Fixed bool     `parser:"@'fixed'?"`
}

type gInit struct {
	Pos    lexer.Position
	Func   *gName     `parser:"@@ '('"`
	Args   []*gSigned `parser:"@@ (',' @@)* ')'"`
	Number *gSigned   `parser:"| @@"`
	Word   *gName     `parser:"| @@"`
}

type gSigned struct {
	Pos    lexer.Position
	Neg    bool   `parser:"@'-'?"`
	Number string `parser:"@Number"`
}

type gEnergy struct {
	Pos  lexer.Position
	Expr *gExpr `parser:"'energy' '=' @@"`
}

type gExpr struct {
	Pos  lexer.Position
	Left *gTerm  `parser:"@@"`
	Rest []*gAdd `parser:"@@*"`
}

type gAdd struct {
	Pos  lexer.Position
	Op   string `parser:"@('+' | '-')"`
	Term *gTerm `parser:"@@"`
}

type gTerm struct {
	Pos  lexer.Position
	Left *gUnary `parser:"@@"`
	Rest []*gMul `parser:"@@*"`
}

type gMul struct {
	Pos   lexer.Position
	Op    string  `parser:"@('*' | '/')"`
	Unary *gUnary `parser:"@@"`
}

type gUnary struct {
	Pos   lexer.Position
	Neg   *gUnary `parser:"'-' @@"`
	Sum   *gSum   `parser:"| @@"`
	Power *gPower `parser:"| @@"`
}

type gSum struct {
	Pos     lexer.Position
	Indices []*gName `parser:"'sum' '(' @@ (',' @@)* ')'"`
	Body    *gTerm   `parser:"@@"`
}

type gPower struct {
	Pos  lexer.Position
	Base *gPrimary `parser:"@@"`
	Exp  *gUnary   `parser:"('^' @@)?"`
}

type gPrimary struct {
	Pos    lexer.Position
	Number *string `parser:"@Number"`
	Call   *gCall  `parser:"| @@"`
	Ref    *gRef   `parser:"| @@"`
	Paren  *gExpr  `parser:"| '(' @@ ')'"`
}

type gCall struct {
	Pos  lexer.Position
	Func *gName `parser:"@@ '('"`
	Arg  *gExpr `parser:"@@ ')'"`
}

type gRef struct {
	Pos     lexer.Position
	Name    string   `parser:"@Ident"`
	Indices []*gName `parser:"('[' @@ (',' @@)* ']')?"`
}
