package conformance

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pelicanhq/pelican/internal/resp"
)

// StepKind says what a script step does.
type StepKind int

// Step kinds.
const (
	// StepCommand runs a command on the current connection of each server.
	StepCommand StepKind = iota
	// StepRESP sends HELLO with a protocol version on the current
	// connection of each server.
	StepRESP
	// StepConn makes another connection current.
	StepConn
	// StepRecv reads the reply of the command the current connection sent
	// with !block.
	StepRecv
	// StepPush reads one more reply that no command of the current
	// connection is waiting for: a published message, or the second and
	// later replies of SUBSCRIBE or UNSUBSCRIBE with several channels.
	StepPush
)

// Step is one action of a script.
type Step struct {
	// Line is the 1-based line of the script the step comes from.
	Line int
	Kind StepKind
	// Args is the command of a StepCommand.
	Args []string
	// Conn names the connection of a StepConn.
	Conn string
	// Proto is the protocol version of a StepRESP.
	Proto int
	// Block sends the command without reading its reply and waits until
	// each server counts one more blocked client.
	Block bool
	// PelicanOnly is the redis.io page of a command the reference Redis
	// lacks; the command runs on Pelican only and Want is its reply.
	PelicanOnly string
	// Difference is the ID of a known difference (see Differences): the
	// replies must be WantRedis and WantPelican.
	Difference string
	// Want, when set, is the normalised reply every server must give
	// (Pelican's alone for a PelicanOnly step).
	Want string
	// WantRedis and WantPelican are the replies of a Difference step.
	WantRedis, WantPelican string
	// WantLine, WantRedisLine and WantPelicanLine are the lines the
	// expected replies were read from.
	WantLine, WantRedisLine, WantPelicanLine int
}

// Script is a parsed conformance script.
type Script struct {
	// Name is the file's base name without its extension.
	Name string
	// Requires lists commands (with a subcommand where one is given) that
	// Pelican must know for the script to run.
	Requires [][]string
	// RequirePass, when set, is the password both servers are started
	// with (redis-server --requirepass, engine.Config.RequirePass).
	RequirePass string
	Steps       []Step
}

// ParseScript parses a script. name is used in error messages and as the
// script's Name.
func ParseScript(name, text string) (*Script, error) {
	s := &Script{Name: strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))}
	p := parser{script: s, name: name}
	for i, raw := range strings.Split(text, "\n") {
		p.line = i + 1
		if err := p.parseLine(strings.TrimSpace(raw)); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, p.line, err)
		}
	}
	if err := p.finish(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return s, nil
}

// parser holds the modifiers waiting for the next command.
type parser struct {
	script *Script
	name   string
	line   int

	block       bool
	pelicanOnly string
	difference  string
	modLine     int
}

func (p *parser) pendingModifier() bool {
	return p.block || p.pelicanOnly != "" || p.difference != ""
}

func (p *parser) parseLine(line string) error {
	switch {
	case line == "" || strings.HasPrefix(line, "#"):
		return nil
	case strings.HasPrefix(line, "=>"):
		return p.expect("", strings.TrimSpace(strings.TrimPrefix(line, "=>")))
	case strings.HasPrefix(line, "redis ") || strings.HasPrefix(line, "pelican "):
		who, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		if !strings.HasPrefix(rest, "=>") {
			return fmt.Errorf("%q must be followed by => and a reply", who)
		}
		return p.expect(who, strings.TrimSpace(strings.TrimPrefix(rest, "=>")))
	case strings.HasPrefix(line, "!"):
		return p.directive(line)
	}
	args, err := splitArgs(line)
	if err != nil {
		return err
	}
	return p.addCommand(args)
}

func splitArgs(line string) ([]string, error) {
	words, ok := resp.SplitArgs([]byte(line))
	if !ok {
		return nil, fmt.Errorf("unbalanced quotes in %q", line)
	}
	args := make([]string, len(words))
	for i, w := range words {
		args[i] = string(w)
	}
	return args, nil
}

// addCommand adds a command step, applying the pending modifiers.
func (p *parser) addCommand(args []string) error {
	st := Step{Line: p.line, Kind: StepCommand, Args: args,
		Block: p.block, PelicanOnly: p.pelicanOnly, Difference: p.difference}
	if st.Block && st.PelicanOnly != "" {
		return fmt.Errorf("!block and !pelican-only cannot be combined")
	}
	if st.Block && st.Difference != "" {
		return fmt.Errorf("a blocked command has no reply to differ: put !differs before its !recv")
	}
	p.block, p.pelicanOnly, p.difference = false, "", ""
	p.script.Steps = append(p.script.Steps, st)
	return nil
}

