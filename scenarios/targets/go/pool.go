// The connection pool, made like pooled-db.c's (and the Node `mysql`
// package's createPool({connectionLimit})): --pool slots, each opened on
// first use and handed to one request at a time.

package main

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

type conn struct {
	m      *MySQLConn // nil until first used, or after it broke
	inUse  bool
	leaked bool
}

type pool struct {
	mu    sync.Mutex
	freed chan struct{} // closed (and replaced) on every release: a broadcast
	conns []conn

	inUse, leaked, waiting uint
	starved                bool      // the last acquire found no free connection
	exhaustedSince         time.Time // zero when not exhausted

	opens, broken, acquireTimeouts, queryErrors, lostOnError uint64
	schemaReady                                              bool
}

func newPool(n uint) *pool {
	return &pool{conns: make([]conn, n), freed: make(chan struct{})}
}

// A free slot, or -1. The fault point pool/acquire makes the pool look
// exhausted, as if every connection had leaked.
func (p *pool) freeSlot() int {
	if points.on("pool/acquire") {
		return -1
	}
	for i := range p.conns {
		if !p.conns[i].inUse {
			return i
		}
	}
	return -1
}

func dbConnect() (*MySQLConn, error) {
	cfg := DialConfig{Network: "tcp", User: opt.dbUser, Password: opt.dbPassword,
		Database: opt.dbName}
	if opt.dbSocket != "" {
		cfg.Network, cfg.Address = "unix", opt.dbSocket
	} else {
		cfg.Address = fmt.Sprintf("%s:%d", opt.dbHost, opt.dbPort)
		if opt.dbHost != "" && opt.dbHost[0] != '[' && containsColon(opt.dbHost) {
			cfg.Address = fmt.Sprintf("[%s]:%d", opt.dbHost, opt.dbPort)
		}
	}
	if opt.fixed() {
		cfg.Timeout = time.Duration(opt.dbTimeoutS) * time.Second
	}
	m, err := Dial(cfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	return m, nil
}

func containsColon(s string) bool {
	for _, c := range s {
		if c == ':' {
			return true
		}
	}
	return false
}

// release gives a connection back; a broken one is closed and reopened on
// next use.
func (p *pool) release(c *conn, broken bool) {
	var dead *MySQLConn
	p.mu.Lock()
	if broken {
		dead, c.m = c.m, nil
	}
	c.inUse = false
	p.inUse--
	close(p.freed)
	p.freed = make(chan struct{})
	p.mu.Unlock()
	if dead != nil {
		dead.Close()
	}
}

// acquire takes a connection. Buggy: waits for one forever (the
// incident). Fixed: waits at most --acquire-timeout.
func (p *pool) acquire() (*conn, error) {
	deadline := time.NewTimer(time.Duration(opt.acquireTimeoutMs) * time.Millisecond)
	defer deadline.Stop()
	p.mu.Lock()
	i := p.freeSlot()
	for i < 0 {
		p.starved = true
		p.waiting++
		freed := p.freed
		p.mu.Unlock()
		if opt.fixed() {
			select {
			case <-freed:
			case <-deadline.C:
				p.mu.Lock()
				p.waiting--
				p.acquireTimeouts++
				p.mu.Unlock()
				return nil, fmt.Errorf("pool exhausted: no connection within %d ms",
					opt.acquireTimeoutMs)
			}
		} else if points.on("pool/acquire") {
			// only a disable frees this one: look again now and then
			select {
			case <-freed:
			case <-time.After(50 * time.Millisecond):
			}
		} else {
			<-freed
		}
		p.mu.Lock()
		p.waiting--
		i = p.freeSlot()
	}
	p.starved = false
	c := &p.conns[i]
	c.inUse = true
	p.inUse++
	p.mu.Unlock()

	if c.m == nil {
		m, err := dbConnect()
		if err != nil {
			p.release(c, true)
			return nil, err
		}
		c.m = m
		p.mu.Lock()
		p.opens++
		p.mu.Unlock()
		p.ensureSchema(m)
	}
	return c, nil
}

// broken: an error that is not the server's answer (ERR packet) means the
// connection is gone or out of step (timeout, reset, EOF), as
// libmysqlclient's CR_* client errors do.
func broken(err error) bool {
	var se *ServerError
	return err != nil && !errors.As(err, &se)
}

// query runs sql on c: the first column of the first row, or an error and
// whether the connection broke.
func (p *pool) query(c *conn, sql string) (string, error, bool) {
	var out string
	var err error
	if err = stallOnQueryPoint(); err == nil {
		out, err = c.m.Query(sql)
	}
	if err == nil {
		return out, nil, false
	}
	br := broken(err)
	p.mu.Lock()
	p.queryErrors++
	if br {
		p.broken++
	}
	p.mu.Unlock()
	return "", err, br
}

// poolQuery is acquire, one query, release: the Node pool.query().
//
// Buggy, the Go form of the bug: the error path returns before the
// release (no defer), so every failed query keeps its connection for good
// and a run of errors drains the pool. Fixed: released on every path, a
// broken connection closed so that the slot reconnects on next use.
func (p *pool) poolQuery(sql string) (string, error) {
	c, err := p.acquire()
	if err != nil {
		return "", err
	}
	out, err, br := p.query(c, sql)
	if err != nil && !opt.fixed() {
		p.mu.Lock()
		p.lostOnError++
		p.mu.Unlock()
		return "", err
	}
	p.release(c, br)
	return out, err
}

func (p *pool) ensureSchema(m *MySQLConn) {
	ddl := []string{
		"CREATE TABLE IF NOT EXISTS items (id INT PRIMARY KEY, " +
			"hits BIGINT NOT NULL DEFAULT 0) ENGINE=InnoDB",
		"INSERT IGNORE INTO items (id, hits) VALUES (1, 0)",
		"CREATE TABLE IF NOT EXISTS orders (id BIGINT AUTO_INCREMENT " +
			"PRIMARY KEY, note VARCHAR(64)) ENGINE=InnoDB",
	}
	p.mu.Lock()
	ready := p.schemaReady
	p.mu.Unlock()
	if ready {
		return
	}
	for _, q := range ddl {
		if _, err := m.Query(q); err != nil {
			say("schema: %v", err)
			return
		}
	}
	p.mu.Lock()
	p.schemaReady = true
	p.mu.Unlock()
}

// watchdog, fixed only: "let it crash". A pool that stays exhausted (every
// connection in use, or requests finding none) longer than
// --exhausted-exit ends the process, which releases every connection; its
// supervisor restarts it.
func (p *pool) watchdog() {
	for range time.Tick(100 * time.Millisecond) {
		p.mu.Lock()
		exhausted := p.inUse == uint(len(p.conns)) || p.starved
		now := time.Now()
		if !exhausted {
			p.exhaustedSince = time.Time{}
		} else if p.exhaustedSince.IsZero() {
			p.exhaustedSince = now
		} else if now.Sub(p.exhaustedSince) >= time.Duration(opt.exhaustedExitMs)*time.Millisecond {
			say("pool exhausted for %.1f s (%d of %d connections in use, %d leaked): "+
				"exiting so that the supervisor restarts a clean process",
				now.Sub(p.exhaustedSince).Seconds(), p.inUse, len(p.conns), p.leaked)
			leave(exitExhausted)
		}
		p.mu.Unlock()
	}
}

func (p *pool) stats() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return fmt.Sprintf("{\"variant\": %q, \"size\": %d, \"in_use\": %d, "+
		"\"leaked\": %d, \"waiting\": %d, \"opens\": %d, \"broken\": %d, "+
		"\"acquire_timeouts\": %d, \"query_errors\": %d, \"lost_on_error\": %d}\n",
		opt.variant, len(p.conns), p.inUse, p.leaked, p.waiting, p.opens, p.broken,
		p.acquireTimeouts, p.queryErrors, p.lostOnError)
}
