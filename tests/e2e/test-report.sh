#!/bin/sh
# faultrun report: the HTML page drawn from recorded journals holds what was
# measured (verdict, assertions with measured values and bounds, fault
# windows, samples, lifecycle), embeds the journals intact and safely, needs
# no network, and bad input gets one clear line and exit 2.
#
# env: FAULTRUN (the binary), FIXTURES (tests/e2e/fixtures), REPORT_OUT
# (optional: where to leave the pages for a person to look at).
set -eu

: "${FAULTRUN:?set FAULTRUN to the faultrun binary}"
: "${FIXTURES:?set FIXTURES to tests/e2e/fixtures}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=${REPORT_OUT:-$work}
mkdir -p "$out"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

pass=$FIXTURES/journal-pass.json
failj=$FIXTURES/journal-fail.json
multi=$FIXTURES/journal-multi.json

# --- pages from the passing, the failing, and several journals ---
"$FAULTRUN" report -q "$pass" --html "$out/report-passing.html" || fail "report of a passing run"
"$FAULTRUN" report -q "$failj" --html "$out/report-failing.html" || fail "report of a failing run"
"$FAULTRUN" report -q --html "$out/report-multi.html" "$multi" "$pass" || fail "report of two journals"
"$FAULTRUN" report -q "$failj" --html "$work/again.html"
cmp -s "$out/report-failing.html" "$work/again.html" || fail "the same journal gives a different page"
"$FAULTRUN" report -q "$failj" --html - > "$work/stdout.html"
cmp -s "$out/report-failing.html" "$work/stdout.html" || fail "--html - differs from the file"
"$FAULTRUN" report -q - --html "$work/stdin.html" < "$failj"
sed 's/journal-fail\.json/stdin/' "$out/report-failing.html" | cmp -s - "$work/stdin.html" ||
	fail "a journal read from stdin differs"

python3 - "$out" "$pass" "$failj" "$multi" <<'EOF'
import html.parser, json, re, sys

out, pass_j, fail_j, multi_j = sys.argv[1:5]
problems = []


def check(cond, msg):
    if not cond:
        problems.append(msg)


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.kids = tag, dict(attrs), parent, []

    def text(self):
        t = ''.join(k if isinstance(k, str) else k.text() for k in self.kids)
        return t + ' ' if self.tag in ('td', 'th', 'tr', 'p', 'div', 'dd', 'dt') else t

    def all(self, tag=None, cls=None, **attrs):
        for k in self.kids:
            if isinstance(k, str):
                continue
            if ((tag is None or k.tag == tag)
                    and (cls is None or cls in k.attrs.get('class', '').split())
                    and all(k.attrs.get(a.replace('_', '-')) == v for a, v in attrs.items())):
                yield k
            yield from k.all(tag, cls, **attrs)

    def one(self, *a, **kw):
        r = list(self.all(*a, **kw))
        return r[0] if r else None


VOID = {'meta', 'br', 'hr', 'img', 'input', 'link', 'source', 'wbr'}


class Parser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node('#doc', {}, None)
        self.cur = self.root
        self.tags = {}

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        n = Node(tag, attrs, self.cur)
        self.cur.kids.append(n)
        if tag not in VOID:
            self.cur = n

    def handle_endtag(self, tag):
        n = self.cur
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.kids.append(data)


def page(name):
    with open('%s/%s' % (out, name), encoding='utf-8') as f:
        src = f.read()
    p = Parser()
    p.feed(src)
    p.close()
    return src, p


def ws(s):
    return ' '.join(s.split())


def fmt_t(t):
    return '%.2f s' % t


