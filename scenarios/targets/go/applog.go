// The service's log files, like supervised-log's out.log and err.log:
// opened with O_APPEND|O_CREAT and written one line per write(2), so that
// a disk fault (ENOSPC, EIO) scoped to the path hits exactly these calls.

package main

import (
	"os"
	"path/filepath"
	"sync"
	"time"
)

// reopenEvery: fixed, how often a log that could not be opened is tried again
const reopenEvery = time.Second

type logFile struct {
	path     string
	f        *os.File
	failing  bool // fixed: lines are being dropped
	dropped  uint64
	nextOpen time.Time
}

type logSet struct {
	mu       sync.Mutex
	out, err logFile
}

var logs = &logSet{}

func (l *logSet) open(dir string) {
	if err := os.MkdirAll(dir, 0755); err != nil {
		say("cannot create '%s': %v", dir, err)
	}
	l.out.path = filepath.Join(dir, "out.log")
	l.err.path = filepath.Join(dir, "err.log")
	l.mu.Lock()
	defer l.mu.Unlock()
	l.out.reopen()
	l.err.reopen()
}

// reopen returns the open error (nil when open or not configured).
func (f *logFile) reopen() error {
	if f.f != nil || f.path == "" {
		return nil
	}
	fd, err := os.OpenFile(f.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0644)
	if err != nil {
		f.failed("open", err, 0)
		return err
	}
	f.f = fd
	return nil
}

// failed: buggy, an uncaught error ends the service (the incident's
// "Callback was already called." that took the site down); fixed, said
// once, and the line dropped.
func (f *logFile) failed(what string, err error, n int) {
	if !opt.fixed() {
		say("uncaught exception: %s %s: %v", what, f.path, unwrapPath(err))
		leave(1)
	}
	if !f.failing {
		say("cannot %s '%s': %v (dropping log lines until it works again)",
			what, f.path, unwrapPath(err))
	}
	f.failing = true
	f.dropped += uint64(n)
	f.nextOpen = time.Now().Add(reopenEvery)
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

func (f *logFile) write(line string) {
	if f.path == "" {
		return
	}
	if f.f == nil {
		if time.Now().Before(f.nextOpen) {
			f.dropped += uint64(len(line))
			return
		}
		if f.reopen() != nil {
			f.dropped += uint64(len(line))
			return
		}
	}
	if _, err := f.f.Write([]byte(line)); err != nil {
		f.failed("write to", err, len(line))
		return
	}
	if f.failing {
		say("writing to '%s' again (%d bytes dropped)", f.path, f.dropped)
		f.failing = false
		f.dropped = 0
	}
}

func (l *logSet) access(line string) {
	l.mu.Lock()
	l.out.write(line + "\n")
	l.mu.Unlock()
}

func (l *logSet) failure(line string) {
	l.mu.Lock()
	l.err.write(time.Now().UTC().Format(time.RFC3339) + " " + line + "\n")
	l.mu.Unlock()
}
