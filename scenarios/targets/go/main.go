// pooled-db-go — incident 001 (pool exhaustion, the stuck health check)
// as a Go service: the same command line, endpoints, answers and
// buggy/fixed behaviour as scenarios/targets/pooled-db.c, written with
// the standard library only (net/http, and a MySQL client of its own in
// mysql.go), built static with CGO_ENABLED=0.
//
// Why it exists: a Go program makes its system calls itself, not through
// libc, so faultrun's LD_PRELOAD shim cannot see its I/O and `faultrun
// exec` refuses it today; this is the target for a backend that can
// (seccomp), to replay the same scenarios against it.
//
// Besides pooled-db's endpoints it writes an access log, like
// supervised-log's app under its supervisor: with --log-dir DIR, one line
// per request appended to DIR/out.log and each error to DIR/err.log
// (O_APPEND|O_CREAT, one write(2) a line). Buggy: a failed log write is
// fatal (the service exits 1, as the incident's "uncaught exception");
// fixed: reported once on stderr, the lines dropped, and logging resumes
// when a write succeeds.
//
// The buggy pool also loses a connection on every failed query (the error
// path returns before releasing it, the Go form of a missing `defer`),
// which pooled-db.c does not do; see README.md.

package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"faultrun/scenarios/targets/go/internal/tcli"
)

const (
	prog          = "pooled-db-go"
	exitExhausted = 3
)

type options struct {
	variant          string
	port             uint64
	poolSize         uint64
	dbSocket         string
	dbHost           string
	dbPort           uint64
	dbUser           string
	dbPassword       string
	dbPasswordFile   string
	dbName           string
	acquireTimeoutMs uint64
	dbTimeoutS       uint64
	exhaustedExitMs  uint64
	logDir           string
}

func (o *options) fixed() bool { return o.variant == "fixed" }

var opt = options{
	variant:          "fixed",
	poolSize:         4,
	dbHost:           "127.0.0.1",
	dbPort:           3306,
	dbUser:           "app",
	dbName:           "app",
	acquireTimeoutMs: 1000,
	dbTimeoutS:       2,
	exhaustedExitMs:  3000,
}

var thePool *pool

// say prints one prefixed line on stderr, in one write, like tc_say().
func say(format string, args ...interface{}) {
	os.Stderr.WriteString(prog + ": " + fmt.Sprintf(format, args...) + "\n")
}

func leave(status int) {
	removePoints()
	os.Exit(status)
}

// ---- HTTP ----------------------------------------------------------------

func red(w http.ResponseWriter, url string, err error) {
	say("%s: 503 %v", url, err)
	logs.failure(fmt.Sprintf("%s: 503 %v", url, err))
	tcli.Reply(w, 503, "%v\n", err)
}

// leak is /leak, the endpoint from the postmortem, both bugs included.
func leak(w http.ResponseWriter) {
	p := thePool
	trx, err := p.acquire() // db.beginTransaction()
	if err != nil {
		red(w, "/leak", err)
		return
	}
	if _, err, br := p.query(trx, "START TRANSACTION"); err != nil {
		p.release(trx, br)
		red(w, "/leak", err)
		return
	}
	p.mu.Lock()
	trx.leaked = true // bug 2: never committed
	p.leaked++
	p.mu.Unlock()
	// bug 1: the query runs on the pool, not on the transaction
	if _, err := p.poolQuery("INSERT INTO orders (note) VALUES ('leak')"); err != nil {
		red(w, "/leak", err)
		return
	}
	id, err := p.poolQuery("SELECT LAST_INSERT_ID()")
	if err != nil {
		red(w, "/leak", err)
		return
	}
	tcli.Reply(w, 200, "order %s (a connection leaked)\n", id)
}

// statusWriter remembers the status, for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func handler(rw http.ResponseWriter, r *http.Request) {
	w := &statusWriter{ResponseWriter: rw, status: 200}
	start := time.Now()
	route(w, r.URL.Path)
	logs.access(fmt.Sprintf("%s %s %s %d %.1fms", r.RemoteAddr, r.Method,
		r.URL.Path, w.status, float64(time.Since(start).Microseconds())/1000))
}

func route(w http.ResponseWriter, url string) {
	p := thePool
	switch url {
	case "/ping":
		tcli.Reply(w, 200, "pong\n")
	case "/stats":
		tcli.Reply(w, 200, "%s", p.stats())
	case "/leak":
		leak(w)
	case "/health":
		if _, err := p.poolQuery("SELECT 1"); err != nil {
			red(w, url, err)
			return
		}
		tcli.Reply(w, 200, "ok\n")
	case "/":
		if _, err := p.poolQuery("UPDATE items SET hits = hits + 1 WHERE id = 1"); err != nil {
			red(w, url, err)
			return
		}
		hits, err := p.poolQuery("SELECT hits FROM items WHERE id = 1")
		if err != nil {
			red(w, url, err)
			return
		}
		tcli.Reply(w, 200, "hits %s\n", hits)
	default:
		tcli.Reply(w, 404, "not found\n")
	}
}

