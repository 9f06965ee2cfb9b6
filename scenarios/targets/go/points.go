// Fault points switched on from outside, speaking libfiu's remote-control
// protocol over FIFOs (what fiu-ctrl and pooled-db.c's fiu_rc_fifo() do):
// with FAULTRUN_FIU_FIFO=BASENAME the service makes BASENAME-<pid>.in and
// .out, reads one command a line from .in ("enable name=pool/query",
// "disable name=pool/query") and answers each on .out ("0" done, "-1"
// not understood). libfiu itself is a C library; this is its protocol,
// so that the same test drivers and scenarios work against this service.
//
// Points: pool/acquire (the pool looks exhausted) and pool/query (the
// database goes silent while the point is on).

package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
)

type pointSet struct {
	mu    sync.Mutex
	state map[string]bool
}

var points = &pointSet{state: map[string]bool{}}

func (s *pointSet) on(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state[name]
}

func (s *pointSet) set(name string, v bool) {
	s.mu.Lock()
	s.state[name] = v
	s.mu.Unlock()
}

// command runs one line of the protocol; 0 or -1, as libfiu answers.
func (s *pointSet) command(line string) int {
	f := strings.Fields(line)
	if len(f) != 2 || !strings.HasPrefix(f[1], "name=") {
		return -1
	}
	name := strings.SplitN(strings.TrimPrefix(f[1], "name="), ",", 2)[0]
	switch f[0] {
	case "enable":
		s.set(name, true)
	case "disable":
		s.set(name, false)
	default:
		return -1
	}
	return 0
}

var fifoIn, fifoOut string

// startPoints makes the FIFOs and serves them in the background.
func startPoints(base string) error {
	fifoIn = fmt.Sprintf("%s-%d.in", base, os.Getpid())
	fifoOut = fmt.Sprintf("%s-%d.out", base, os.Getpid())
	for _, p := range []string{fifoIn, fifoOut} {
		if err := syscall.Mkfifo(p, 0600); err != nil && !errors.Is(err, syscall.EEXIST) {
			fifoIn, fifoOut = "", ""
			return err
		}
	}
	go servePoints()
	return nil
}

// servePoints: each client opens .in, writes its commands, closes it; the
// answers go to .out, which it opens to read them.
func servePoints() {
	for {
		in, err := os.Open(fifoIn) // blocks until a writer opens it
		if err != nil {
			return
		}
		out, err := os.OpenFile(fifoOut, os.O_WRONLY, 0)
		if err != nil {
			in.Close()
			return
		}
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			fmt.Fprintf(out, "%d\n", points.command(sc.Text()))
		}
		out.Close()
		in.Close()
	}
}

// removePoints: the FIFOs go when the process does (libfiu leaves them).
func removePoints() {
	if fifoIn != "" {
		os.Remove(fifoIn)
		os.Remove(fifoOut)
	}
}

// stallOnQueryPoint: while pool/query is on the database is silent.
// Buggy (no read timeout) waits as long as it lasts; fixed gives up after
// --db-timeout as its read timeout would, and the connection is dropped.
func stallOnQueryPoint() error {
	if !points.on("pool/query") {
		return nil
	}
	deadline := time.Now().Add(time.Duration(opt.dbTimeoutS) * time.Second)
	for points.on("pool/query") {
		if opt.fixed() && time.Now().After(deadline) {
			return errors.New("Lost connection to server during query (fault point pool/query)")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}