def self_contained(name, src, p, njournals):
    # exactly the journals and the renderer are scripts: no string escaped into a tag
    check(p.tags.get('script') == njournals + 1,
          '%s: %s script elements, want %d' % (name, p.tags.get('script'), njournals + 1))
    for tag in ('iframe', 'object', 'embed', 'img', 'link', 'b'):
        check(tag not in p.tags, '%s: unexpected <%s> element' % (name, tag))
    for n in p.root.all():
        for a in ('src', 'srcset', 'action', 'data', 'poster'):
            check(a not in n.attrs, '%s: <%s %s=...> loads something' % (name, n.tag, a))
        if 'href' in n.attrs:
            check(n.attrs['href'].startswith('#'), '%s: link to %s' % (name, n.attrs['href']))
    style = ''.join(s.text() for s in p.root.all('style'))
    check('@import' not in style and not re.search(r'url\((?!#)', style),
          '%s: the stylesheet loads something' % name)
    js = [s.text() for s in p.root.all('script') if 'type' not in s.attrs]
    check(len(js) == 1, '%s: one inline renderer script' % name)
    for bad in ('fetch(', 'XMLHttpRequest', 'import(', 'WebSocket', '.src =', 'sendBeacon'):
        check(all(bad not in j for j in js), '%s: the script uses %s' % (name, bad))
    check('<meta name="viewport"' in src, '%s: no viewport meta (phones)' % name)
    check('@media print' in style, '%s: no print stylesheet' % name)
    check('@media (max-width' in style, '%s: no small-screen stylesheet' % name)
    html_tag = p.root.one('html')
    check(html_tag is not None and html_tag.attrs.get('data-render') == 'pending',
          '%s: <html data-render="pending"> missing' % name)


def embedded(name, p, files):
    blocks = list(p.root.all('script', cls='fr-journal'))
    check(len(blocks) == len(files), '%s: %d journals embedded, want %d' % (name, len(blocks), len(files)))
    for b, f in zip(blocks, files):
        raw = b.text()
        check('<' not in raw, '%s: a raw "<" in the embedded journal' % name)
        with open(f, encoding='utf-8') as fh:
            try:
                same = json.loads(raw) == json.load(fh)
            except ValueError as e:
                same = False
                problems.append('%s: embedded journal is not JSON: %s' % (name, e))
            check(same, '%s: embedded %s differs from the file' % (name, f))


