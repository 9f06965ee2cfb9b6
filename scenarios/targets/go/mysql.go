// A small MySQL/MariaDB client: just what the pool needs, from the
// client/server protocol (MariaDB's "Client/Server Protocol" pages:
// 1-connecting, 2-text-protocol; MySQL's Protocol::HandshakeV10). The
// standard library has no MySQL driver, and a third-party one cannot be
// fetched at build time, which is offline.
//
// What it speaks: the initial handshake v10, mysql_native_password (also
// when the server asks for it with an authentication switch), COM_QUERY
// with a text result set (the first column of the first row is kept),
// COM_PING and COM_QUIT. No TLS, no compression, no prepared statements.

package main

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// Capability flags (MariaDB protocol, "Capabilities").
const (
	clientLongPassword     = 1 << 0 // also CLIENT_MYSQL: no MariaDB extended capabilities
	clientLongFlag         = 1 << 2
	clientConnectWithDB    = 1 << 3
	clientProtocol41       = 1 << 9
	clientTransactions     = 1 << 13
	clientSecureConnection = 1 << 15
	clientPluginAuth       = 1 << 19
)

const (
	comQuit  = 0x01
	comQuery = 0x03
	comPing  = 0x0e

	nativePassword = "mysql_native_password"
	maxPacket      = 1<<24 - 1
	utf8mb4General = 45 // utf8mb4_general_ci
)

// ServerError is an ERR packet: the server refused a command but the
// connection is still good (like libmysqlclient's server errors, below
// CR_MIN_ERROR).
type ServerError struct {
	Code     uint16
	SQLState string
	Message  string
}

func (e *ServerError) Error() string {
	return fmt.Sprintf("%s (%d)", e.Message, e.Code)
}

// A connection to the server. Not safe for concurrent use: the pool hands
// it to one request at a time.
type MySQLConn struct {
	c       net.Conn
	seq     byte
	timeout time.Duration // 0: no deadline (the buggy variant)
	ID      uint32        // the server's connection id (KILL takes it)
}

// DialConfig says where and who.
type DialConfig struct {
	Network, Address string // "unix" + socket path, or "tcp" + host:port
	User, Password   string
	Database         string
	Timeout          time.Duration // connect, read and write; 0: none
}

// Dial connects and logs in. A *ServerError is the server's refusal
// (access denied, unknown database); any other error is the connection's.
func Dial(cfg DialConfig) (*MySQLConn, error) {
	d := net.Dialer{Timeout: cfg.Timeout}
	c, err := d.Dial(cfg.Network, cfg.Address)
	if err != nil {
		return nil, err
	}
	m := &MySQLConn{c: c, timeout: cfg.Timeout}
	if err := m.handshake(cfg); err != nil {
		c.Close()
		return nil, err
	}
	return m, nil
}

// Close sends COM_QUIT (best effort, never waits for long) and closes.
func (m *MySQLConn) Close() error {
	m.c.SetDeadline(time.Now().Add(100 * time.Millisecond))
	m.seq = 0
	m.writePacket([]byte{comQuit})
	return m.c.Close()
}

// deadline arms the read/write timeout for one command (fixed variant).
func (m *MySQLConn) deadline() {
	if m.timeout > 0 {
		m.c.SetDeadline(time.Now().Add(m.timeout))
	}
}

// readPacket reads one packet: 3 bytes of length, 1 of sequence, payload.
// Payloads of 16 MiB and more come in pieces; nothing here asks for one.
func (m *MySQLConn) readPacket() ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(m.c, hdr[:]); err != nil {
		return nil, err
	}
	n := int(hdr[0]) | int(hdr[1])<<8 | int(hdr[2])<<16
	if n == maxPacket {
		return nil, errors.New("packet of 16 MiB or more: not supported")
	}
	m.seq = hdr[3] + 1
	buf := make([]byte, n)
	if _, err := io.ReadFull(m.c, buf); err != nil {
		return nil, err
	}
	return buf, nil
}

func (m *MySQLConn) writePacket(payload []byte) error {
	if len(payload) >= maxPacket {
		return errors.New("command too long")
	}
	buf := make([]byte, 4+len(payload))
	n := len(payload)
	buf[0], buf[1], buf[2], buf[3] = byte(n), byte(n>>8), byte(n>>16), m.seq
	copy(buf[4:], payload)
	m.seq++
	_, err := m.c.Write(buf)
	return err
}

