#!/usr/bin/env python3
"""Checks shared by the report tests (tests/e2e/test-report*.sh).

  test-report-lib.py page PAGE.html JOURNAL.json...
      the page drawn from these journals (in this order) holds what they
      measured: a section per scenario with its verdict, parameters, every
      assertion (result, measured value, bound, window), every fault (windows,
      counters), every series (samples, ok, timeouts), the target's lifecycle,
      every service in start order (counts, lifecycle, output); a summary
      when there are several scenarios; the journals embedded intact with no
      raw '<'; nothing loaded from outside the page.
  test-report-lib.py dom DOM.html JOURNAL.json...
      the DOM Chromium dumped after opening PAGE.html#selftest: rendered
      without script error, the self-test passed, and every sample, fault
      window, assertion window and injection event was drawn.
      Each service has its lane, in start order, titled with its name and
      type; its exits are drawn (unexpected ones in the bad colour); a load
      balancer's backends are drawn in rotation, out or unknown from each lb
      or lb-lost event to the next change.
  test-report-lib.py span DOM.html SERVICE BACKEND STATE T0 T1
      SERVICE's backend BACKEND is drawn in STATE exactly from T0 to T1.
  test-report-lib.py png SHOT.png WIDTH [ok,down,err,to]
      a screenshot WIDTH pixels wide that is not blank, holding at least 50
      pixels of each named outcome colour (and no more than 50 of red when
      'nodown' is named).
  test-report-lib.py pdf FILE.pdf
      a PDF with at least one page.

Only the standard library: no PIL, no HTML5 parser.
"""
import html.parser
import json
import re
import struct
import sys
import zlib

problems = []


def check(cond, msg):
    if not cond:
        problems.append(msg)


def load(path):
    with open(path, 'rb') as f:
        # a target's output may hold bytes that are not UTF-8
        return json.loads(f.read().decode('utf-8', 'replace'))


def ws(s):
    return ' '.join(s.split())


# ---------------------------------------------------------------- a tiny DOM

class Node:
    BLOCK = ('td', 'th', 'tr', 'p', 'div', 'dd', 'dt', 'li', 'h2', 'h3')

    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.kids = tag, dict(attrs), parent, []

    def text(self):
        t = ''.join(k if isinstance(k, str) else k.text() for k in self.kids)
        return t + ' ' if self.tag in self.BLOCK else t

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
        return next(self.all(*a, **kw), None)

    def rows(self):
        """The cell texts of each body row of a table."""
        return [[ws(td.text()) for td in tr.all('td')] for tr in self.all('tr') if next(tr.all('td'), None)]


class Parser(html.parser.HTMLParser):
    VOID = {'meta', 'br', 'hr', 'img', 'input', 'link', 'source', 'wbr'}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node('#doc', {}, None)
        self.cur = self.root
        self.tags = {}

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        n = Node(tag, attrs, self.cur)
        self.cur.kids.append(n)
        if tag not in self.VOID:
            self.cur = n

    def handle_endtag(self, tag):
        n = self.cur
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.kids.append(data)


def parse(path):
    with open(path, 'rb') as f:
        src = f.read().decode('utf-8', 'replace')
    p = Parser()
    p.feed(src)
    p.close()
    return src, p


# ---------------------------------------------------------------- page content

def scenarios_of(journals):
    """(section id, journal index, scenario) in page order."""
    return [('s%d-%d' % (ji, si), ji, sc) for ji, j in enumerate(journals)
            for si, sc in enumerate(j['scenarios'])]


def self_contained(name, src, p, njournals):
    # exactly the journals and the renderer are scripts: no string became a tag
    check(p.tags.get('script') == njournals + 1,
          '%s: %s script elements, want %d' % (name, p.tags.get('script'), njournals + 1))
    for tag in ('iframe', 'object', 'embed', 'img', 'link', 'b', 'base', 'form'):
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
    check(len(js) == 1, '%s: %d inline renderer scripts, want 1' % (name, len(js)))
    for bad in ('fetch(', 'XMLHttpRequest', 'import(', 'WebSocket', '.src =', 'sendBeacon', 'alert('):
        check(all(bad not in j for j in js), '%s: the script holds %s' % (name, bad))
    check('<meta name="viewport"' in src, '%s: no viewport meta (phones)' % name)
    check('@media print' in style, '%s: no print stylesheet' % name)
    check('@media (max-width' in style, '%s: no small-screen stylesheet' % name)
    html_tag = p.root.one('html')
    check(html_tag is not None and html_tag.attrs.get('data-render') == 'pending',
          '%s: <html data-render="pending"> missing' % name)


