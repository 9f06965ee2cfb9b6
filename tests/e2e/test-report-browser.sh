#!/bin/sh
# faultrun report in a real browser: headless Chromium opens the pages drawn
# from the passing, the failing and a multi-scenario journal, at desktop and
# phone width. The page must render without a script error, draw every
# sample, fault window and assertion window, pass its own interaction
# self-test (page.html#selftest: hover, highlight, zoom), fit a phone's
# width, print to PDF, and screenshot as a non-blank picture holding the
# outcome colours.
#
# env: FAULTRUN, FIXTURES (tests/e2e/fixtures), REPORT_OUT (optional: where
# to leave pages and screenshots), CHROMIUM (optional: the browser).
# Exits 77 (skip) only when no Chromium is installed (Debian: apt-get install chromium).
set -eu

: "${FAULTRUN:?set FAULTRUN to the faultrun binary}"
: "${FIXTURES:?set FIXTURES to tests/e2e/fixtures}"
browser=${CHROMIUM:-}
if [ -z "$browser" ]; then
	for b in chromium chromium-browser; do
		if command -v "$b" >/dev/null 2>&1; then
			browser=$(command -v "$b")
			break
		fi
	done
fi
if [ -z "$browser" ]; then
	echo "SKIP: chromium is not installed (Debian: apt-get install chromium)"
	exit 77
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=${REPORT_OUT:-$work}
mkdir -p "$out"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# chrome SIZE ARGS...: one headless run with a fresh profile, no network
chrome() {
	size=$1
	shift
	prof=$(mktemp -d)
	timeout 90 "$browser" --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking --disable-component-update \
		--disable-sync --disable-extensions --hide-scrollbars --mute-audio \
		--user-data-dir="$prof" --window-size="$size" --virtual-time-budget=10000 \
		"$@" 2>> "$work/chromium.log"
	st=$?
	rm -rf "$prof"
	return $st
}

"$FAULTRUN" report -q "$FIXTURES/journal-pass.json" --html "$out/report-passing.html"
"$FAULTRUN" report -q "$FIXTURES/journal-fail.json" --html "$out/report-failing.html"
"$FAULTRUN" report -q "$FIXTURES/journal-multi.json" "$FIXTURES/journal-fail.json" \
	--html "$out/report-multi.html"

for pg in passing failing multi; do
	for size in 1280,1000 390,844; do
		tag=$pg-${size%%,*}
		chrome "$size" --dump-dom "file://$out/report-$pg.html#selftest" > "$work/$tag.dom" ||
			fail "chromium could not open report-$pg.html (see below)
$(tail -20 "$work/chromium.log")"
		chrome "$size" --screenshot="$out/report-$tag.png" "file://$out/report-$pg.html" > /dev/null ||
			fail "chromium could not screenshot report-$pg.html"
	done
	chrome 1280,1000 --no-pdf-header-footer --print-to-pdf="$work/$pg.pdf" \
		"file://$out/report-$pg.html" > /dev/null || fail "chromium could not print report-$pg.html"
done

python3 - "$work" "$out" "$FIXTURES" <<'EOF'
import json, re, struct, sys, zlib

work, out, fix = sys.argv[1:4]
problems = []


def check(cond, msg):
    if not cond:
        problems.append(msg)


def journal(name):
    with open('%s/%s' % (fix, name), encoding='utf-8') as f:
        return json.load(f)


pages = {
    'passing': [journal('journal-pass.json')],
    'failing': [journal('journal-fail.json')],
    'multi': [journal('journal-multi.json'), journal('journal-fail.json')],
}


def attrs(tag):
    return dict(re.findall(r'([\w-]+)="([^"]*)"', tag))


