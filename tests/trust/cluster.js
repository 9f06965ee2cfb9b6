// A cluster whose worker logs to a file that fails (ENOSPC under the rule),
// closes it (libuv closes with a raw close syscall), then serves HTTP on
// connections the primary accepts and hands over (SCM_RIGHTS).
const cluster = require('node:cluster');
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const port = Number(process.argv[2]);
const logdir = process.argv[3];
if (cluster.isPrimary) {
  cluster.schedulingPolicy = cluster.SCHED_RR;
  const w = cluster.fork();
  w.on('message', (m) => { if (m === 'ready') console.log('ready'); });
  process.on('SIGTERM', () => { w.kill(); process.exit(0); });
} else {
  let n = 0;
  function logSome(done) {
    const s = fs.createWriteStream(path.join(logdir, `app${n++}.log`), { flags: 'a' });
    s.on('error', () => {});
    s.write('x'.repeat(100) + '\n');
    s.end(() => done());
    s.on('close', () => done());
  }
  let once = false;
  const finish = () => {
    if (once) return; once = true;
    http.createServer((req, res) => {
      logSome(() => {});
      res.end('ok\n');
    }).listen(port, '127.0.0.1', () => process.send('ready'));
  };
  let pending = 5;
  for (let i = 0; i < 5; i++) logSome(() => { if (--pending === 0) setTimeout(finish, 50); });
  setTimeout(finish, 1000);
}
