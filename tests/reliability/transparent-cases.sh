# The programs of test-transparent.sh, one function each (sourced by the
# bash that runs them, plain or under faultrun exec). Each works in the
# current directory (empty, the same path in both runs), reads the shared
# inputs in $IN, and prints what it produced: file digests, query
# results, listings. Nothing here may depend on time, pids or paths
# outside the current directory.

set -u

digest() { sha256sum "$@" | cut -d' ' -f1; }

case_cp() {
	cp "$IN/big" big
	cp -r "$IN/tree" tree
	cp --sparse=always "$IN/big" sparse
	digest big sparse
	find tree -type f | sort | xargs sha256sum
}

case_sort() {
	# a small buffer forces an external merge through temp files, threads too
	sort -S 64K --parallel=2 -T . "$IN/words" >sorted
	sort -u -n -k2 "$IN/numbers" >unique
	digest sorted unique
	wc -l <sorted
}

case_tar() {
	tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
		-cf a.tar -C "$IN" tree
	tar -tvf a.tar | awk '{ print $1, $3, $6 }'
	mkdir x && tar -xf a.tar -C x && diff -r "$IN/tree" x/tree && echo same
	digest a.tar
}

case_gzip() {
	gzip -9 -n -c "$IN/big" >big.gz
	gzip -dc big.gz | digest
	cp "$IN/words" w && gzip -n w && gzip -t w.gz && gunzip w.gz && digest w
	digest big.gz
}

case_python() {
	"$PY" - <<'PYEOF'
import hashlib, json, os, shutil, sqlite3, subprocess, tempfile, threading, zipfile
IN = os.environ["IN"]
def h(p):
    return hashlib.sha256(open(p, "rb").read()).hexdigest()
# threads writing and fsyncing their own files
def work(i):
    with open("t%d" % i, "w") as f:
        for j in range(2000):
            f.write("%d %d\n" % (i, j))
        f.flush()
        os.fsync(f.fileno())
ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
[t.start() for t in ts]
[t.join() for t in ts]
print([h("t%d" % i) for i in range(4)])
shutil.copytree(os.path.join(IN, "tree"), "tree")
with zipfile.ZipFile("z.zip", "w") as z:
    for root, _, files in sorted(os.walk("tree")):
        for f in sorted(files):
            z.write(os.path.join(root, f))
print(sorted(zipfile.ZipFile("z.zip").namelist()))
with tempfile.NamedTemporaryFile(dir=".", delete=False) as t:
    t.write(b"x" * 100000)
os.rename(t.name, "renamed")
print(os.path.getsize("renamed"))
os.unlink("renamed")
db = sqlite3.connect("p.db")
db.execute("create table t (a integer, b text)")
db.executemany("insert into t values (?, ?)", ((i, str(i) * 3) for i in range(5000)))
db.commit()
print(db.execute("select count(*), sum(a), max(b) from t").fetchone())
print(subprocess.run(["sh", "-c", "echo child; echo err >&2"], capture_output=True).stdout)
json.dump({"k": list(range(10))}, open("j.json", "w"))
print(json.load(open("j.json")))
os.mkdir("d"); os.rmdir("d")
PYEOF
}

case_node() {
	node - <<'JSEOF'
const fs = require("fs"), zlib = require("zlib"), crypto = require("crypto");
const cp = require("child_process"), path = require("path");
const { Worker } = require("worker_threads");
const h = (b) => crypto.createHash("sha256").update(b).digest("hex");
const IN = process.env.IN;
fs.writeFileSync("a.txt", "hello\n".repeat(10000));
fs.appendFileSync("a.txt", "tail\n");
console.log(h(fs.readFileSync("a.txt")));
fs.writeFileSync("big.gz", zlib.gzipSync(fs.readFileSync(path.join(IN, "big"))));
console.log(h(zlib.gunzipSync(fs.readFileSync("big.gz"))));
console.log(cp.execFileSync("sh", ["-c", "echo from child"]).toString().trim());
fs.mkdirSync("d/e", { recursive: true });
fs.renameSync("a.txt", "d/e/b.txt");
console.log(fs.readdirSync("d/e"));
const w = new Worker(`
  const fs = require("fs");
  for (let i = 0; i < 100; i++) fs.appendFileSync("w.txt", "line " + i + "\\n");
`, { eval: true });
w.on("exit", (code) => {
  console.log("worker", code, fs.readFileSync("w.txt").length);
  const out = fs.createWriteStream("s.txt");
  for (let i = 0; i < 1000; i++) out.write("row " + i + "\n");
  out.end(() => {
    console.log(h(fs.readFileSync("s.txt")));
    fs.rmSync("d", { recursive: true });
    console.log(fs.existsSync("d"));
  });
});
JSEOF
}

case_sqlite3() {
	sqlite3 s.db <<'SQLEOF'
PRAGMA journal_mode=WAL;
CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT, c REAL);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
INSERT INTO t (b, c) SELECT printf('row%05d', i), i * 0.5 FROM n;
CREATE INDEX tb ON t (b);
BEGIN; UPDATE t SET c = c * 2 WHERE a % 3 = 0; COMMIT;
DELETE FROM t WHERE a % 7 = 0;
PRAGMA wal_checkpoint(TRUNCATE);
VACUUM;
SELECT count(*), sum(c), min(b), max(b) FROM t;
PRAGMA integrity_check;
SQLEOF
	sqlite3 s.db .dump | digest
}

case_git() {
	export GIT_AUTHOR_NAME=a GIT_AUTHOR_EMAIL=a@x GIT_COMMITTER_NAME=a \
		GIT_COMMITTER_EMAIL=a@x GIT_AUTHOR_DATE='2020-01-01T00:00:00Z' \
		GIT_COMMITTER_DATE='2020-01-01T00:00:00Z' GIT_CONFIG_NOSYSTEM=1 \
		HOME=$PWD
	git init -q -b main repo
	cp -r "$IN/tree/." repo/
	git -C repo add -A
	git -C repo commit -q -m first
	echo change >>repo/a/1.txt
	git -C repo commit -q -am second
	git -C repo gc -q
	git -C repo fsck --strict 2>&1
	git clone -q repo clone
	git -C clone log --format='%H %s'
	git -C clone rev-parse HEAD:a/1.txt
	git -C repo diff HEAD~1 --stat
}

case_curl() {
	curl -sS -o got "http://127.0.0.1:$PORT/big"
	digest got
	curl -sS -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$PORT/missing"
	curl -sS "http://127.0.0.1:$PORT/tree/a/1.txt"
	curl -sS -o tree-listing "http://127.0.0.1:$PORT/tree/" && grep -c href tree-listing
}