# --- the rendered DOM: no error, everything drawn, the self-test passed ---
for pg, journals in pages.items():
    for width in ('1280', '390'):
        name = 'report-%s.html at %spx' % (pg, width)
        with open('%s/%s-%s.dom' % (work, pg, width), encoding='utf-8') as f:
            dom = f.read()
        m = re.search(r'<html[^>]*>', dom)
        a = attrs(m.group(0)) if m else {}
        check(a.get('data-render') == 'done', '%s: data-render=%s' % (name, a.get('data-render')))
        check(a.get('data-selftest') == 'ok', '%s: self-test: %s' % (name, a.get('data-selftest')))
        err = re.search(r'<pre id="fr-errors"([^>]*)>(.*?)</pre>', dom, re.S)
        check(err and 'hidden' in err.group(1) and not err.group(2).strip(),
              '%s: script errors: %s' % (name, err.group(2) if err else 'no #fr-errors'))
        tls = [attrs(t) for t in re.findall(r'<div class="tl"[^>]*>', dom)]
        want = [(ji, si, sc) for ji, j in enumerate(journals) for si, sc in enumerate(j['scenarios'])]
        check(len(tls) == len(want), '%s: %d timelines, want %d' % (name, len(tls), len(want)))
        check(dom.count('<svg') >= len(want), '%s: %d svg drawings' % (name, dom.count('<svg')))
        for t, (ji, si, sc) in zip(tls, want):
            where = '%s: %s' % (name, sc['name'])
            check(t.get('data-journal') == str(ji) and t.get('data-scenario') == str(si), where + ': order')
            n = sum(len(p['samples']) for p in sc['probes'])
            wins = sum(len(f['windows']) for f in sc['faults'])
            asserts = sum(1 for x in sc['assertions'] if x['window'] and x['window']['intervals'])
            events = len(sc['injections']['events'])
            check(t.get('data-drawn-samples') == str(n), '%s: %s samples drawn, want %d' % (where, t.get('data-drawn-samples'), n))
            check(t.get('data-drawn-windows') == str(wins), '%s: %s fault windows drawn, want %d' % (where, t.get('data-drawn-windows'), wins))
            check(t.get('data-drawn-assertions') == str(asserts), '%s: %s assertion windows drawn, want %d' % (where, t.get('data-drawn-assertions'), asserts))
            check(t.get('data-drawn-injections') == str(events), '%s: %s injections drawn, want %d' % (where, t.get('data-drawn-injections'), events))


# --- the screenshots: a real picture, with the outcome colours in it ---
def png_pixels(path):
    """Decode an 8-bit RGB/RGBA, non-interlaced PNG (what Chromium writes)."""
    with open(path, 'rb') as f:
        data = f.read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise ValueError('not a PNG')
    pos, idat, w = 8, b'', 0
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


OK, DOWN, ERR, TIMEOUT = (0x2f, 0x9e, 0x44), (0xe0, 0x31, 0x31), (0xf0, 0x8c, 0x00), (0x70, 0x48, 0xe8)
for pg in pages:
    for width in ('1280', '390'):
        path = '%s/report-%s-%s.png' % (out, pg, width)
        name = 'report-%s-%s.png' % (pg, width)
        try:
            w, h, bpp, rows = png_pixels(path)
        except (OSError, ValueError, zlib.error) as e:
            problems.append('%s: %s' % (name, e))
            continue
        colours, nonwhite, seen = set(), 0, {OK: 0, DOWN: 0, ERR: 0, TIMEOUT: 0}
        for row in rows:
            for x in range(0, w * bpp, bpp):
                px = (row[x], row[x + 1], row[x + 2])
                colours.add(px)
                if px != (255, 255, 255):
                    nonwhite += 1
                if px in seen:
                    seen[px] += 1
        check(str(w) == width, '%s: %d px wide' % (name, w))
        check(len(colours) >= 64, '%s: only %d colours: blank?' % (name, len(colours)))
        check(nonwhite >= 0.05 * w * h, '%s: only %.1f%% non-white pixels' % (name, 100.0 * nonwhite / (w * h)))
        # the multi page opens on its summary and a run that never started: no samples in view
        if pg != 'multi':
            check(seen[OK] >= 50, '%s: no green (ok) samples drawn' % name)
        if pg == 'failing' and width == '1280':
            check(seen[DOWN] >= 50, '%s: no red (no answer / failed) drawn' % name)
            check(seen[ERR] >= 50, '%s: no amber (answered, failed) samples drawn' % name)
            check(seen[TIMEOUT] >= 20, '%s: no timeouts drawn' % name)
        if pg == 'passing' and width == '1280':
            check(seen[DOWN] < 50, '%s: red in a passing run' % name)

# --- printing gives a PDF with pages ---
for pg in pages:
    with open('%s/%s.pdf' % (work, pg), 'rb') as f:
        pdf = f.read()
    check(pdf.startswith(b'%PDF') and len(re.findall(rb'/Type\s*/Page[^s]', pdf)) >= 1,
          'report-%s.html does not print' % pg)

if problems:
    print('\n'.join('FAIL: ' + p for p in problems))
    sys.exit(1)
print('ok: %d pages rendered, self-tested, screenshot and printed in %s' % (len(pages), out))
EOF
