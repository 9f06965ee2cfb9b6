// The supervisor: PM2's role, as supervised-log.c plays it (see main.go).
//
// One goroutine (the loop) owns all the state; the app's pipes, its exit
// and the signals come to it as events on one channel, so a chunk of
// output the app wrote before it died is logged before its exit is seen,
// as supervised-log.c drains the pipes before it reaps.
//
// --variant buggy, as in the postmortem: a failed log write or open is an
// uncaught error ("Callback was already called."); the supervisor stops
// the app to resurrect it, saving the state file first, and when that
// save fails (dump.pm2's EACCES) the app is never brought back, while the
// supervisor runs on. --variant fixed: a failed log write is reported once
// and the output dropped (the pipes are still drained), logging resumes
// when a write works; a failed state save is reported and retried every
// second, and the app is restarted all the same.

package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

const (
	stateRetry  = time.Second
	reopenEvery = time.Second
	stopGrace   = 3 * time.Second // SIGTERM, then SIGKILL this long after
	drainBound  = time.Second     // a pipe a grandchild keeps open
)

type appStatus int

const (
	appOnline appStatus = iota
	appWaiting
	appResurrecting // buggy: stopped after an uncaught error
	appErrored      // buggy: the resurrection failed, never restarted
	appStopping     // the supervisor is shutting down
)

// PM2's words for a status, as the state file says them (common.c)
var statusNames = [...]string{"online", "waiting restart", "stopping", "errored", "stopping"}

// One output stream of the app: its log file.
type stream struct {
	file, path string
	log        *os.File
	failing    bool // fixed: writes are being dropped
	dropped    uint64
	nextOpen   time.Time
}

type eventKind int

const (
	evChunk eventKind = iota
	evExit
)

type event struct {
	kind   eventKind
	stream int
	data   []byte
	state  *os.ProcessState
}

type supervisor struct {
	self         string
	proc         *os.Process // nil when not running
	status       appStatus
	restarts     int
	restartAt    time.Time
	stopDeadline time.Time
	out          [2]stream
	events       chan event

	stateDirty    bool // fixed: a save failed and must be retried
	stateRetryAt  time.Time
	stateFailures int
}

var sup = supervisor{
	out: [2]stream{{file: "out.log"}, {file: "err.log"}},
	// buffered: the pipe readers and the waiter never wait long for the loop
	events: make(chan event, 64),
}

// say: "supervisor: message" on stderr in one write, like tc_say().
func say(format string, args ...interface{}) {
	os.Stderr.WriteString("supervisor: " + fmt.Sprintf(format, args...) + "\n")
}

// errnoOf: the errno behind a Go error, EIO when there is none (a short
// write: a full disk with no errno to say it, as tc_write_file says).
func errnoOf(err error) syscall.Errno {
	var en syscall.Errno
	if errors.As(err, &en) {
		return en
	}
	return syscall.EIO
}

// strerror: the C library's words ("No space left on device"); Go's
// syscall.Errno table has them in lower case.
func strerror(en syscall.Errno) string {
	s := en.Error()
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	return s
}

// saveState rewrites the state file like PM2's dump.pm2, in one
// open(O_WRONLY|O_CREAT|O_TRUNC) and one write(2), the calls a fault fails
// by path. Returns 0 or the errno.
func (s *supervisor) saveState() syscall.Errno {
	pid := 0
	if s.proc != nil {
		pid = s.proc.Pid
	}
	buf := fmt.Sprintf("{\"apps\": [{\"name\": \"%s\", \"pid\": %d, \"port\": %d, "+
		"\"status\": \"%s\", \"restarts\": %d, \"out_log\": \"%s\", \"err_log\": \"%s\"}]}\n",
		opt.name, pid, opt.port, statusNames[s.status], s.restarts,
		s.out[0].path, s.out[1].path)
	f, err := os.OpenFile(opt.statePath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0600)
	if err != nil {
		return errnoOf(err)
	}
	_, werr := f.WriteString(buf)
	cerr := f.Close()
	if werr != nil {
		return errnoOf(werr)
	}
	if cerr != nil {
		return errnoOf(cerr)
	}
	return 0
}

// stateChanged saves on a change. Buggy: report and forget. Fixed: retry
// until it works.
func (s *supervisor) stateChanged() {
	en := s.saveState()
	if en == 0 {
		if s.stateFailures > 0 {
			say("state saved to '%s' after %d failed attempts", opt.statePath,
				s.stateFailures)
		}
		s.stateDirty = false
		s.stateFailures = 0
		return
	}
	if opt.buggy() {
		say("cannot save state to '%s': %s", opt.statePath, strerror(en))
		return
	}
	if s.stateFailures == 0 {
		say("cannot save state to '%s': %s (retrying every %.0f s)", opt.statePath,
			strerror(en), stateRetry.Seconds())
	}
	s.stateFailures++
	s.stateDirty = true
	s.stateRetryAt = time.Now().Add(stateRetry)
}

