#!/usr/bin/env python3
"""libfaultrun from Python through ctypes (docs/exec-and-ctl.md shows this file).

    ctl_example.py PID RULE

disarms RULE in the run of PID, then lists the rules with their counters.
LIBFAULTRUN may name the library (the build tree's); else libfaultrun.so.1.
"""
import ctypes
import os
import sys


class Rule(ctypes.Structure):  # struct fr_run_rule
    _fields_ = [('name', ctypes.c_char * 64), ('spec', ctypes.c_char * 1024),
                ('armed', ctypes.c_int), ('matched', ctypes.c_uint64),
                ('injected', ctypes.c_uint64), ('bytes', ctypes.c_uint64)]


lib = ctypes.CDLL(os.environ.get('LIBFAULTRUN', 'libfaultrun.so.1'))
lib.fr_run_attach_pid.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_void_p)]
lib.fr_run_disarm.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
lib.fr_run_rules.argtypes = [ctypes.c_void_p, ctypes.POINTER(Rule), ctypes.c_size_t]
lib.fr_run_detach.argtypes = [ctypes.c_void_p]

run = ctypes.c_void_p()
ret = lib.fr_run_attach_pid(int(sys.argv[1]), ctypes.byref(run))
if ret < 0:
    sys.exit('attach %s: %s' % (sys.argv[1], os.strerror(-ret)))
ret = lib.fr_run_disarm(run, sys.argv[2].encode())
if ret < 0:
    print('disarm %s: %s' % (sys.argv[2], os.strerror(-ret)), file=sys.stderr)
rules = (Rule * 64)()
n = lib.fr_run_rules(run, rules, 64)
for r in rules[:max(0, min(n, 64))]:
    print('%s %s matched=%d injected=%d [%s]' % (
        r.name.decode(), 'armed' if r.armed else 'disarmed', r.matched, r.injected,
        r.spec.decode()))
lib.fr_run_detach(run)
sys.exit(1 if ret < 0 else 0)