// takesReply reports whether a step of kind k reads a reply that an
// expectation may follow.
func takesReply(k StepKind) bool { return k == StepCommand || k == StepRecv || k == StepPush }

// expect attaches an expected reply to the last step. who is "" for
// "=> reply", else "redis" or "pelican".
func (p *parser) expect(who, reply string) error {
	if reply == "" {
		return fmt.Errorf("expected reply missing after =>")
	}
	if p.pendingModifier() {
		return fmt.Errorf("expected reply between a modifier and its command")
	}
	n := len(p.script.Steps)
	if n == 0 || !takesReply(p.script.Steps[n-1].Kind) {
		return fmt.Errorf("expected reply must follow a command, !recv or !push")
	}
	st := &p.script.Steps[n-1]
	if st.Block {
		return fmt.Errorf("a command sent with !block has no reply yet: give it after !recv")
	}
	var slot *string
	var line *int
	switch {
	case who == "" && st.Difference != "":
		return fmt.Errorf("a !differs step takes \"redis => ...\" and \"pelican => ...\", not \"=> ...\"")
	case who == "":
		slot, line = &st.Want, &st.WantLine
	case st.Difference == "":
		return fmt.Errorf("%q => is only for steps declared with !differs", who)
	case who == "redis":
		slot, line = &st.WantRedis, &st.WantRedisLine
	default:
		slot, line = &st.WantPelican, &st.WantPelicanLine
	}
	if *slot != "" {
		return fmt.Errorf("second expected reply for the same step")
	}
	*slot, *line = reply, p.line
	return nil
}

func (p *parser) directive(line string) error {
	fields := strings.Fields(line)
	name, args := fields[0], fields[1:]
	switch name {
	case "!requires", "!requirepass", "!resp", "!conn", "!repeat":
		if p.pendingModifier() {
			return fmt.Errorf("%s between a modifier and its command", name)
		}
	}
	switch name {
	case "!requires":
		if len(p.script.Steps) > 0 {
			return fmt.Errorf("!requires must come before the first step")
		}
		if len(args) == 0 {
			return fmt.Errorf("!requires needs a command name")
		}
		p.script.Requires = append(p.script.Requires, args)
	case "!requirepass":
		if len(p.script.Steps) > 0 || len(args) != 1 {
			return fmt.Errorf("!requirepass takes a password and must come before the first step")
		}
		p.script.RequirePass = args[0]
	case "!resp":
		if len(args) != 1 || (args[0] != "2" && args[0] != "3") {
			return fmt.Errorf("!resp takes 2 or 3")
		}
		v, _ := strconv.Atoi(args[0])
		p.script.Steps = append(p.script.Steps, Step{Line: p.line, Kind: StepRESP, Proto: v})
	case "!conn":
		if len(args) != 1 {
			return fmt.Errorf("!conn takes one connection name")
		}
		p.script.Steps = append(p.script.Steps, Step{Line: p.line, Kind: StepConn, Conn: args[0]})
	case "!block":
		if len(args) != 0 || p.block {
			return fmt.Errorf("!block takes no arguments and applies to the next command")
		}
		p.block = true
	case "!recv":
		if len(args) != 0 {
			return fmt.Errorf("!recv takes no arguments")
		}
		if p.block || p.pelicanOnly != "" {
			return fmt.Errorf("!recv cannot follow !block or !pelican-only")
		}
		p.script.Steps = append(p.script.Steps, Step{Line: p.line, Kind: StepRecv, Difference: p.difference})
		p.difference = ""
	case "!push":
		if len(args) != 0 {
			return fmt.Errorf("!push takes no arguments")
		}
		if p.block || p.pelicanOnly != "" {
			return fmt.Errorf("!push cannot follow !block or !pelican-only")
		}
		p.script.Steps = append(p.script.Steps, Step{Line: p.line, Kind: StepPush, Difference: p.difference})
		p.difference = ""
	case "!pelican-only":
		if len(args) != 1 || !strings.HasPrefix(args[0], "https://redis.io/") {
			return fmt.Errorf("!pelican-only takes the https://redis.io/ page of the command")
		}
		p.pelicanOnly = args[0]
	case "!differs":
		if len(args) != 1 {
			return fmt.Errorf("!differs takes the ID of a known difference")
		}
		if _, ok := DifferenceByID(args[0]); !ok {
			return fmt.Errorf("!differs %s: no such ID in the Differences table (differences.go)", args[0])
		}
		p.difference = args[0]
	case "!repeat":
		return p.repeat(line)
	default:
		return fmt.Errorf("unknown directive %s", name)
	}
	p.modLine = p.line
	return nil
}