def scenario_section(name, p, sec_id, sc, jfile):
    sec = p.root.one('section', id=sec_id)
    if sec is None:
        problems.append('%s: no section %s' % (name, sec_id))
        return
    verdict = sc['verdict']
    check(sec.attrs.get('data-verdict') == verdict, '%s: %s verdict %s' % (name, sec_id, sec.attrs.get('data-verdict')))
    h2 = ws(sec.one('h2').text())
    check(h2 == '%s %s' % (verdict.upper(), sc['name']), '%s: heading "%s"' % (name, h2))
    nsamples = sum(len(p_['samples']) for p_ in sc['probes'])
    check(sec.attrs.get('data-samples') == str(nsamples), '%s: %s data-samples %s, want %d' % (name, sec_id, sec.attrs.get('data-samples'), nsamples))
    tl = sec.one('div', cls='tl')
    check(tl is not None and tl.attrs.get('data-journal') is not None, '%s: no timeline container' % name)
    params = ws(sec.one('dl', cls='params').text())
    check(str(sc['seed']) in params, '%s: seed %s not shown' % (name, sc['seed']))
    for k, v in sc['vars'].items():
        check('%s=%s' % (k, v) in params, '%s: var %s=%s not shown' % (name, k, v))
    if sc['error']:
        why = sec.one('p', cls='why')
        check(why is not None and ws(why.text()) == ws(sc['error']), '%s: error line not shown' % name)
    # assertions: one row each, measured beside bound, held or failed, and the window
    rows = list(sec.all('tr', cls=None, tabindex='0'))
    check(len(rows) == len(sc['assertions']), '%s: %d assertion rows, want %d' % (name, len(rows), len(sc['assertions'])))
    for i, (tr, a) in enumerate(zip(rows, sc['assertions'])):
        tds = [ws(td.text()) for td in tr.all('td')]
        check(tr.attrs.get('data-a') == str(i), '%s: row %d data-a' % (name, i))
        check(tr.attrs.get('class') == ('a-ok' if a['ok'] else 'a-fail'), '%s: row %d class %s' % (name, i, tr.attrs.get('class')))
        check(tds[0] == ('✓ held' if a['ok'] else '✗ failed'), '%s: row %d result %s' % (name, i, tds[0]))
        check(tds[1].startswith(ws(a['label'])), '%s: row %d label %s' % (name, i, tds[1]))
        check(tds[2] == ws(a['measured']), '%s: row %d measured %s, want %s' % (name, i, tds[2], a['measured']))
        check(tds[3] == ws(a['bound']), '%s: row %d bound %s' % (name, i, tds[3]))
        if a['window']:
            want = ', '.join('%.2f–%.2f s' % tuple(iv) for iv in a['window']['intervals'])
            check(tds[4] == ws(a['window']['label'] + ' ' + want), '%s: row %d window "%s"' % (name, i, tds[4]))
    failed = sum(1 for a in sc['assertions'] if not a['ok'])
    h3 = [ws(h.text()) for h in sec.all('h3')]
    check('Assertions %d, %d failed' % (len(sc['assertions']), failed) in h3, '%s: assertions heading %s' % (name, h3))
    # faults: every one listed with its windows and counts
    ftab = sec.one('table', cls='faults')
    frows = [[ws(td.text()) for td in tr.all('td')] for tr in ftab.all('tr') if list(tr.all('td'))] if ftab else []
    check(len(frows) == len(sc['faults']), '%s: %d fault rows' % (name, len(frows)))
    for r, f in zip(frows, sc['faults']):
        wins = ', '.join('%.2f–%.2f s' % (w['start'], w['end']) for w in f['windows']) or 'never'
        check(r[0] == f['name'] and r[2] == wins, '%s: fault row %s, want windows %s' % (name, r, wins))
        check(r[3].startswith(str(f['injected'])) and r[4] == str(f['matched']), '%s: fault counts %s' % (name, r))
    # probes: every series with its number of samples
    ptab = sec.one('table', cls='probes')
    prows = [[ws(td.text()) for td in tr.all('td')] for tr in ptab.all('tr') if list(tr.all('td'))] if ptab else []
    check(len(prows) == len(sc['probes']), '%s: %d probe rows' % (name, len(prows)))
    for r, pr in zip(prows, sc['probes']):
        ok = sum(1 for s in pr['samples'] if s['ok'])
        to = sum(1 for s in pr['samples'] if s['timeout'])
        check(r[0] == pr['name'] and r[5] == str(len(pr['samples'])) and r[7] == str(to),
              '%s: probe row %s' % (name, r))
        if pr['samples']:
            check(r[6] == '%d (%.1f%%)' % (ok, 100.0 * ok / len(pr['samples'])), '%s: probe ok %s' % (name, r[6]))
    # the target's lifecycle, with exits and their status
    ltab = sec.one('table', cls='life')
    lrows = [[ws(td.text()) for td in tr.all('td')] for tr in ltab.all('tr') if list(tr.all('td'))] if ltab else []
    check(len(lrows) == len(sc['target']['lifecycle']), '%s: %d lifecycle rows' % (name, len(lrows)))
    for r, e in zip(lrows, sc['target']['lifecycle']):
        check(r[0] == fmt_t(e['t']) and r[1] == e['event'], '%s: lifecycle row %s' % (name, r))
        if e['event'] == 'exit':
            d = ('status %d' % e['status']) if e['status'] is not None else 'killed by ' + e['signal']
            d += ' (expected)' if e['expected'] else ' (unexpected)'
            check(r[3] == d, '%s: exit row %s, want %s' % (name, r, d))


# the passing and the failing run
for name, jf in (('report-passing.html', pass_j), ('report-failing.html', fail_j)):
    src, p = page(name)
    with open(jf, encoding='utf-8') as f:
        j = json.load(f)
    sc = j['scenarios'][0]
    self_contained(name, src, p, 1)
    embedded(name, p, [jf])
    title = ws(p.root.one('title').text())
    check(title == '%s — %s — faultrun' % (sc['name'], sc['verdict'].upper()), '%s: title %s' % (name, title))
    check(p.root.one('section', cls='overview') is None, '%s: a summary table for one scenario' % name)
    scenario_section(name, p, 's0-0', sc, jf)

# the failing run's page says what failed, in words a person reads
src, p = page('report-failing.html')
text = ws(p.root.one('main').text())
for want in ('FAIL disk-full', '✗ failed home recovers within 2s after log-full is cleared 3.39s <= 2s',
             'log-full write errno=ENOSPC', '2.00–8.00 s', '1873', 'status 1 (unexpected)',
             'restart #1', 'behind a load balancer', 'out at 4.00 s', '1617 earlier ones were not recorded'):
    check(want in text, 'report-failing.html: "%s" not in the page' % want)

