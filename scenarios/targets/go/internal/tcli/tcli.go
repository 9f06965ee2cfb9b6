// Package tcli is what the Go targets' command lines and HTTP answers
// share, written to behave as the C targets' (scenarios/targets/common):
// "<prog>: message" on stderr, numbers checked as tc_parse_uint() checks
// them with its message, --variant buggy|fixed, flags named with two
// dashes in every message, and plain-text replies.
package tcli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
)

// errReported: the message is on stderr already
var errReported = errors.New("invalid value")

// Parser is a flag set that reports its errors the C targets' way.
type Parser struct {
	Prog, Usage string
	FS          *flag.FlagSet
	help        *bool
}

// New makes the parser of program prog, whose --help prints usage.
func New(prog, usage string) *Parser {
	fs := flag.NewFlagSet(prog, flag.ContinueOnError)
	// the flag package's own messages name flags with one dash: Parse says ours
	fs.SetOutput(io.Discard)
	return &Parser{Prog: prog, Usage: usage, FS: fs, help: fs.Bool("help", false, "")}
}

// Say prints "<prog>: message" on stderr.
func (p *Parser) Say(format string, args ...interface{}) {
	os.Stderr.WriteString(p.Prog + ": " + fmt.Sprintf(format, args...) + "\n")
}

// Uint is a number flag in min..max, checked as tc_parse_uint() does.
func (p *Parser) Uint(name string, min, max uint64, dst *uint64) {
	p.FS.Func(name, "", func(s string) error {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil || s == "" || s[0] < '0' || s[0] > '9' || v < min || v > max {
			p.Say("invalid value '%s' for --%s (expected %d..%d)", s, name, min, max)
			return errReported
		}
		*dst = v
		return nil
	})
}

// Variant is --variant buggy|fixed.
func (p *Parser) Variant(dst *string) {
	p.FS.Func("variant", "", func(s string) error {
		if s != "buggy" && s != "fixed" {
			p.Say("invalid value '%s' for --variant (expected buggy or fixed)", s)
			return errReported
		}
		*dst = s
		return nil
	})
}

// Parse parses args: -1 to go on, else the status to exit with: 0 after
// printing the usage for --help, 2 after saying what was wrong (a bad
// value alone, as tc_parse_uint's callers; anything else with the usage).
func (p *Parser) Parse(args []string) int {
	if err := p.FS.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Print(p.Usage)
			return 0
		}
		if !strings.HasSuffix(err.Error(), errReported.Error()) {
			p.Say("%s", strings.Replace(err.Error(), " -", " --", 1))
			fmt.Fprint(os.Stderr, p.Usage)
		}
		return 2
	}
	if *p.help {
		fmt.Print(p.Usage)
		return 0
	}
	return -1
}

// Fail says msg, prints the usage and returns 2, the status to exit with.
func (p *Parser) Fail(msg string) int {
	p.Say("%s", msg)
	fmt.Fprint(os.Stderr, p.Usage)
	return 2
}

// Reply answers with status and a plain-text body.
func Reply(w http.ResponseWriter, status int, format string, args ...interface{}) {
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(status)
	fmt.Fprintf(w, format, args...)
}