func (s *supervisor) closeLogs() {
	for i := range s.out {
		if s.out[i].log != nil {
			s.out[i].log.Close()
		}
		s.out[i].log = nil
	}
}

func (s *supervisor) restartLater() {
	s.status = appWaiting
	s.restartAt = time.Now().Add(time.Duration(opt.restartDelayMs) * time.Millisecond)
}

// resurrect (buggy) saves the process list first; when that fails the app
// is never brought back, while the supervisor itself runs on.
func (s *supervisor) resurrect() {
	if en := s.saveState(); en != 0 {
		say("resurrect failed: cannot save the process list to '%s': %s; "+
			"app '%s' is not restarted", opt.statePath, strerror(en), opt.name)
		s.status = appErrored
		return
	}
	say("resurrecting app '%s' in %d ms", opt.name, opt.restartDelayMs)
	s.restartLater()
}

// fatalLogError (buggy): PM2's "Callback was already called.", an uncaught
// error. Stop the app, then resurrect it once it has exited.
func (s *supervisor) fatalLogError(st *stream, op string, en syscall.Errno) {
	say("uncaught exception: Error: Callback was already called. (%s '%s': %s)",
		op, st.path, strerror(en))
	s.closeLogs()
	if s.proc == nil {
		s.resurrect()
		return
	}
	say("stopping app '%s' (pid %d) to resurrect it", opt.name, s.proc.Pid)
	s.status = appResurrecting
	s.proc.Signal(syscall.SIGTERM)
}

// openLog opens a log file like createWriteStream(file, {flags: 'a'}).
func (st *stream) openLog() syscall.Errno {
	f, err := os.OpenFile(st.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0644)
	if err != nil {
		return errnoOf(err)
	}
	st.log = f
	return 0
}

// trouble (fixed): report the first failure of an episode, then stay quiet.
func (st *stream) trouble(op string, en syscall.Errno, lost int) {
	if !st.failing {
		say("cannot %s '%s': %s; dropping the app's output until it can", op,
			st.path, strerror(en))
	}
	st.failing = true
	st.dropped += uint64(lost)
}

// logWrite appends a chunk of the app's output to its log file. os.File's
// Write goes on after a short write and retries EINTR itself.
func (s *supervisor) logWrite(st *stream, buf []byte) {
	if s.status != appOnline {
		return // buggy, after the fatal error: nobody listens
	}
	if st.log == nil {
		// only the fixed variant gets here: buggy died on open
		if time.Now().Before(st.nextOpen) {
			st.dropped += uint64(len(buf))
			return
		}
		if en := st.openLog(); en != 0 {
			st.nextOpen = time.Now().Add(reopenEvery)
			st.trouble("open", en, len(buf))
			return
		}
	}
	if n, err := st.log.Write(buf); err != nil {
		if opt.buggy() {
			s.fatalLogError(st, "write", errnoOf(err))
			return
		}
		st.trouble("write", errnoOf(err), len(buf)-n)
		return
	}
	if st.failing {
		say("writing to '%s' again (%d bytes dropped)", st.path, st.dropped)
		st.failing = false
		st.dropped = 0
	}
}

// readPipe sends what the app writes on one pipe to the loop, to its end.
func (s *supervisor) readPipe(i int, r *os.File, done chan<- struct{}) {
	defer close(done)
	defer r.Close()
	for {
		buf := make([]byte, 65536)
		n, err := r.Read(buf)
		if n > 0 {
			s.events <- event{kind: evChunk, stream: i, data: buf[:n]}
		}
		if err != nil {
			return
		}
	}
}

// wait reaps the app, then lets its output reach the loop before its exit
// does (bounded: a grandchild could hold a pipe open for ever).
func (s *supervisor) wait(p *os.Process, done [2]chan struct{}) {
	ps, err := p.Wait()
	if err != nil {
		say("wait: %v", err)
		os.Exit(1)
	}
	bound := time.After(drainBound)
	for _, d := range done {
		select {
		case <-d:
		case <-bound:
		}
	}
	s.events <- event{kind: evExit, state: ps}
}

