package redistest

import (
	"strconv"
	"strings"
)

// VersionAtLeast reports whether Redis version v (such as "7.0.15") is at
// least min (such as "7.2"). Unparsable parts count as zero.
func VersionAtLeast(v, min string) bool {
	a, b := strings.Split(v, "."), strings.Split(min, ".")
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y int
		if i < len(a) {
			x, _ = strconv.Atoi(a[i])
		}
		if i < len(b) {
			y, _ = strconv.Atoi(b[i])
		}
		if x != y {
			return x > y
		}
	}
	return true
}
