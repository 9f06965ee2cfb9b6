#!/bin/bash
# node under faultrun exec (which turns libuv's io_uring off, so that file
# I/O goes through write/pwritev): fs.appendFileSync and a write stream, the
# way PM2 writes an app's log (incident 000).
. "$(dirname "$0")/test-exec-lib.sh"
skip_unless node
mkdir -p "$D/log" "$D/other"
cat >"$D/t.js" <<'JS'
const fs = require('fs');
const dir = process.argv[2];
try {
	fs.appendFileSync(dir + '/a.log', 'hello\n');
	console.log('appendFileSync ok');
} catch (e) {
	console.log('appendFileSync ' + e.code);
}
const s = fs.createWriteStream(dir + '/s.log', { flags: 'a' });
s.on('error', (e) => console.log('stream ' + e.code));
s.on('finish', () => console.log('stream ok'));
s.write('hello\n');
s.end();
JS

fr "write errno=ENOSPC path=$D/log/**" -- node "$D/t.js" "$D/log"
check "appendFileSync throws ENOSPC" out_has "appendFileSync ENOSPC"
check "the write stream emits error ENOSPC" out_has "stream ENOSPC"
fr "write errno=ENOSPC path=$D/log/**" -- node "$D/t.js" "$D/other"
check "elsewhere appendFileSync works" out_has "appendFileSync ok"
check "elsewhere the stream finishes" out_has "stream ok"
check "... and wrote" size_is "$D/other/s.log" 6

note "a log that fills its budget"
cat >"$D/fill.js" <<'JS'
const fs = require('fs');
let n = 0;
try {
	for (;;) {
		fs.appendFileSync(process.argv[2], 'x'.repeat(1000));
		n += 1000;
	}
} catch (e) {
	console.log(e.code + ' after ' + n);
}
JS
fr "write budget=20500 path=$D/log/**" -- node "$D/fill.js" "$D/log/fill.log"
check "ENOSPC once the budget is spent" out_has "ENOSPC after 20000"
check "the log holds exactly the budget" size_is "$D/log/fill.log" 20500
finish