# several journals: a summary at the top, a section per scenario, hostile strings inert
src, p = page('report-multi.html')
self_contained('report-multi.html', src, p, 2)
embedded('report-multi.html', p, [multi_j, pass_j])
with open(multi_j, encoding='utf-8') as f:
    mj = json.load(f)
with open(pass_j, encoding='utf-8') as f:
    pj = json.load(f)
want = [('s0-%d' % i, sc, multi_j) for i, sc in enumerate(mj['scenarios'])] + [('s1-0', pj['scenarios'][0], pass_j)]
ov = p.root.one('section', cls='overview')
check(ov is not None, 'report-multi.html: no summary')
links = [a.attrs['href'] for a in ov.all('a')] if ov else []
check(links == ['#' + w[0] for w in want], 'report-multi.html: summary links %s' % links)
verdicts = [ws(s.text()) for s in ov.all('span', cls='verdict')] if ov else []
check(verdicts == [w[1]['verdict'].upper() for w in want], 'report-multi.html: summary verdicts %s' % verdicts)
check(ws(p.root.one('title').text()) == 'faultrun: 3 scenarios, 2 not passed', 'report-multi.html: title')
for sid, sc, jf in want:
    scenario_section('report-multi.html', p, sid, sc, jf)
check('alert(' not in ''.join(s.text() for s in p.root.all('script') if 'type' not in s.attrs),
      'report-multi.html: a journal string reached the script')
check(src.count('&lt;/script&gt;&lt;script&gt;alert(&quot;x&quot;)') >= 5,
      'report-multi.html: the hostile strings are not shown escaped')

if problems:
    print('\n'.join('FAIL: ' + p for p in problems))
    sys.exit(1)
print('ok: page content of %d pages checked' % 3)
EOF

# --- the inline renderer parses as JavaScript (node, when installed; the browser test runs it) ---
if command -v node >/dev/null 2>&1; then
	python3 -c 'import re, sys; print(re.findall(r"<script>\n(.*?)</script>", open(sys.argv[1], encoding="utf-8").read(), re.S)[-1])' \
		"$out/report-failing.html" > "$work/page.js"
	[ -s "$work/page.js" ] || fail "no inline script found"
	node --check "$work/page.js" || fail "the page's script does not parse"
	echo "ok: the page's script parses"
fi

# --- bad input: one line naming the file (and line:column), exit 2, nothing written ---
expect_err() {
	want_re=$1
	shift
	if "$FAULTRUN" report "$@" 2> "$work/err"; then
		fail "report $* succeeded"
	else
		st=$?
	fi
	[ "$st" -eq 2 ] || fail "report $*: exit $st, want 2"
	grep -Eq "$want_re" "$work/err" || fail "report $*: message '$(cat "$work/err")' does not match '$want_re'"
}
printf '{"format": "faultrun-journal",\n "version": 1\n "scenarios": []}\n' > "$work/bad.json"
printf '{"format": "faultrun-journal", "version": 2, "scenarios": []}\n' > "$work/v2.json"
printf '{"scenarios": []}\n' > "$work/other.json"
printf '[1, 2' > "$work/cut.json"
expect_err "^faultrun: $work/bad.json:3:2: expected ',' or '}'\$" "$work/bad.json" --html "$work/x.html"
expect_err "^faultrun: $work/cut.json:1:1: unterminated array" "$work/cut.json" --html "$work/x.html"
expect_err "journal version 2 is not supported" "$work/v2.json" --html "$work/x.html"
expect_err "not a faultrun journal" "$work/other.json" --html "$work/x.html"
expect_err "^faultrun: $work/missing.json: No such file or directory\$" "$work/missing.json" --html "$work/x.html"
expect_err "no output given" "$pass"
expect_err "no journal given" --html "$work/x.html"
expect_err "unknown option '--htlm'" "$pass" --htlm "$work/x.html"
expect_err "'--html' needs a file name" "$pass" --html
# a bad journal among good ones: nothing is written
expect_err "bad.json:3:2" "$pass" "$work/bad.json" --html "$work/x.html"
[ ! -e "$work/x.html" ] || fail "a page was written although a journal was bad"
# an output that cannot be written: a directory; no temporary file is left
mkdir "$work/dir.html"
expect_err "dir.html: Is a directory" "$pass" --html "$work/dir.html"
[ -z "$(ls "$work" | grep '\.tmp$')" ] || fail "a temporary file was left behind"
echo "ok: bad input refused"