func (s *supervisor) spawnApp() {
	for i := range s.out {
		st := &s.out[i]
		if st.log != nil {
			continue
		}
		en := st.openLog()
		if en != 0 && opt.buggy() {
			s.fatalLogError(st, "open", en)
			return
		}
		if en != 0 {
			st.nextOpen = time.Now().Add(reopenEvery)
			st.trouble("open", en, 0)
		}
	}
	var rd, wr [2]*os.File
	for i := range rd {
		var err error
		if rd[i], wr[i], err = os.Pipe(); err != nil {
			say("pipe: %v", err)
			os.Exit(1)
		}
	}
	cmd := exec.Command(s.self, "app", "--port", strconv.FormatUint(opt.port, 10),
		"--name", opt.name)
	cmd.Stdout, cmd.Stderr = wr[0], wr[1]
	cmd.Env = append(os.Environ(), "SUPERVISED_LOG_RESTARTS="+strconv.Itoa(s.restarts))
	// the app must not outlive us, even if we are SIGKILLed
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		say("fork: %v", err)
		os.Exit(1)
	}
	var done [2]chan struct{}
	for i := range rd {
		wr[i].Close()
		done[i] = make(chan struct{})
		go s.readPipe(i, rd[i], done[i])
	}
	s.proc = cmd.Process
	s.status = appOnline
	say("app '%s' started (pid %d, restarts %d)", opt.name, s.proc.Pid, s.restarts)
	go s.wait(cmd.Process, done)
	s.stateChanged()
}

func (s *supervisor) appExited(ps *os.ProcessState) {
	ws := ps.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		say("app '%s' (pid %d) killed by signal %d", opt.name, ps.Pid(), int(ws.Signal()))
	} else {
		say("app '%s' (pid %d) exited with status %d", opt.name, ps.Pid(), ws.ExitStatus())
	}
	s.proc = nil
	switch s.status {
	case appStopping:
		os.Exit(0)
	case appResurrecting:
		s.resurrect()
		return
	case appErrored:
		return
	}
	say("restarting app '%s' in %d ms", opt.name, opt.restartDelayMs)
	s.restartLater()
	s.stateChanged()
}

func (s *supervisor) onSignal(sig os.Signal) {
	if s.proc == nil {
		os.Exit(0)
	}
	say("stopping app '%s' (signal %d)", opt.name, int(sig.(syscall.Signal)))
	s.status = appStopping
	s.stopDeadline = time.Now().Add(stopGrace)
	s.proc.Signal(syscall.SIGTERM)
}

// timeout: until the next thing the loop must do by itself (a second at
// most, as supervised-log.c's poll).
func (s *supervisor) timeout() time.Duration {
	now := time.Now()
	next := now.Add(time.Second)
	if s.stateDirty && s.stateRetryAt.Before(next) {
		next = s.stateRetryAt
	}
	if s.status == appWaiting && s.restartAt.Before(next) {
		next = s.restartAt
	}
	if s.status == appStopping && s.stopDeadline.Before(next) {
		next = s.stopDeadline
	}
	if !next.After(now) {
		return 0
	}
	return next.Sub(now)
}

func (s *supervisor) onTimer() {
	now := time.Now()
	if s.status == appStopping && !now.Before(s.stopDeadline) {
		if s.proc != nil {
			s.proc.Signal(syscall.SIGKILL)
		}
		s.stopDeadline = now.Add(stopGrace)
	}
	if s.status == appWaiting && !now.Before(s.restartAt) {
		s.restarts++
		s.spawnApp()
	}
	if s.stateDirty && !now.Before(s.stateRetryAt) {
		s.stateChanged()
	}
}

func supervisorMain() int {
	s := &sup
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: /proc/self/exe: %v\n", prog, err)
		return 1
	}
	s.self = self
	// PR_SET_PDEATHSIG fires when the thread that forked the child ends,
	// not the process (prctl(2)), and Go ends idle threads: this
	// goroutine, which forks every app and never returns, keeps its
	// thread for the process's life.
	runtime.LockOSThread()
	os.Mkdir(opt.logDir, 0755) // like ~/.pm2/logs; it may exist
	for i := range s.out {
		s.out[i].path = filepath.Join(opt.logDir, s.out[i].file)
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	say("variant %s, logs in '%s', state in '%s'", opt.variant, opt.logDir, opt.statePath)
	s.spawnApp()

	for {
		timer := time.NewTimer(s.timeout())
		select {
		case ev := <-s.events:
			if ev.kind == evChunk {
				s.logWrite(&s.out[ev.stream], ev.data)
			} else {
				s.appExited(ev.state)
			}
		case sig := <-sigs:
			s.onSignal(sig)
		case <-timer.C:
		}
		timer.Stop()
		s.onTimer()
	}
}
