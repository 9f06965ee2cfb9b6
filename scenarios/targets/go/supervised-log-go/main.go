// supervised-log-go — incident 000 ("disk full takes down a Node site
// under PM2", shared/incidents/000, docs/incidents/disk-full.md) as a Go
// program: the same command line, app, log files, state file and
// buggy/fixed behaviour as scenarios/targets/supervised-log.c, written
// with the standard library only and built static (CGO_ENABLED=0).
//
// Why it exists: a Go program makes its system calls itself, not through
// libc, so faultrun's LD_PRELOAD shim cannot see them; the seccomp backend
// can (docs/seccomp.md), and scenarios/disk-full-go.yml replays the
// incident against this binary under it.
//
// As in the C target, the supervisor (PM2's role) and its web app are two
// processes: the app is this same binary in "app" mode, started with
// os/exec, its stdout and stderr on pipes the supervisor drains into
// <log-dir>/out.log and err.log (O_APPEND|O_CREAT, like PM2's
// fs.createWriteStream(file, {flags: 'a'})). So a log write that fails is
// the supervisor's, as in the postmortem, and /crash kills a process the
// supervisor must restart. The seccomp filter is inherited across fork and
// exec (seccomp(2)), so the app is under it too.
//
// supervisor.go is the supervisor; this file the command line and the app.

package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"faultrun/scenarios/targets/go/internal/tcli"
)

const prog = "supervised-log-go"

type options struct {
	variant        string
	port           uint64
	logDir         string
	statePath      string
	name           string
	restartDelayMs uint64
}

func (o *options) buggy() bool { return o.variant == "buggy" }

var opt = options{variant: "fixed", name: "web", restartDelayMs: 200}

// ---- the web app ------------------------------------------------------------

var requests uint64

func appHandler(w http.ResponseWriter, r *http.Request) {
	status := 200
	url := r.URL.Path

	atomic.AddUint64(&requests, 1)
	switch url {
	case "/crash":
		os.Stderr.WriteString(opt.name + ": crashing on request\n")
		os.Exit(1)
	case "/":
		tcli.Reply(w, status, "hello from %s (pid %d)\n", opt.name, os.Getpid())
	case "/status":
		restarts := os.Getenv("SUPERVISED_LOG_RESTARTS")
		if restarts == "" {
			restarts = "0"
		}
		tcli.Reply(w, status, "{\"pid\": %d, \"restarts\": %s, \"requests\": %d}\n",
			os.Getpid(), restarts, atomic.LoadUint64(&requests))
	default:
		status = 404
		tcli.Reply(w, status, "not found\n")
		os.Stderr.WriteString(fmt.Sprintf("%s: no route for %s\n", opt.name, url))
	}
	// One access-log line per request, in one write(2): stdout is the
	// supervisor's pipe, and each line is a write it makes to out.log.
	os.Stdout.WriteString(fmt.Sprintf("%s %s %s %d\n",
		time.Now().UTC().Format("2006-01-02T15:04:05Z"), r.Method, url, status))
}

func appMain() int {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	// net.Listen sets SO_REUSEADDR, so a restarted app binds the port its
	// predecessor's connections still hold in TIME_WAIT
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", opt.port))
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: cannot listen on 127.0.0.1:%d\n", opt.name, opt.port)
		return 1
	}
	srv := &http.Server{Handler: http.HandlerFunc(appHandler)}
	go func() {
		err := srv.Serve(ln)
		fmt.Fprintf(os.Stderr, "%s: HTTP server stopped: %v\n", opt.name, err)
		os.Exit(1)
	}()
	os.Stdout.WriteString(fmt.Sprintf("%s: listening on 127.0.0.1:%d (pid %d)\n",
		opt.name, opt.port, os.Getpid()))
	<-sigs
	return 0
}

// ---- command line ---------------------------------------------------------------

const usageText = `usage: ` + prog + ` --port N --log-dir DIR --state FILE [options]
       ` + prog + ` app --port N [--name NAME]
  --variant buggy|fixed   behaviour on a failed log write (default fixed)
  --port N                the app's HTTP port on 127.0.0.1
  --log-dir DIR           where out.log and err.log go
  --state FILE            the supervisor's state file
  --name NAME             the app's name (default web)
  --restart-delay MS      before restarting an app that died (default 200)
`

// parseArgs returns the exit status to leave with, or -1 to go on.
func parseArgs(args []string, appMode bool) int {
	p := tcli.New(prog, usageText)
	p.Variant(&opt.variant)
	p.Uint("port", 1, 65535, &opt.port)
	p.FS.StringVar(&opt.logDir, "log-dir", "", "")
	p.FS.StringVar(&opt.statePath, "state", "", "")
	p.FS.StringVar(&opt.name, "name", opt.name, "")
	p.Uint("restart-delay", 0, 600000, &opt.restartDelayMs)
	if st := p.Parse(args); st >= 0 {
		return st
	}
	switch {
	case p.FS.NArg() > 0:
		return p.Fail("unexpected argument")
	case opt.port == 0:
		return p.Fail("missing --port")
	case !appMode && opt.logDir == "":
		return p.Fail("missing --log-dir")
	case !appMode && opt.statePath == "":
		return p.Fail("missing --state")
	}
	return -1
}

func main() {
	args := os.Args[1:]
	appMode := len(args) > 0 && args[0] == "app"
	if appMode {
		args = args[1:]
	}
	if st := parseArgs(args, appMode); st >= 0 {
		os.Exit(st)
	}
	if appMode {
		os.Exit(appMain())
	}
	os.Exit(supervisorMain())
}
