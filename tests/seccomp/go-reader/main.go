// go-reader: a Go client for tests/seccomp/test-seccomp-go.sh. It connects
// to 127.0.0.1:PORT and reads one line with a read deadline, as a Go
// service reads from its peer: Go's sockets are non-blocking and a read
// that finds nothing parks its goroutine on the runtime's edge-triggered
// epoll (the netpoller) until the socket is readable again or the
// deadline passes. Prints "connected", then "got LINE" or "error ERR"
// (a deadline gives "i/o timeout"), with the milliseconds since the read
// began.
//
// usage: go-reader PORT DEADLINE_MS
package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: go-reader PORT DEADLINE_MS")
		os.Exit(2)
	}
	ms, err := strconv.Atoi(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "go-reader: bad DEADLINE_MS:", err)
		os.Exit(2)
	}
	conn, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", os.Args[1]))
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	defer conn.Close()
	fmt.Println("connected")
	start := time.Now()
	conn.SetReadDeadline(start.Add(time.Duration(ms) * time.Millisecond))
	line, err := bufio.NewReader(conn).ReadString('\n')
	took := time.Since(start).Milliseconds()
	if err != nil {
		fmt.Printf("error %v after=%d\n", err, took)
		os.Exit(1)
	}
	fmt.Printf("got %s after=%d\n", line[:len(line)-1], took)
}