def embedded(name, p, journals):
    blocks = list(p.root.all('script', cls='fr-journal'))
    check(len(blocks) == len(journals), '%s: %d journals embedded, want %d' % (name, len(blocks), len(journals)))
    for i, (b, j) in enumerate(zip(blocks, journals)):
        raw = b.text()
        check(b.attrs.get('data-journal') == str(i), '%s: journal %d out of order' % (name, i))
        check('<' not in raw, '%s: a raw "<" in embedded journal %d' % (name, i))
        try:
            same = json.loads(raw) == j
        except ValueError as e:
            same = False
            problems.append('%s: embedded journal %d is not JSON: %s' % (name, i, e))
        check(same, '%s: embedded journal %d differs from its file' % (name, i))


def fmt_t(t):
    return '%.2f s' % t


def section(name, p, sid, sc):
    sec = p.root.one('section', id=sid)
    if sec is None:
        problems.append('%s: no section %s' % (name, sid))
        return
    name = '%s: %s' % (name, sc['name'])
    verdict = sc['verdict']
    check(sec.attrs.get('data-verdict') == verdict, '%s: verdict %s' % (name, sec.attrs.get('data-verdict')))
    h2 = ws(sec.one('h2').text())
    check(h2 == '%s %s' % (verdict.upper(), ws(sc['name'])), '%s: heading "%s"' % (name, h2))
    nsamples = sum(len(pr['samples']) for pr in sc['probes'])
    check(sec.attrs.get('data-samples') == str(nsamples),
          '%s: data-samples %s, want %d' % (name, sec.attrs.get('data-samples'), nsamples))
    tl = sec.one('div', cls='tl')
    check(tl is not None and tl.attrs.get('data-scenario') is not None, '%s: no timeline container' % name)
    params = ws(sec.one('dl', cls='params').text())
    check(str(sc['seed']) in params, '%s: seed %s not shown' % (name, sc['seed']))
    for k, v in sc['vars'].items():
        check(ws('%s=%s' % (k, v)) in params, '%s: var %s=%s not shown' % (name, k, v))
    if sc.get('error'):
        why = sec.one('p', cls='why')
        check(why is not None and ws(why.text()) == ws(sc['error']), '%s: error line not shown' % name)

    # assertions: one row each, measured beside bound, held or failed, and the window
    rows = list(sec.all('tr', tabindex='0'))
    check(len(rows) == len(sc['assertions']), '%s: %d assertion rows, want %d' % (name, len(rows), len(sc['assertions'])))
    for i, (tr, a) in enumerate(zip(rows, sc['assertions'])):
        tds = [ws(td.text()) for td in tr.all('td')]
        check(tr.attrs.get('data-a') == str(i), '%s: row %d data-a' % (name, i))
        check(tr.attrs.get('class') == ('a-ok' if a['ok'] else 'a-fail'), '%s: row %d class %s' % (name, i, tr.attrs.get('class')))
        check(tds[0] == ('✓ held' if a['ok'] else '✗ failed'), '%s: row %d result %s' % (name, i, tds[0]))
        check(tds[1].startswith(ws(a['label'])), '%s: row %d label %s' % (name, i, tds[1]))
        check(tds[2] == ws(a['measured']), '%s: row %d measured "%s", want "%s"' % (name, i, tds[2], a['measured']))
        check(tds[3] == ws(a['bound']), '%s: row %d bound "%s"' % (name, i, tds[3]))
        if a['window']:
            want = ', '.join('%.2f–%.2f s' % tuple(iv) for iv in a['window']['intervals'])
            check(tds[4] == ws(a['window']['label'] + ' ' + want), '%s: row %d window "%s", want "%s"' % (name, i, tds[4], want))
    failed = sum(1 for a in sc['assertions'] if not a['ok'])
    h3 = [ws(h.text()) for h in sec.all('h3')]
    check('Assertions %d, %d failed' % (len(sc['assertions']), failed) in h3, '%s: assertions heading %s' % (name, h3))

    # faults: every one with its windows and counters
    ftab = sec.one('table', cls='faults')
    frows = ftab.rows() if ftab else []
    check(len(frows) == len(sc['faults']), '%s: %d fault rows, want %d' % (name, len(frows), len(sc['faults'])))
    for r, f in zip(frows, sc['faults']):
        wins = ', '.join('%.2f–%.2f s' % (w['start'], w['end']) for w in f['windows']) or 'never'
        check(r[0] == ws(f['name']) and r[2] == wins, '%s: fault row %s, want windows %s' % (name, r, wins))
        check(r[3].split()[0] == str(f['injected']) and r[4] == str(f['matched']), '%s: fault counters %s' % (name, r))

    # series: every probe, the load and requests, with their samples
    ptab = sec.one('table', cls='probes')
    prows = ptab.rows() if ptab else []
    check(len(prows) == len(sc['probes']), '%s: %d probe rows, want %d' % (name, len(prows), len(sc['probes'])))
    for r, pr in zip(prows, sc['probes']):
        n = len(pr['samples'])
        ok = sum(1 for s in pr['samples'] if s['ok'])
        to = sum(1 for s in pr['samples'] if s['timeout'])
        check(r[0] == ws(pr['name']) and r[5] == str(n) and r[7] == str(to), '%s: probe row %s' % (name, r))
        if n:
            check(r[6] == '%d (%.1f%%)' % (ok, 100.0 * ok / n), '%s: probe %s ok "%s"' % (name, pr['name'], r[6]))

    # the target's lifecycle, exits with their status
    ltab = sec.one('table', cls='life')
    life = sc['target']['lifecycle']
    lrows = ltab.rows() if ltab else []
    check(len(lrows) == len(life), '%s: %d lifecycle rows, want %d' % (name, len(lrows), len(life)))
    for r, e in zip(lrows, life):
        check(r[0] == fmt_t(e['t']) and r[1] == e['event'], '%s: lifecycle row %s' % (name, r))
        if e['event'] == 'exit':
            d = ('status %d' % e['status']) if e.get('status') is not None else 'killed by %s' % e.get('signal')
            d += ' (expected)' if e.get('expected') else ' (unexpected)'
            check(r[3] == d, '%s: exit row %s, want "%s"' % (name, r, d))
    services(name, sec, sc)


