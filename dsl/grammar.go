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
	Model *gName   `"model" @@`
	Decls []*gDecl `@@*`
}

type gName struct {
	Pos  lexer.Position
	Name string `@Ident`
}

type gDecl struct {
	Const  *gConst  `  @@`
	Layer  *gLayer  `| @@`
	Param  *gParam  `| @@`
	Energy *gEnergy `| @@`
}

type gConst struct {
	Pos   lexer.Position
	Name  *gName `"const" @@ "="`
	Value *gSize `@@`
}

type gSize struct {
	Pos    lexer.Position
	Number *string `  @Number`
	Name   *string `| @Ident`
}

type gLayer struct {
	Pos  lexer.Position
	Role string   `@("visible" | "hidden")`
	Name *gName   `@@`
	Dims []*gSize `"[" @@ ("," @@)* "]"`
	Kind *gName   `@@`
}

type gParam struct {
	Pos   lexer.Position
	Name  *gName   `"param" @@`
	Dims  []*gSize `("[" @@ ("," @@)* "]")?`
	Init  *gInit   `("=" @@)?`
	Fixed bool     `@"fixed"?`
}

type gInit struct {
	Pos    lexer.Position
	Func   *gName     `  @@ "("`
	Args   []*gSigned `  @@ ("," @@)* ")"`
	Number *gSigned   `| @@`
	Word   *gName     `| @@`
}

type gSigned struct {
	Pos    lexer.Position
	Neg    bool   `@"-"?`
	Number string `@Number`
}

type gEnergy struct {
	Pos  lexer.Position
	Expr *gExpr `"energy" "=" @@`
}

type gExpr struct {
	Pos  lexer.Position
	Left *gTerm   `@@`
	Rest []*gAdd `@@*`
}

type gAdd struct {
	Pos  lexer.Position
	Op   string `@("+" | "-")`
	Term *gTerm `@@`
}

type gTerm struct {
	Pos  lexer.Position
	Left *gUnary `@@`
	Rest []*gMul `@@*`
}

type gMul struct {
	Pos   lexer.Position
	Op    string  `@("*" | "/")`
	Unary *gUnary `@@`
}

type gUnary struct {
	Pos   lexer.Position
	Neg   *gUnary `  "-" @@`
	Sum   *gSum   `| @@`
	Power *gPower `| @@`
}

type gSum struct {
	Pos     lexer.Position
	Indices []*gName `"sum" "(" @@ ("," @@)* ")"`
	Body    *gTerm   `@@`
}

type gPower struct {
	Pos  lexer.Position
	Base *gPrimary `@@`
	Exp  *gUnary   `("^" @@)?`
}

type gPrimary struct {
	Pos    lexer.Position
	Number *string `  @Number`
	Call   *gCall  `| @@`
	Ref    *gRef   `| @@`
	Paren  *gExpr  `| "(" @@ ")"`
}

type gCall struct {
	Pos  lexer.Position
	Func *gName `@@ "("`
	Arg  *gExpr `@@ ")"`
}

type gRef struct {
	Pos     lexer.Position
	Name    string   `@Ident`
	Indices []*gName `("[" @@ ("," @@)* "]")?`
}