// scramble is mysql_native_password's answer to the server's 20-byte
// nonce: SHA1(password) XOR SHA1(nonce + SHA1(SHA1(password))). An empty
// password answers nothing.
func scramble(nonce []byte, password string) []byte {
	if password == "" {
		return nil
	}
	h1 := sha1.Sum([]byte(password))
	h2 := sha1.Sum(h1[:])
	s := sha1.New()
	s.Write(nonce[:20])
	s.Write(h2[:])
	h3 := s.Sum(nil)
	for i := range h3 {
		h3[i] ^= h1[i]
	}
	return h3
}

func parseErr(p []byte) error {
	e := &ServerError{}
	if len(p) >= 3 {
		e.Code = binary.LittleEndian.Uint16(p[1:3])
		p = p[3:]
		if len(p) >= 6 && p[0] == '#' {
			e.SQLState = string(p[1:6])
			p = p[6:]
		}
		e.Message = string(p)
	}
	return e
}

// handshake reads the server's HandshakeV10 and answers with a
// HandshakeResponse41, then follows an authentication switch if asked.
func (m *MySQLConn) handshake(cfg DialConfig) error {
	m.deadline()
	p, err := m.readPacket()
	if err != nil {
		return fmt.Errorf("reading the handshake: %w", err)
	}
	if len(p) > 0 && p[0] == 0xff {
		return parseErr(p)
	}
	if len(p) < 1 || p[0] != 10 {
		return fmt.Errorf("unsupported protocol version %d", p[0])
	}
	r := bytes.NewReader(p[1:])
	if _, err := readNul(r); err != nil { // server version
		return err
	}
	var fixed struct {
		ID      uint32
		Nonce1  [8]byte
		Filler  byte
		CapsLo  uint16
		Charset byte
		Status  uint16
		CapsHi  uint16
		AuthLen byte
		Skip    [10]byte // reserved (MariaDB: 6 + its own 4 capability bytes)
	}
	if err := binary.Read(r, binary.LittleEndian, &fixed); err != nil {
		return errors.New("short handshake packet")
	}
	caps := uint32(fixed.CapsLo) | uint32(fixed.CapsHi)<<16
	if caps&clientProtocol41 == 0 || caps&clientSecureConnection == 0 {
		return errors.New("server too old (no 4.1 protocol)")
	}
	m.ID = fixed.ID
	// the nonce's second part: max(13, len - 8) bytes, the last a NUL
	n2 := int(fixed.AuthLen) - 8
	if n2 < 13 {
		n2 = 13
	}
	part2 := make([]byte, n2)
	if _, err := io.ReadFull(r, part2); err != nil {
		return errors.New("short handshake packet")
	}
	nonce := append(fixed.Nonce1[:], part2[:12]...)
	plugin := nativePassword
	if caps&clientPluginAuth != 0 {
		if s, err := readNul(r); err == nil && s != "" {
			plugin = s
		}
	}

	want := uint32(clientLongPassword | clientLongFlag | clientProtocol41 |
		clientTransactions | clientSecureConnection | clientPluginAuth)
	if cfg.Database != "" {
		want |= clientConnectWithDB
	}
	var auth []byte
	if plugin == nativePassword {
		auth = scramble(nonce, cfg.Password)
	}
	var out bytes.Buffer
	binary.Write(&out, binary.LittleEndian, want&caps|clientProtocol41)
	binary.Write(&out, binary.LittleEndian, uint32(maxPacket))
	out.WriteByte(utf8mb4General)
	out.Write(make([]byte, 23)) // reserved (MariaDB: 19 + extended capabilities, none)
	out.WriteString(cfg.User)
	out.WriteByte(0)
	out.WriteByte(byte(len(auth)))
	out.Write(auth)
	if cfg.Database != "" {
		out.WriteString(cfg.Database)
		out.WriteByte(0)
	}
	out.WriteString(nativePassword)
	out.WriteByte(0)
	if err := m.writePacket(out.Bytes()); err != nil {
		return fmt.Errorf("sending the handshake response: %w", err)
	}
	return m.authResult(cfg.Password)
}

