// Package cli implements the pelican command: a root command and one file
// per subcommand (or family of subcommands), built with cobra.
//
// Conventions every subcommand follows:
//   - exit status 0 when it did its job, 1 when it failed, 2 for a usage
//     error (an unknown flag, a missing argument), so scripts can tell them
//     apart;
//   - tables for people on stdout, and with --json the whole data as JSON
//     instead;
//   - errors on stderr, saying what to do about them;
//   - colour only on a terminal, and never when NO_COLOR is set.
package cli

import (
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Main runs the pelican command with the given arguments (without the
// program name) and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	if err == nil {
		return 0
	}
	var code exitCode
	if errors.As(err, &code) {
		return int(code)
	}
	name := "pelican"
	if cmd != nil {
		name = cmd.CommandPath()
	}
	if cmd != nil && cmd.Annotations[targetAnnotation] != "" {
		if f := cmd.Flags().Lookup("timeout"); f != nil {
			err = explainTimeout(err, f.Value.String())
		}
	}
	var usage *usageError
	if errors.As(err, &usage) || isCobraUsage(err) {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		if cmd != nil {
			fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
		return 2
	}
	fmt.Fprintf(stderr, "%s: %v\n", name, err)
	return 1
}

// newRoot returns the pelican command with every subcommand.
func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "pelican",
		Short: "Reliable message processing on Redis Streams",
		Long: `Pelican processes messages on Redis Streams without losing them: retries from the
pending list, claiming after a crash, a dead-letter queue you can inspect and redrive.

Commands that look at streams reach a server with --url (or $PELICAN_URL; default
redis://127.0.0.1:6379), or open a data directory with --dir.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE:          parentRunE(stderr),
		Args:          cobra.ArbitraryArgs,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{flagError(err)} })
	root.AddCommand(
		newServerCommand(stdout, stderr),
		newCheckCommand(stdout, stderr),
		newDemoCommand(stdout, stderr),
		newStreamsCommand(stdout, stderr),
		newGroupsCommand(stdout, stderr),
		newConsumersCommand(stdout, stderr),
		newPendingCommand(stdout, stderr),
		newClaimCommand(stdout, stderr),
		newPeekCommand(stdout, stderr),
		newTrimCommand(stdout, stderr),
		newDlqCommand(stdout, stderr),
		newTopCommand(stdout, stderr),
	)
	root.CompletionOptions.HiddenDefaultCmd = false
	root.InitDefaultCompletionCmd()
	if c, _, err := root.Find([]string{"completion"}); err == nil && c.Name() == "completion" {
		// An unknown shell is a mistake in the command line, not help.
		c.Args = func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unknown shell %q: give bash, zsh, fish or powershell", args[0])
			}
			return nil
		}
		c.RunE = func(cmd *cobra.Command, args []string) error {
			return usageErrorf("give a shell: bash, zsh, fish or powershell")
		}
	}
	root.Version = version()
	root.SetVersionTemplate("pelican {{.Version}}\n")
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print Pelican's version",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintf(stdout, "pelican %s\n", version())
			return err
		},
	})
	return root
}

// version is the module version the binary was built from, with the
// commit when it was built from a checkout ("(devel)" otherwise).
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := info.Main.Version
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = ", modified"
			}
		}
	}
	if rev != "" {
		v += " (commit " + rev[:min(12, len(rev))] + modified + ")"
	}
	return v + " " + info.GoVersion
}

// parentRunE is the RunE of a command that only gathers subcommands:
// without one it prints its help to stderr and exits 2; an unknown one is
// a usage error.
func parentRunE(stderr io.Writer) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 {
			return usageErrorf("unknown command %q", args[0])
		}
		cmd.SetOut(stderr)
		_ = cmd.Help()
		return exitCode(2)
	}
}

// exitCode ends a command with this exit status; whatever the command had
// to say it has already said.
type exitCode int

func (c exitCode) Error() string { return fmt.Sprintf("exit status %d", int(c)) }

// A usageError is a mistake in the command line: exit status 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usageErrorf returns a usageError with a formatted message.
func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// isCobraUsage reports whether err is one of cobra's own complaints about
// the command line, which it returns as plain errors.
func isCobraUsage(err error) bool {
	msg := err.Error()
	return strings.HasPrefix(msg, "unknown command") || strings.HasPrefix(msg, "unknown flag") ||
		strings.HasPrefix(msg, "unknown shorthand flag") || strings.Contains(msg, "flag needs an argument") ||
		strings.HasPrefix(msg, "required flag") || strings.HasPrefix(msg, "invalid argument") ||
		strings.HasPrefix(msg, "if any flags in the group")
}

// flagError words a flag's value that does not parse as people read it:
// `--orders: "abc" is not a whole number` rather than pflag's `invalid
// argument "abc" for "--orders" flag: strconv.ParseInt: parsing "abc":
// invalid syntax`.
func flagError(err error) error {
	var inv *pflag.InvalidValueError
	if !errors.As(err, &inv) {
		return err
	}
	f := inv.GetFlag()
	var num *strconv.NumError
	var why string
	switch {
	case errors.As(err, &num) && errors.Is(num.Err, strconv.ErrRange):
		why = "is out of range"
	case errors.As(err, &num) && f.Value.Type() == "bool":
		why = "is not true or false"
	case errors.As(err, &num) && strings.HasPrefix(f.Value.Type(), "float"):
		why = "is not a number"
	case errors.As(err, &num):
		why = "is not a whole number"
	default:
		why = errors.Unwrap(inv).Error()
	}
	return fmt.Errorf("--%s: %q %s", f.Name, inv.GetValue(), why)
}

// noArgs refuses positional arguments, as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf("unexpected argument %q", args[0])
	}
	return nil
}

// exactArgs wants exactly n positional arguments, as a usage error.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageErrorf("wants %s, got %d (usage: %s)", arguments(n), len(args), cmd.UseLine())
		}
		return nil
	}
}

// arguments is "1 argument" or "2 arguments".
func arguments(n int) string {
	if n == 1 {
		return "1 argument"
	}
	return strconv.Itoa(n) + " arguments"
}

// fixedCompletion completes a flag's value from a fixed list.
func fixedCompletion(values ...string) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}
