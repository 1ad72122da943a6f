package conformance

import (
	"regexp"
	"testing"

	"github.com/pelicanhq/pelican/internal/redistest"
)

// TestDifferencesTableIsWellFormed checks every entry of the reviewed
// table: a unique ID, a version, a description and a citable source.
func TestDifferencesTableIsWellFormed(t *testing.T) {
	idPattern := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	versionPattern := regexp.MustCompile(`^\d+\.\d+(, \d+\.\d+)*$`)
	sourcePattern := regexp.MustCompile(`^https://(redis\.io/|github\.com/redis/redis/(pull|issues|releases|blob)/)`)
	seen := map[string]bool{}
	for _, d := range Differences {
		if !idPattern.MatchString(d.ID) {
			t.Errorf("difference ID %q is not lower-case words joined by hyphens", d.ID)
		}
		if seen[d.ID] {
			t.Errorf("difference ID %q is listed twice", d.ID)
		}
		seen[d.ID] = true
		if !versionPattern.MatchString(d.Since) {
			t.Errorf("%s: Since %q is not a version such as 7.2 (or a list of them)", d.ID, d.Since)
		}
		if !redistest.VersionAtLeast(d.LatestSince(), "7.1") {
			t.Errorf("%s: Since %q is not newer than the 7.0 reference", d.ID, d.Since)
		}
		if d.Description == "" {
			t.Errorf("%s: no description", d.ID)
		}
		if !sourcePattern.MatchString(d.Source) {
			t.Errorf("%s: source %q is neither a redis.io page nor a redis/redis pull request, issue or release", d.ID, d.Source)
		}
	}
}

// TestDifferencesAreAllUsed checks that every known difference is
// exercised by some script; the parser already refuses IDs missing from
// the table.
func TestDifferencesAreAllUsed(t *testing.T) {
	used := map[string]int{}
	for _, file := range scriptFiles(t) {
		for _, st := range loadScript(t, file).Steps {
			if st.Difference != "" {
				used[st.Difference]++
			}
		}
	}
	for _, d := range Differences {
		if used[d.ID] == 0 {
			t.Errorf("known difference %s is not used by any script in testdata", d.ID)
		}
	}
	for id := range used {
		if _, ok := DifferenceByID(id); !ok {
			t.Errorf("scripts use difference %s, which the table lacks", id)
		}
	}
}

func TestLatestSince(t *testing.T) {
	for since, want := range map[string]string{"7.2": "7.2", "7.2, 8.0": "8.0"} {
		if got := (Difference{Since: since}).LatestSince(); got != want {
			t.Errorf("LatestSince of %q = %q, want %q", since, got, want)
		}
	}
}
