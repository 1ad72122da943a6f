package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/pelicanhq/pelican/internal/aof"
	"github.com/pelicanhq/pelican/internal/rdb"
	"github.com/pelicanhq/pelican/internal/vfs"
	"github.com/spf13/cobra"
)

// newCheckCommand returns "pelican check [--repair] DIR": it reads every
// file of a data directory's append-only files, reports what it holds and
// any damage, and with --repair salvages what is valid.
func newCheckCommand(stdout, stderr io.Writer) *cobra.Command {
	var repair bool
	var dirName, fileName string
	cmd := &cobra.Command{
		Use:   "check [--repair] DIR",
		Short: "Check (and repair) a data directory's append-only files",
		Long: `Reads the append-only files of the data directory DIR (as given to pelican server --dir)
and reports what they hold and any damage. Exit status: 0 sound, 1 damaged or failed, 2 usage.`,
		Example: `  pelican check ./data
  pelican check --repair ./data    # with no server running on it`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return exitCode(runCheck(args[0], repair, dirName, fileName, stdout, stderr))
		},
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return nil, cobra.ShellCompDirectiveFilterDirs
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&repair, "repair", false, "cut damaged files back to their valid part and set aside the files after a damaged one")
	fs.StringVar(&dirName, "appenddirname", "appendonlydir", "name of the append-only directory inside DIR")
	fs.StringVar(&fileName, "appendfilename", "appendonly.aof", "prefix of the append-only files' names")
	return cmd
}

// runCheck checks (and with repair, repairs) the data directory dir and
// returns the exit code.
func runCheck(dir string, repair bool, dirName, fileName string, stdout, stderr io.Writer) int {
	c := checker{fs: vfs.Default, out: stdout, dir: dir, aofDir: filepath.Join(dir, dirName), fileName: fileName}
	if repair {
		lock, err := c.fs.Lock(filepath.Join(c.dir, "pelican.lock"))
		switch {
		case errors.Is(err, vfs.ErrLocked):
			fmt.Fprintf(stderr, "pelican check: %s is in use (a server holds it): stop it before repairing\n", c.dir)
			return 1
		case err != nil:
			fmt.Fprintf(stderr, "pelican check: %v\n", err)
			return 1
		}
		defer lock.Close()
	}
	damaged, err := c.run(repair)
	if err != nil {
		fmt.Fprintf(stderr, "pelican check: %v\n", err)
		return 1
	}
	if damaged && !repair {
		if c.baseDamaged {
			fmt.Fprintf(stdout, "damaged: the base file holds the data every later file builds on; restore %s from a backup\n", c.dir)
		} else {
			fmt.Fprintf(stdout, "damaged: run 'pelican check --repair %s' (with no server running on it) to keep what is valid\n", c.dir)
		}
		return 1
	}
	return 0
}

// checker reads one data directory.
type checker struct {
	fs       vfs.FS
	out      io.Writer
	dir      string
	aofDir   string
	fileName string
	// baseDamaged is set when the base file cannot be read.
	baseDamaged bool
}