// ---- command line ----------------------------------------------------------

const usageText = `usage: ` + prog + ` --port N [options]
  --variant buggy|fixed     pool behaviour (default fixed)
  --port N                  HTTP port on 127.0.0.1
  --pool N                  connections in the pool (default 4)
  --db-socket PATH          MariaDB unix socket (else TCP)
  --db-host HOST            (default 127.0.0.1)
  --db-port N               (default 3306)
  --db-user USER            (default app)
  --db-password-file FILE   the password (its first line); else $DB_PASSWORD, else empty
  --db-name NAME            (default app)
  --log-dir DIR             access log DIR/out.log, errors DIR/err.log (default: none)
fixed only:
  --acquire-timeout MS      wait for a connection (default 1000)
  --db-timeout S            connect/read/write timeout (default 2)
  --exhausted-exit MS       exit 3 when the pool stays exhausted this long, 0: never (default 3000)
env FAULTRUN_FIU_FIFO=BASENAME  libfiu's remote-control protocol (points pool/acquire, pool/query)
`

// parseArgs returns the exit status to leave with, or -1 to go on.
func parseArgs(args []string) int {
	p := tcli.New(prog, usageText)
	p.Variant(&opt.variant)
	p.Uint("port", 1, 65535, &opt.port)
	p.Uint("pool", 1, 1000, &opt.poolSize)
	p.FS.StringVar(&opt.dbSocket, "db-socket", opt.dbSocket, "")
	p.FS.StringVar(&opt.dbHost, "db-host", opt.dbHost, "")
	p.Uint("db-port", 1, 65535, &opt.dbPort)
	p.FS.StringVar(&opt.dbUser, "db-user", opt.dbUser, "")
	p.FS.StringVar(&opt.dbPasswordFile, "db-password-file", "", "")
	p.FS.StringVar(&opt.dbName, "db-name", opt.dbName, "")
	p.FS.StringVar(&opt.logDir, "log-dir", "", "")
	p.Uint("acquire-timeout", 1, 3600000, &opt.acquireTimeoutMs)
	p.Uint("db-timeout", 1, 3600, &opt.dbTimeoutS)
	p.Uint("exhausted-exit", 0, 3600000, &opt.exhaustedExitMs)
	if st := p.Parse(args); st >= 0 {
		return st
	}
	if p.FS.NArg() > 0 {
		return p.Fail("unexpected argument")
	}
	if opt.port == 0 {
		return p.Fail("missing --port")
	}
	if !readPassword() {
		return 2
	}
	return -1
}

// readPassword: the first line of --db-password-file, else $DB_PASSWORD.
// Never an argument: any local user can read a command line (ps).
func readPassword() bool {
	if opt.dbPasswordFile == "" {
		opt.dbPassword = os.Getenv("DB_PASSWORD")
		return true
	}
	b, err := os.ReadFile(opt.dbPasswordFile)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		say("cannot read '%s': %v", opt.dbPasswordFile, err)
		return false
	}
	line := string(b)
	if i := strings.IndexAny(line, "\r\n"); i >= 0 {
		line = line[:i]
	}
	opt.dbPassword = line
	return true
}

func main() {
	if st := parseArgs(os.Args[1:]); st >= 0 {
		os.Exit(st)
	}
	if fifo := os.Getenv("FAULTRUN_FIU_FIFO"); fifo != "" {
		if err := startPoints(fifo); err != nil {
			say("cannot open libfiu remote control '%s-%d': %v", fifo, os.Getpid(), err)
			os.Exit(1)
		}
	}
	if opt.logDir != "" {
		logs.open(opt.logDir)
	}
	thePool = newPool(uint(opt.poolSize))

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)

	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", opt.port))
	if err != nil {
		say("cannot listen on 127.0.0.1:%d: %v", opt.port, err)
		leave(1)
	}
	// a goroutine per connection: a hung request does not block the others
	srv := &http.Server{Handler: http.HandlerFunc(handler)}
	go func() {
		err := srv.Serve(ln)
		say("HTTP server stopped: %v", err)
		leave(1)
	}()
	if opt.fixed() && opt.exhaustedExitMs > 0 {
		go thePool.watchdog()
	}
	db := opt.dbHost
	if opt.dbSocket != "" {
		db = opt.dbSocket
	}
	say("listening on 127.0.0.1:%d (variant %s, pool %d, database %s)",
		opt.port, opt.variant, opt.poolSize, db)
	<-sigs
	// hung requests cannot be waited for: leave without them
	leave(0)
}
