#!/bin/bash
# Foreign bytes — a target's output with control characters and invalid
# UTF-8 — never break a report: the journal is read by Python's strict
# JSON and UTF-8 decoders, the JUnit file by its XML parser.
. "$(dirname "$0")/test-run-lib.sh"

cat >"$WORK/bytes.yml" <<YML
name: bytes
target:
  command: [/usr/bin/printf, 'ctl \\001\\033[31m red\\nbad \\377\\376 utf-8 \\355\\240\\200 <&> "q"\\n']
  shim: false
duration: 500ms
expect: [{exits: 0}]
YML
"$FAULTRUN" "$WORK/bytes.yml" -q --json "$WORK/b.json" --junit "$WORK/b.xml" >"$WORK/out" 2>"$WORK/err"
rc=$?
check "the run has its verdict (the target exited: exit 1)" test "$rc" = 1
check "the journal is strict UTF-8 JSON" python3 -c '
import json, sys
text = open(sys.argv[1], encoding="utf-8", errors="strict").read()
j = json.loads(text)
out = "\n".join(j["scenarios"][0]["target"]["output"])
sys.exit(0 if "\ufffd" in out and "\x01" in out else 1)' "$WORK/b.json"
check "the JUnit file is well-formed XML" python3 -c '
import sys, xml.etree.ElementTree as ET
ET.parse(sys.argv[1])' "$WORK/b.xml"
finish