def start_order(sc):
    """The scenario's services in the order they started (first event), as the page shows them."""
    svcs = [sv for sv in sc.get('services') or [] if isinstance(sv, dict)]
    inf = float('inf')
    return [sv for _, _, sv in sorted(
        ((sv['lifecycle'][0]['t'] if sv.get('lifecycle') else inf), i, sv) for i, sv in enumerate(svcs))]


def lb_out(state):
    """HAProxy's server state: UP and NOCHECK are in rotation, the others out."""
    return not (str(state).startswith('UP') or state == 'NOCHECK')


def life_detail(e):
    """The detail cell the page writes for a lifecycle event (exit and lb ones)."""
    if e['event'] == 'exit':
        d = ('status %d' % e['status']) if e.get('status') is not None else 'killed by %s' % e.get('signal')
        return d + (' (expected)' if e.get('expected') else ' (unexpected)')
    if e['event'] == 'lb':
        return ws('%s: %s → %s (%s): %s' % (e['server'], e.get('before'), e['state'],
                                           'out of rotation' if lb_out(e['state']) else 'in rotation',
                                           e.get('detail') or ''))
    return None


def services(name, sec, sc):
    """Each service: its section in start order, its counts, lifecycle and output."""
    divs = list(sec.all('div', cls='svc'))
    want = start_order(sc)
    got = [d.attrs.get('data-service') for d in divs]
    check(got == [sv['name'] for sv in want], '%s: services %s, want %s in start order' % (
        name, got, [sv['name'] for sv in want]))
    for d, sv in zip(divs, want):
        where = '%s: service %s' % (name, sv['name'])
        h3 = ws(d.one('h3').text())
        check(h3 == 'Service %s %s' % (ws(sv['name']), sv.get('type', 'process')), '%s: heading "%s"' % (where, h3))
        counts = '%d start%s, %d restart%s, %d unexpected exit%s' % (
            sv['starts'], '' if sv['starts'] == 1 else 's', sv['restarts'], '' if sv['restarts'] == 1 else 's',
            sv['exits'], '' if sv['exits'] == 1 else 's')
        check(counts in ws(d.text()), '%s: "%s" not shown' % (where, counts))
        for b in sv.get('backends') or []:
            check(b in [ws(c.text()) for c in d.all('code')], '%s: backend %s not listed' % (where, b))
        t = d.one('table', cls='life')
        rows = t.rows() if t else []
        check(len(rows) == len(sv['lifecycle']), '%s: %d lifecycle rows, want %d' % (where, len(rows), len(sv['lifecycle'])))
        for tr, e in zip((tr for tr in t.all('tr') if next(tr.all('td'), None)) if t else [], sv['lifecycle']):
            r = [ws(td.text()) for td in tr.all('td')]
            check(r[0] == fmt_t(e['t']) and r[1] == e['event'], '%s: lifecycle row %s' % (where, r))
            if life_detail(e) is not None:
                check(r[3] == life_detail(e), '%s: row "%s", want "%s"' % (where, r[3], life_detail(e)))
            bad = ((e['event'] == 'exit' and not e.get('expected')) or e['event'] in ('lb-lost', 'give-up', 'not-ready')
                   or (e['event'] == 'lb' and lb_out(e['state'])))
            check((tr.attrs.get('class') == 'a-fail') == bad, '%s: row %s marked %s' % (where, r, tr.attrs.get('class')))
        out = d.one('details', cls='output')
        if sv.get('output'):
            text = out.one('pre').text() if out else ''
            check(text == ''.join(line + '\n' for line in sv['output']), '%s: output not shown as it was' % where)
        else:
            check(out is None, '%s: an output section without output' % where)


