//go:build unix

// Package cputime reads how much CPU time processes have used, for
// benchmarks and tests that report CPU per operation.
package cputime

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Self returns the CPU time (user and system) this process has used, or 0
// if it cannot be read.
func Self() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// clockTicks is the kernel's USER_HZ, the unit of /proc/<pid>/stat's CPU
// times: 100 on every Linux Go supports.
const clockTicks = 100

// Of returns the CPU time (user and system) process pid has used, from
// /proc/<pid>/stat (Linux), or 0 if pid is 0 or the file cannot be read.
func Of(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces; the fields after it
	// start after its closing parenthesis.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(fields[11], 10, 64)
	st, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(ut+st) * time.Second / clockTicks
}