// authResult reads OK or ERR, answering one authentication switch to
// mysql_native_password on the way (0xFE, plugin name, new nonce).
func (m *MySQLConn) authResult(password string) error {
	for switched := false; ; switched = true {
		p, err := m.readPacket()
		if err != nil {
			return fmt.Errorf("reading the login result: %w", err)
		}
		switch {
		case len(p) > 0 && p[0] == 0x00:
			return nil
		case len(p) > 0 && p[0] == 0xff:
			return parseErr(p)
		case len(p) > 0 && p[0] == 0xfe && !switched:
			r := bytes.NewReader(p[1:])
			name, _ := readNul(r)
			if name != nativePassword {
				return fmt.Errorf("server wants authentication plugin %q", name)
			}
			nonce := make([]byte, r.Len())
			r.Read(nonce)
			if len(nonce) < 20 {
				return errors.New("short authentication switch")
			}
			if err := m.writePacket(scramble(nonce, password)); err != nil {
				return err
			}
		default:
			return errors.New("unexpected packet during login")
		}
	}
}

func readNul(r *bytes.Reader) (string, error) {
	var b []byte
	for {
		c, err := r.ReadByte()
		if err != nil {
			return "", errors.New("unterminated string in packet")
		}
		if c == 0 {
			return string(b), nil
		}
		b = append(b, c)
	}
}

// lenenc reads a length-encoded integer; null is true for 0xFB (NULL).
func lenenc(p []byte) (v uint64, n int, null bool) {
	if len(p) == 0 {
		return 0, 0, false
	}
	switch p[0] {
	case 0xfb:
		return 0, 1, true
	case 0xfc:
		if len(p) >= 3 {
			return uint64(binary.LittleEndian.Uint16(p[1:])), 3, false
		}
	case 0xfd:
		if len(p) >= 4 {
			return uint64(p[1]) | uint64(p[2])<<8 | uint64(p[3])<<16, 4, false
		}
	case 0xfe:
		if len(p) >= 9 {
			return binary.LittleEndian.Uint64(p[1:]), 9, false
		}
	default:
		return uint64(p[0]), 1, false
	}
	return 0, 0, false
}

func isEOF(p []byte) bool { return len(p) > 0 && p[0] == 0xfe && len(p) < 9 }

// command sends one command packet, with the deadline of the fixed variant.
func (m *MySQLConn) command(cmd byte, arg string) error {
	m.deadline()
	m.seq = 0
	return m.writePacket(append([]byte{cmd}, arg...))
}

// Ping is COM_PING.
func (m *MySQLConn) Ping() error {
	if err := m.command(comPing, ""); err != nil {
		return err
	}
	p, err := m.readPacket()
	if err != nil {
		return err
	}
	if len(p) > 0 && p[0] == 0xff {
		return parseErr(p)
	}
	return nil
}

// Query runs sql with COM_QUERY and returns the first column of the first
// row ("" when there is none, or it is NULL). The whole result is read, so
// the connection is ready for the next command.
func (m *MySQLConn) Query(sql string) (string, error) {
	if err := m.command(comQuery, sql); err != nil {
		return "", err
	}
	p, err := m.readPacket()
	if err != nil {
		return "", err
	}
	switch {
	case len(p) > 0 && p[0] == 0x00:
		return "", nil // OK: no result set (UPDATE, INSERT, START TRANSACTION)
	case len(p) > 0 && p[0] == 0xff:
		return "", parseErr(p)
	case len(p) > 0 && p[0] == 0xfb:
		return "", errors.New("LOCAL INFILE request: not supported")
	}
	cols, n, _ := lenenc(p)
	if n == 0 || cols == 0 {
		return "", errors.New("malformed result set header")
	}
	// column definitions, then EOF (no CLIENT_DEPRECATE_EOF asked)
	for {
		if p, err = m.readPacket(); err != nil {
			return "", err
		}
		if isEOF(p) {
			break
		}
	}
	first, got := "", false
	for {
		if p, err = m.readPacket(); err != nil {
			return "", err
		}
		if isEOF(p) {
			return first, nil
		}
		if len(p) > 0 && p[0] == 0xff {
			return "", parseErr(p)
		}
		if got {
			continue
		}
		got = true
		l, n, null := lenenc(p)
		if !null && n > 0 && uint64(len(p)-n) >= l {
			first = string(p[n : n+int(l)])
		}
	}
}
