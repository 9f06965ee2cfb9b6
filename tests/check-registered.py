#!/usr/bin/env python3
"""Configure-time check: every test program in tests/ is registered.

A file tests/<dir>/test-*.{c,sh,py} that tests/meson.build never names
would never run, and a green suite would hide it. Its name (without the
extension), or its path, must stand as a quoted string in tests/meson.build
outside comments. Shared pieces are exempt: headers and *-lib.* files.
Prints the unregistered files and exits 1, which stops `meson setup`.
"""
import os
import re
import sys

tests = sys.argv[1]
with open(os.path.join(tests, 'meson.build'), encoding='utf-8') as f:
    text = '\n'.join(line.split('#', 1)[0] for line in f)
quoted = set(re.findall(r"'([^']*)'", text))

missing = []
for root, dirs, files in os.walk(tests):
    dirs[:] = [d for d in dirs if d not in ('fixtures', 'corpus', 'regressions')]
    for name in files:
        stem, ext = os.path.splitext(name)
        if not stem.startswith('test-') or ext not in ('.c', '.sh', '.py'):
            continue
        if stem.endswith('-lib'):
            continue
        rel = os.path.relpath(os.path.join(root, name), tests)
        if stem in quoted or rel in quoted:
            continue
        missing.append(rel)
for rel in sorted(missing):
    print('tests/%s is not registered in tests/meson.build' % rel)
sys.exit(1 if missing else 0)
