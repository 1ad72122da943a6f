package dlq

import "testing"

func TestNormalize(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"order 88214 not found", "order <n> not found"},
		{"order 91007 not found", "order <n> not found"},
		{`user "alice" has no card`, "user <q> has no card"},
		{`user 'bob' has no card`, "user <q> has no card"},
		{"payment 3f2b9a1c-0d4e-4a5b-9c7d-1e2f3a4b5c6d declined", "payment <uuid> declined"},
		{"entry 1700000000000-3 missing", "entry <id> missing"},
		{"object at 0xc000123abc freed", "object at <hex> freed"},
		{"checksum deadbeef01 mismatch", "checksum <hex> mismatch"},
		{"timeout after 2.5s", "timeout after <n>s"},
		{"  spaces \t\n everywhere ", "spaces everywhere"},
		{"no digits at all", "no digits at all"},
		{"", ""},
	} {
		if got := Normalize(tc.in); got != tc.want {
			t.Errorf("Normalize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFingerprint(t *testing.T) {
	a, b := Fingerprint("order 88214 not found"), Fingerprint("order 91007 not found")
	if a != b {
		t.Errorf("same problem, different fingerprints: %s, %s", a, b)
	}
	if c := Fingerprint("order 88214 was cancelled"); c == a {
		t.Errorf("different problems share fingerprint %s", a)
	}
	if len(a) != 12 {
		t.Errorf("fingerprint %q: want 12 hex digits", a)
	}
}