def cmd_page(page, jpaths):
    journals = [load(j) for j in jpaths]
    src, p = parse(page)
    self_contained(page, src, p, len(journals))
    embedded(page, p, journals)
    scs = scenarios_of(journals)
    title = ws(p.root.one('title').text())
    ov = p.root.one('section', cls='overview')
    if len(scs) == 1:
        sc = scs[0][2]
        check(title == '%s — %s — faultrun' % (ws(sc['name']), sc['verdict'].upper()), '%s: title "%s"' % (page, title))
        check(ov is None, '%s: a summary table for one scenario' % page)
    else:
        bad = sum(1 for s in scs if s[2]['verdict'] != 'pass')
        check(title == 'faultrun: %d scenarios, %d not passed' % (len(scs), bad), '%s: title "%s"' % (page, title))
        check(ov is not None, '%s: no summary at the top' % page)
        if ov is not None:
            links = [a.attrs.get('href') for a in ov.all('a')]
            check(links == ['#' + s[0] for s in scs], '%s: summary links %s' % (page, links))
            verdicts = [ws(v.text()) for v in ov.all('span', cls='verdict')]
            check(verdicts == [s[2]['verdict'].upper() for s in scs], '%s: summary verdicts %s' % (page, verdicts))
    check(len(list(p.root.all('section', cls='scn'))) == len(scs), '%s: one section per scenario' % page)
    for sid, ji, sc in scs:
        section(page, p, sid, sc)


# ---------------------------------------------------------------- the rendered DOM

def attrs(tag):
    return dict(re.findall(r'([\w-]+)="([^"]*)"', tag))


