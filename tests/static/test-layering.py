#!/usr/bin/env python3
"""Data flows one way through harness/ (docs/architecture.md).

Each folder of harness/core may include only folders to its left in
    util -> scenario -> io -> record -> report -> run
(and itself); harness/cli may include any of them. harness/fault, which
the shim links, includes nothing of harness/core, harness/shim or
harness/cli; harness/shim includes harness/fault's headers but nothing of
harness/core or harness/cli. harness/seccomp (the seccomp backend,
linked into faultrun only) includes harness/fault and harness/core/util,
nothing above them. Nothing below it includes harness/seccomp, and of
harness/core only scenario/ (which refuses, at load, the faults the
seccomp backend cannot do) and run/ (which runs units under it) may.
Fails naming each include that points the wrong way.
"""
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..')
harness = os.path.join(root, 'harness')
order = ['util', 'scenario', 'io', 'record', 'report', 'run']
include_re = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
core_headers = {}  # basename -> folder, to catch includes that hide the folder
for folder in order:
    d = os.path.join(harness, 'core', folder)
    for name in os.listdir(d) if os.path.isdir(d) else []:
        if name.endswith('.h'):
            core_headers[name] = folder

# headers of the folders harness/fault and harness/seccomp may not use
shim_headers = {'shim.h', 'sock.h', 'fdtable.h', 'symbols.h', 'readiness.h', 'glibc_private.h'}
cli_headers = set()
seccomp_headers = set()
for folder, into in (('cli', cli_headers), ('seccomp', seccomp_headers)):
    d = os.path.join(harness, folder)
    for name in os.listdir(d) if os.path.isdir(d) else []:
        if name.endswith('.h'):
            into.add(name)

def includes(path):
    with open(path, encoding='utf-8', errors='replace') as f:
        return include_re.findall(f.read())

bad = []
checked = 0
for dirpath, _, files in os.walk(harness):
    rel = os.path.relpath(dirpath, harness).split(os.sep)
    for name in sorted(files):
        if not name.endswith(('.c', '.h')):
            continue
        path = os.path.join(dirpath, name)
        checked += 1
        for inc in includes(path):
            top = inc.split('/', 1)[0] if '/' in inc else None
            where = os.path.relpath(path, root)
            if rel[0] == 'core' and len(rel) > 1 and rel[1] in order:
                mine = order.index(rel[1])
                if (inc in seccomp_headers or inc.startswith('seccomp/')) and \
                        rel[1] not in ('scenario', 'run'):
                    bad.append('%s: includes "%s": of harness/core only scenario/ and run/ '
                               'may use harness/seccomp' % (where, inc))
                if top in order and order.index(top) > mine:
                    bad.append('%s: includes "%s": %s/ may not depend on %s/' %
                               (where, inc, rel[1], top))
                elif top is None and core_headers.get(inc, rel[1]) != rel[1]:
                    bad.append('%s: includes "%s" without its folder' % (where, inc))
            elif rel[0] in ('fault', 'shim'):
                if top in order or inc in core_headers or inc.startswith(('core/', 'cli/')):
                    bad.append('%s: includes "%s": harness/%s may not depend on harness/core'
                               % (where, inc, rel[0]))
                if rel[0] == 'fault' and inc in ('shim.h', 'sock.h'):
                    bad.append('%s: includes "%s": harness/fault may not depend on the shim'
                               % (where, inc))
                if inc in seccomp_headers or inc.startswith('seccomp/'):
                    bad.append('%s: includes "%s": harness/%s may not depend on harness/seccomp'
                               % (where, inc, rel[0]))
            elif rel[0] == 'seccomp':
                above = (top in order and top != 'util') or \
                    (inc in core_headers and core_headers[inc] != 'util') or \
                    inc.startswith(('core/', 'cli/', 'shim/')) or \
                    inc in cli_headers or inc in shim_headers
                if above:
                    bad.append('%s: includes "%s": harness/seccomp may include only '
                               'harness/fault and harness/core/util' % (where, inc))
for b in bad:
    print(b)
print('%d files checked, %d includes point the wrong way' % (checked, len(bad)))
sys.exit(1 if bad or checked == 0 else 0)