// run checks every file the manifest names, repairing if asked, and
// reports whether it found damage.
func (c *checker) run(repair bool) (damaged bool, err error) {
	m, err := aof.ReadManifest(c.fs, c.aofDir, aof.ManifestName(c.fileName))
	if errors.Is(err, os.ErrNotExist) {
		return false, fmt.Errorf("%s has no append-only files (no %s)", c.dir, filepath.Join(c.aofDir, aof.ManifestName(c.fileName)))
	}
	if err != nil {
		return false, err
	}
	fmt.Fprintf(c.out, "manifest %s: base %s, %d incremental file(s)\n", aof.ManifestName(c.fileName), baseName(m), len(m.Incr))
	if m.Base != nil {
		if err := c.checkBase(m.Base.Name); err != nil {
			c.baseDamaged = true
			fmt.Fprintf(c.out, "  %s: DAMAGED: %v\n", m.Base.Name, err)
			if repair {
				return true, fmt.Errorf("the base file %s is damaged and nothing after it can be replayed without it; restore it from a backup", m.Base.Name)
			}
			return true, nil
		}
	}
	for i, fi := range m.Incr {
		last := i == len(m.Incr)-1
		path := filepath.Join(c.aofDir, fi.Name)
		n, rerr := c.checkIncr(path)
		var te *aof.TruncatedError
		var ce *aof.CorruptError
		switch {
		case rerr == nil:
			fmt.Fprintf(c.out, "  %s: ok, %d commands\n", fi.Name, n)
		case errors.As(rerr, &te):
			damaged = damaged || !last
			fmt.Fprintf(c.out, "  %s: %d commands, then an incomplete write of %d bytes at offset %d", fi.Name, n, te.Dropped, te.ValidUpTo)
			if last {
				fmt.Fprintln(c.out, " (a crash while writing; cut off at start)")
			} else {
				fmt.Fprintln(c.out, " (not the last file: DAMAGED)")
			}
			if repair {
				if err := c.cut(path, te.ValidUpTo, te.Dropped); err != nil {
					return true, err
				}
			}
			if !last {
				return true, c.setAside(repair, m, i+1)
			}
		case errors.As(rerr, &ce):
			fmt.Fprintf(c.out, "  %s: DAMAGED at offset %d after %d commands: %s\n", fi.Name, ce.Offset, n, ce.Reason)
			if repair {
				st, err := c.fs.Stat(path)
				if err != nil {
					return true, err
				}
				if err := c.cut(path, ce.Offset, st.Size()-ce.Offset); err != nil {
					return true, err
				}
			}
			return true, c.setAside(repair, m, i+1)
		default:
			return damaged, rerr
		}
	}
	if !damaged {
		fmt.Fprintln(c.out, "sound")
	}
	return damaged, nil
}

func baseName(m *aof.Manifest) string {
	if m.Base == nil {
		return "none"
	}
	return m.Base.Name
}

// checkBase reads a base file whole.
func (c *checker) checkBase(name string) error {
	f, err := c.fs.Open(filepath.Join(c.aofDir, name))
	if err != nil {
		return err
	}
	defer f.Close()
	if strings.HasSuffix(name, ".rdb") {
		r := rdb.NewReader(bufio.NewReader(f))
		keys := 0
		for {
			_, err := r.Next()
			if err == io.EOF {
				fmt.Fprintf(c.out, "  %s: ok, RDB version %d, %d keys\n", name, r.Version(), keys)
				return nil
			}
			if err != nil {
				return err
			}
			keys++
		}
	}
	n, err := c.checkIncr(filepath.Join(c.aofDir, name))
	if err == nil {
		fmt.Fprintf(c.out, "  %s: ok, %d commands\n", name, n)
	}
	return err
}

// checkIncr reads a file of commands and returns how many it holds before
// any damage.
func (c *checker) checkIncr(path string) (int, error) {
	f, err := c.fs.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := aof.NewReader(f, path)
	n := 0
	for {
		it, err := r.Next()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		switch it.Kind {
		case aof.KindCommand:
			n++
		case aof.KindTransaction:
			n += len(it.Txn)
		}
	}
}

// cut truncates path to size, reporting what is lost.
func (c *checker) cut(path string, size, dropped int64) error {
	f, err := c.fs.OpenReadWrite(path)
	if err != nil {
		return err
	}
	err = f.Truncate(size)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("cutting %s: %w", path, err)
	}
	fmt.Fprintf(c.out, "  repaired: %s cut to %d bytes; %d bytes after it are lost\n", filepath.Base(path), size, dropped)
	return nil
}

// setAside reports, and with repair removes from the manifest (renaming
// them to <name>.damaged), the incremental files from index from on: they
// follow a damaged file, so replaying them would apply changes to data
// that is not there.
func (c *checker) setAside(repair bool, m *aof.Manifest, from int) error {
	if from >= len(m.Incr) {
		return nil
	}
	for _, fi := range m.Incr[from:] {
		fmt.Fprintf(c.out, "  %s: follows the damage", fi.Name)
		if !repair {
			fmt.Fprintln(c.out, "; --repair sets it aside")
			continue
		}
		if err := c.fs.Rename(filepath.Join(c.aofDir, fi.Name), filepath.Join(c.aofDir, fi.Name+".damaged")); err != nil {
			return err
		}
		fmt.Fprintf(c.out, "; set aside as %s.damaged (its changes are lost)\n", fi.Name)
	}
	if !repair {
		return nil
	}
	m.Incr = m.Incr[:from]
	return aof.WriteManifest(c.fs, c.aofDir, aof.ManifestName(c.fileName), m)
}
