package expr

// TextColumns is a textual SELECT whose result columns are named, by
// position, by column designators: SQLAlchemy's text(...).columns(...).
// It lets a FromStatement query map columns with duplicate, anonymous or
// unexpected names.
type TextColumns struct {
	Text *TextExpr
	Cols []Expr
}

// Columns names the statement's result columns in order: field pointers
// (&U.Name), column names, or expressions.
func (t *TextExpr) Columns(cols ...any) *TextColumns {
	tc := &TextColumns{Text: t, Cols: make([]Expr, len(cols))}
	for i, c := range cols {
		tc.Cols[i] = asExpr(c)
	}
	return tc
}

// Bind returns a copy with more parameters merged in.
func (t *TextColumns) Bind(p P) *TextColumns { return &TextColumns{Text: t.Text.Bind(p), Cols: t.Cols} }

func (*TextColumns) statement() {}

// AppendSQL writes the text unchanged (parameters translated).
func (t *TextColumns) AppendSQL(c *Compiler) { t.Text.AppendSQL(c) }