def cmd_dom(dom_path, jpaths):
    journals = [load(j) for j in jpaths]
    with open(dom_path, 'rb') as f:
        dom = f.read().decode('utf-8', 'replace')
    name = dom_path
    m = re.search(r'<html[^>]*>', dom)
    a = attrs(m.group(0)) if m else {}
    check(a.get('data-render') == 'done', '%s: data-render=%s' % (name, a.get('data-render')))
    check(a.get('data-selftest') == 'ok', '%s: self-test: %s' % (name, a.get('data-selftest')))
    err = re.search(r'<pre id="fr-errors"([^>]*)>(.*?)</pre>', dom, re.S)
    check(err is not None and 'hidden' in err.group(1) and not err.group(2).strip(),
          '%s: script errors: %s' % (name, err.group(2) if err else 'no #fr-errors'))
    tls = [attrs(t) for t in re.findall(r'<div class="tl"[^>]*>', dom)]
    p = Parser()
    p.feed(dom)
    for tl, (sid, ji, sc) in zip(p.root.all('div', cls='tl'), scenarios_of(journals)):
        drawn_services('%s: %s' % (name, sc['name']), tl, sc)
    scs = scenarios_of(journals)
    check(len(tls) == len(scs), '%s: %d timelines, want %d' % (name, len(tls), len(scs)))
    check(dom.count('<svg') >= len(scs), '%s: %d svg drawings' % (name, dom.count('<svg')))
    for t, (sid, ji, sc) in zip(tls, scs):
        where = '%s: %s' % (name, sc['name'])
        n = sum(len(pr['samples']) for pr in sc['probes'])
        wins = sum(len(f['windows']) for f in sc['faults'])
        asserts = sum(1 for x in sc['assertions'] if x['window'] and x['window']['intervals'])
        events = len(sc['injections']['events'])
        for key, want in (('samples', n), ('windows', wins), ('assertions', asserts), ('injections', events)):
            got = t.get('data-drawn-' + key)
            check(got == str(want), '%s: %s %s drawn, want %d' % (where, got, key, want))


def lb_class(state):
    return 'unknown' if state in ('LOST', 'UNKNOWN') else 'out' if lb_out(state) else 'in'


def drawn_services(where, tl, sc):
    """The lanes of the services in a drawn timeline (a Node of the dumped DOM)."""
    groups = {}
    for g in tl.all('g'):
        if g.attrs.get('data-lane') == 'service':
            groups.setdefault(g.attrs.get('data-name'), []).append(g)
    want = start_order(sc)
    got = list(groups)  # the plot groups come first, in lane order
    check(got == [sv['name'] for sv in want], '%s: service lanes %s, want %s (start order)' % (
        where, got, [sv['name'] for sv in want]))
    check(tl.attrs.get('data-drawn-services') == str(len(want)),
          '%s: %s services drawn' % (where, tl.attrs.get('data-drawn-services')))
    for sv in want:
        gs = groups.get(sv['name'], [])
        if len(gs) != 2:
            problems.append('%s: service %s has %d lane groups' % (where, sv['name'], len(gs)))
            continue
        plot, text = gs
        lw = '%s: service %s' % (where, sv['name'])
        title = ws(text.one('text').text()) if text.one('text') else ''
        label = 'service · %s (%s)' % (sv['name'], sv.get('type', 'process'))
        check(title.startswith(label), '%s: lane title "%s", want "%s"' % (lw, title, label))
        # every exit marked, in the bad colour when the run did not ask for it
        marks = dict((float(r.attrs['data-t']), r.attrs.get('class')) for r in plot.all('rect', data_event='exit'))
        for e in sv['lifecycle']:
            if e['event'] != 'exit':
                continue
            cls = [c for t, c in marks.items() if abs(t - e['t']) < 1e-9]
            want_cls = 'ev-exit' if e.get('expected') else 'ev-bad'
            check(cls == [want_cls], '%s: the exit at %s drawn as %s, want %s' % (lw, e['t'], cls, want_cls))
        # a load balancer: each backend's state from each lb event to the next change
        spans = [(l.attrs.get('data-backend'), l.attrs.get('data-state'), float(l.attrs['data-t0']),
                  float(l.attrs['data-t1']), l.attrs.get('class')) for l in plot.all('line') if 'data-t0' in l.attrs]
        life = sv['lifecycle']
        for i, e in enumerate(life):
            if e['event'] not in ('lb', 'lb-lost'):
                continue
            for b in [e['server']] if e['event'] == 'lb' else sv.get('backends') or []:
                state = e['state'] if e['event'] == 'lb' else 'LOST'
                ends = [x['t'] for x in life[i + 1:] if x['t'] > e['t'] and (
                    x['event'] in ('lb-lost', 'exit') or (x['event'] == 'lb' and x['server'] == b))]
                got = [s for s in spans if s[0] == b and abs(s[2] - e['t']) < 1e-9]
                ok = (len(got) == 1 and got[0][1] == state and got[0][4] == 'rot-' + lb_class(state)
                      and (abs(got[0][3] - ends[0]) < 1e-9 if ends else got[0][3] >= sc['duration']))
                check(ok, '%s: backend %s %s from %s: drawn %s, want until %s' % (
                    lw, b, state, e['t'], got, ends[0] if ends else 'the end'))