// repeat expands "!repeat N command..." into N commands.
func (p *parser) repeat(line string) error {
	rest := strings.TrimSpace(strings.TrimPrefix(line, "!repeat"))
	countStr, cmd, ok := strings.Cut(rest, " ")
	n, err := strconv.Atoi(countStr)
	if !ok || err != nil || n < 1 {
		return fmt.Errorf("!repeat takes a positive count and a command")
	}
	tmpl, err := splitArgs(strings.TrimSpace(cmd))
	if err != nil {
		return err
	}
	if len(tmpl) == 0 {
		return fmt.Errorf("!repeat needs a command")
	}
	for i := 1; i <= n; i++ {
		args := make([]string, len(tmpl))
		for j, a := range tmpl {
			if args[j], err = expandTemplate(a, i); err != nil {
				return err
			}
		}
		if err := p.addCommand(args); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) finish() error {
	if p.pendingModifier() {
		return fmt.Errorf("line %d: modifier without a command after it", p.modLine)
	}
	for _, st := range p.script.Steps {
		switch {
		case st.PelicanOnly != "" && st.Want == "":
			return fmt.Errorf("line %d: !pelican-only command needs \"=> reply\"", st.Line)
		case st.Difference != "" && (st.WantRedis == "" || st.WantPelican == ""):
			return fmt.Errorf("line %d: !differs step needs both \"redis => reply\" and \"pelican => reply\"", st.Line)
		}
	}
	return nil
}

// expandTemplate replaces each {expr} in s for iteration i. expr is
// "i" optionally followed by operators and integers evaluated left to
// right ("i%7*3"), or "pad:C:expr": the character C repeated expr times.
func expandTemplate(s string, i int) (string, error) {
	var b strings.Builder
	for {
		open := strings.IndexByte(s, '{')
		if open < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		end := strings.IndexByte(s[open:], '}')
		if end < 0 {
			return "", fmt.Errorf("unclosed { in %q", s)
		}
		b.WriteString(s[:open])
		expr := s[open+1 : open+end]
		s = s[open+end+1:]
		if rest, ok := strings.CutPrefix(expr, "pad:"); ok {
			ch, e, ok := strings.Cut(rest, ":")
			if !ok || len(ch) != 1 {
				return "", fmt.Errorf("{pad:C:expr} needs one character and an expression, got {%s}", expr)
			}
			n, err := evalExpr(e, i)
			if err != nil {
				return "", err
			}
			b.WriteString(strings.Repeat(ch, max(n, 0)))
			continue
		}
		n, err := evalExpr(expr, i)
		if err != nil {
			return "", err
		}
		b.WriteString(strconv.Itoa(n))
	}
}

// evalExpr evaluates operands (i or an integer) joined by operators
// (+ - * / %), left to right, without precedence.
func evalExpr(expr string, i int) (int, error) {
	e := strings.ReplaceAll(expr, " ", "")
	operand := func() (int, error) {
		if strings.HasPrefix(e, "i") {
			e = e[1:]
			return i, nil
		}
		j := 0
		for j < len(e) && e[j] >= '0' && e[j] <= '9' {
			j++
		}
		n, err := strconv.Atoi(e[:j])
		if err != nil {
			return 0, fmt.Errorf("template expression {%s}: operand must be i or an integer", expr)
		}
		e = e[j:]
		return n, nil
	}
	v, err := operand()
	if err != nil {
		return 0, err
	}
	for e != "" {
		op := e[0]
		e = e[1:]
		n, err := operand()
		if err != nil {
			return 0, err
		}
		switch op {
		case '+':
			v += n
		case '-':
			v -= n
		case '*':
			v *= n
		case '/', '%':
			if n == 0 {
				return 0, fmt.Errorf("template expression {%s} divides by zero", expr)
			}
			if op == '/' {
				v /= n
			} else {
				v %= n
			}
		default:
			return 0, fmt.Errorf("template expression {%s}: unknown operator %q", expr, op)
		}
	}
	return v, nil
}
