package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"charm.land/lipgloss/v2"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// An output is where a command writes its result: a table or text for
// people, or with --json one JSON document holding the whole data.
type output struct {
	w     io.Writer
	json  bool
	color bool
}

// addOutputFlags adds --json to cmd and returns the output it fills in
// when the command runs.
func addOutputFlags(cmd *cobra.Command, stdout io.Writer) *output {
	o := &output{w: stdout}
	cmd.Flags().BoolVar(&o.json, "json", false, "print the whole result as JSON, for scripts, instead of a table")
	o.color = colorful(stdout)
	return o
}

// colorful reports whether w is a terminal that may show colour: never
// when NO_COLOR is set (https://no-color.org), nor for a pipe or a file.
func colorful(w io.Writer) bool {
	if os.Getenv("NO_COLOR") != "" {
		return false
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// isTerminal reports whether f is a terminal (for prompts and live
// progress, whatever NO_COLOR says).
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	return ok && term.IsTerminal(int(file.Fd()))
}

// printJSON writes v as indented JSON.
func (o *output) printJSON(v any) error {
	enc := json.NewEncoder(o.w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("writing JSON: %w", err)
	}
	return nil
}

// A table lines up rows of cells under a header, for people.
type table struct {
	o    *output
	buf  bytes.Buffer
	tw   *tabwriter.Writer
	rows int
}

// table starts a table with the given column names.
func (o *output) table(header ...string) *table {
	t := &table{o: o}
	t.tw = tabwriter.NewWriter(&t.buf, 0, 4, 2, ' ', 0)
	fmt.Fprintln(t.tw, strings.Join(header, "\t"))
	return t
}

// row adds a row; cells are written by cellText (integers with
// thousands separators).
func (t *table) row(cells ...any) {
	s := make([]string, len(cells))
	for i, c := range cells {
		s[i] = cellText(c)
	}
	fmt.Fprintln(t.tw, strings.Join(s, "\t"))
	t.rows++
}

// flush writes the table out. The header is styled only once the columns
// are lined up, so escape codes do not count as width.
func (t *table) flush() error {
	if err := t.tw.Flush(); err != nil {
		return err
	}
	head, rest, _ := strings.Cut(t.buf.String(), "\n")
	_, err := fmt.Fprintf(t.o.w, "%s\n%s", t.o.style(headStyle, strings.TrimRight(head, " ")), rest)
	return err
}

// Styles used when colour is on.
var (
	headStyle = lipgloss.NewStyle().Bold(true)
	warnStyle = lipgloss.NewStyle().Foreground(lipgloss.Color("3"))
	badStyle  = lipgloss.NewStyle().Foreground(lipgloss.Color("1")).Bold(true)
	goodStyle = lipgloss.NewStyle().Foreground(lipgloss.Color("2"))
)

// style renders s in st when colour is on, and leaves it alone otherwise.
func (o *output) style(st lipgloss.Style, s string) string {
	if !o.color {
		return s
	}
	return st.Render(s)
}