def cmd_span(dom_path, service, backend, state, t0, t1):
    """One backend span drawn exactly over [t0, t1] (the first timeline of the page)."""
    with open(dom_path, 'rb') as f:
        p = Parser()
        p.feed(f.read().decode('utf-8', 'replace'))
    lines = [l for g in p.root.all('g', data_lane='service', data_name=service) for l in g.all('line')
             if l.attrs.get('data-backend') == backend and l.attrs.get('data-state') == state]
    got = [(float(l.attrs['data-t0']), float(l.attrs['data-t1'])) for l in lines]
    check(len(got) == 1 and abs(got[0][0] - float(t0)) < 1e-9 and abs(got[0][1] - float(t1)) < 1e-9,
          '%s: %s\'s backend %s %s drawn over %s, want [%s, %s]' % (dom_path, service, backend, state, got, t0, t1))


# ---------------------------------------------------------------- pictures

def png_pixels(path):
    """Decode an 8-bit RGB/RGBA, non-interlaced PNG (what Chromium writes)."""
    with open(path, 'rb') as f:
        data = f.read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise ValueError('not a PNG')
    pos, idat, w, h, bpp = 8, b'', 0, 0, 0
    while pos < len(data):
        n, typ = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if typ == b'IHDR':
            w, h, depth, ctype, _, _, inter = struct.unpack('>IIBBBBB', body)
            if depth != 8 or ctype not in (2, 6) or inter:
                raise ValueError('unsupported PNG (depth %d, colour type %d)' % (depth, ctype))
            bpp = 4 if ctype == 6 else 3
        elif typ == b'IDAT':
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(h):
        ft = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ft == 1:
                line[i] = (line[i] + a) & 255
            elif ft == 2:
                line[i] = (line[i] + b) & 255
            elif ft == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 255
            elif ft == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


# the outcome colours of report_html.css
COLOURS = {'ok': (0x2f, 0x9e, 0x44), 'down': (0xe0, 0x31, 0x31), 'err': (0xf0, 0x8c, 0x00),
           'to': (0x70, 0x48, 0xe8)}


def cmd_png(path, width, want=''):
    try:
        w, h, bpp, rows = png_pixels(path)
    except (OSError, ValueError, zlib.error) as e:
        problems.append('%s: %s' % (path, e))
        return
    colours, nonwhite = set(), 0
    seen = dict((c, 0) for c in COLOURS.values())
    for row in rows:
        for x in range(0, w * bpp, bpp):
            px = (row[x], row[x + 1], row[x + 2])
            colours.add(px)
            if px != (255, 255, 255):
                nonwhite += 1
            if px in seen:
                seen[px] += 1
    check(w == int(width), '%s: %d px wide, want %s' % (path, w, width))
    check(len(colours) >= 64, '%s: only %d colours: blank?' % (path, len(colours)))
    check(nonwhite >= 0.05 * w * h, '%s: only %.1f%% non-white pixels' % (path, 100.0 * nonwhite / (w * h)))
    for c in filter(None, want.split(',')):
        if c == 'nodown':
            check(seen[COLOURS['down']] < 50, '%s: red (no answer) drawn' % path)
        else:
            check(seen[COLOURS[c]] >= 50, '%s: no %s-coloured pixels (%d)' % (path, c, seen[COLOURS[c]]))


def cmd_pdf(path):
    with open(path, 'rb') as f:
        pdf = f.read()
    check(pdf.startswith(b'%PDF') and len(re.findall(rb'/Type\s*/Page[^s]', pdf)) >= 1,
          '%s: not a PDF with pages' % path)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'page':
        cmd_page(args[0], args[1:])
    elif cmd == 'dom':
        cmd_dom(args[0], args[1:])
    elif cmd == 'span':
        cmd_span(*args)
    elif cmd == 'png':
        cmd_png(*args)
    elif cmd == 'pdf':
        cmd_pdf(args[0])
    else:
        sys.exit('usage: see the top of ' + sys.argv[0])
    if problems:
        print('\n'.join('FAIL: ' + p for p in problems))
        sys.exit(1)


if __name__ == '__main__':
    main()
