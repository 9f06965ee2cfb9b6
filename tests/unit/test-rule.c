/* Unit tests for the SPEC grammar (faultrun exec -f, ctl add, scenario faults). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <faultrun/rule.h>

static char err[256];

static struct fr_rule parse_ok(const char *spec)
{
	struct fr_rule r;
	err[0] = '\0';
	int ret = fr_spec_parse(spec, &r, 3, err, sizeof(err));
	if (ret != 0)
		fail_msg("'%s' refused: %s", spec, err);
	return r;
}

static void parse_bad(const char *spec, const char *msg)
{
	struct fr_rule r;
	err[0] = '\0';
	assert_int_equal(fr_spec_parse(spec, &r, 0, err, sizeof(err)), -EINVAL);
	if (!strstr(err, msg))
		fail_msg("'%s': message '%s' lacks '%s'", spec, err, msg);
}

static void test_issue_examples(void **state)
{
	struct fr_rule r = parse_ok("write errno=ENOSPC path=/var/log/app/**");
	assert_int_equal(r.ops, FR_OPBIT(FR_OP_WRITE));
	assert_int_equal(r.action, FR_ACT_ERRNO);
	assert_int_equal(r.err, ENOSPC);
	assert_string_equal(r.path, "/var/log/app/**");
	assert_string_equal(r.name, "rule3");

	r = parse_ok("open errno=EACCES path=**/dump.pm2");
	assert_int_equal(r.err, EACCES);

	r = parse_ok("write budget=10MiB path=/data/**");
	assert_int_equal(r.action, FR_ACT_BUDGET);
	assert_int_equal(r.amount, 10ull << 20);

	r = parse_ok("name=disk write,fsync errno=EIO probability=0.01");
	assert_string_equal(r.name, "disk");
	assert_int_equal(r.ops, FR_OPBIT(FR_OP_WRITE) | FR_OPBIT(FR_OP_FSYNC));
	assert_true(r.flags & FR_RULE_PROB);
	assert_true(r.prob_threshold > 0 && r.prob_threshold < (1ull << 58));
}

/* disk: a file system over a tree; its operations are implied */
static void test_disk_spec(void **state)
{
	struct fr_rule r = parse_ok("disk free=64KiB path=/var/log/app/**");

	(void)state;
	assert_int_equal(r.action, FR_ACT_DISK);
	assert_int_equal(r.ops, FR_OPS_DISK);
	assert_int_equal(r.amount, 64 * 1024);
	assert_false(r.flags & FR_RULE_DISK_SIZE);
	assert_int_equal(fr_disk_block(&r), 4096);
	r = parse_ok("name=logs disk size=1MiB block=512 path=/l/**");
	assert_true(r.flags & FR_RULE_DISK_SIZE);
	assert_int_equal(fr_disk_block(&r), 512);
	r = parse_ok("disk free=0 path=/l/**");
	assert_int_equal(r.amount, 0);
	parse_bad("disk free=64KiB", "'disk' needs path=");
	parse_bad("write disk free=1k path=/l/**", "give no operation");
	parse_bad("disk free=1k size=2k path=/l/**", "free= or size=, once");
	parse_bad("disk free=1k block=3000 path=/l/**", "'block=3000': expected a power of two");
	parse_bad("disk free=lots path=/l/**", "'free=lots': expected a size");
	parse_bad("disk free=1k times=3 path=/l/**", "takes no after=, times=");
	parse_bad("write errno=ENOSPC disk path=/l/**", "two actions given");
	parse_bad("dsk free=1k path=/l/**", "did you mean 'disk'");
	r = parse_ok("link errno=ENOSPC path=/l/**");
	assert_int_equal(r.ops, FR_OPBIT(FR_OP_LINK));
}

static void test_socket_fields(void **state)
{
	struct fr_rule r = parse_ok("recv stall port=3306 host=127.0.0.1");
	assert_int_equal(r.action, FR_ACT_STALL);
	assert_int_equal(r.amount, 0);
	assert_int_equal(r.port, 3306);
	assert_int_equal(r.host_family, AF_INET);
	r = parse_ok("net/recv stall=5s host=::1 unix=/run/*.sock");
	assert_int_equal(r.amount, 5000000000ull);
	assert_int_equal(r.host_family, AF_INET6);
	r = parse_ok("connect refuse port=80");
	assert_int_equal(r.action, FR_ACT_REFUSE);
	r = parse_ok("accept errno=ECONNABORTED lport=8080");
	assert_int_equal(r.lport, 8080);
}

/* mode= selects opens for reading or for writing */
static void test_open_mode(void **state)
{
	struct fr_rule r = parse_ok("open errno=EACCES mode=write path=**/state.json");
	assert_int_equal(r.open_mode, FR_MODE_WRITE);
	r = parse_ok("mode=read open errno=EIO");
	assert_int_equal(r.open_mode, FR_MODE_READ);
	r = parse_ok("open,write errno=EIO mode=write");
	assert_int_equal(r.open_mode, FR_MODE_WRITE);
	r = parse_ok("open errno=EACCES path=/x");
	assert_int_equal(r.open_mode, FR_MODE_ANY);
	parse_bad("write errno=EIO mode=write", "'mode=write' selects opens by access mode; "
		  "this rule has no open operation");
	parse_bad("read errno=EIO mode=read", "'mode=read' selects opens");
	parse_bad("open errno=EACCES mode=rw", "'mode=rw': expected read or write");
	parse_bad("open errno=EACCES mod=read", "unknown field 'mod' (did you mean 'mode'?)");
}

static void test_any_order_and_families(void **state)
{
	struct fr_rule r = parse_ok("path=/x/** errno=EIO io/*");
	assert_int_equal(r.ops, FR_OPS_IO);
	r = parse_ok("delay=250ms times=2 after=1 net/* name=slow");
	assert_int_equal(r.ops, FR_OPS_NET);
	assert_int_equal(r.amount, 250000000ull);
	assert_int_equal(r.after, 1);
	assert_int_equal(r.times, 2);
}

static void test_bad_specs_name_the_field(void **state)
{
	parse_bad("write errno=ENOSPC pth=/x", "unknown field 'pth' (did you mean 'path'?)");
	parse_bad("wrte errno=ENOSPC", "unknown operation or action 'wrte' (did you mean 'write'?)");
	parse_bad("write errno=ENOSCP",
		  "'errno=ENOSCP': unknown errno 'ENOSCP' (did you mean ENOSPC?)");
	parse_bad("write errno=ENOSPEC", "unknown errno 'ENOSPEC' (did you mean ENOSPC?)");
	parse_bad("write errno=EBANANA", "'errno=EBANANA': unknown errno name");
	parse_bad("open errno=ECONNREFUSED", "open() never fails with ECONNREFUSED");
	parse_bad("write errno=EACCES", "write() never fails with EACCES");
	parse_bad("write", "no action given");
	parse_bad("errno=EIO", "no operation given");
	parse_bad("write delay=5", "'delay=5': expected a duration with a unit");
	parse_bad("write budget=lots", "'budget=lots'");
	parse_bad("write errno=EIO probability=1.5", "'probability=1.5'");
	parse_bad("write errno=EIO times=x", "'times=x': expected a whole number");
	parse_bad("write stall", "action 'stall' does not apply to 'write'");
	parse_bad("open refuse", "does not apply");
	parse_bad("write errno=EIO short", "two actions given");
	parse_bad("recv stall port=70000", "'port=70000'");
	parse_bad("recv stall path=/x", "'path=' selects files");
	parse_bad("write errno=EIO port=80", "select sockets");
	parse_bad("recv stall host=db.example", "'host=db.example'");
}

static void test_sizes_and_durations(void **state)
{
	uint64_t v;
	assert_int_equal(fr_parse_size("512", &v), 0);
	assert_int_equal(v, 512);
	assert_int_equal(fr_parse_size("64KiB", &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(fr_parse_size("1GiB", &v), 0);
	assert_int_equal(v, 1ull << 30);
	assert_int_equal(fr_parse_size("1.5k", &v), 0);
	assert_int_equal(v, 1536);
	assert_int_equal(fr_parse_size("-1", &v), -EINVAL);
	assert_int_equal(fr_parse_size("10XB", &v), -EINVAL);
	assert_int_equal(fr_parse_duration("1.5s", &v), 0);
	assert_int_equal(v, 1500000000ull);
	assert_int_equal(fr_parse_duration("2m", &v), 0);
	assert_int_equal(v, 120000000000ull);
	assert_int_equal(fr_parse_duration("10", &v), -EINVAL);
	assert_int_equal(fr_parse_duration("ms", &v), -EINVAL);
}

static void test_format_round_trips(void **state)
{
	const char *specs[] = {
		"name=disk write,fsync errno=EIO path=/d/** probability=0.25 after=2 times=9",
		"name=db recv stall port=3306 host=127.0.0.1",
		"name=b write budget=4096 path=/data/**",
		"name=s send delay=250ms unix=/run/x.sock proc=node",
		"name=ro open errno=EACCES path=**/state.json mode=write",
		"name=wo open,read errno=EIO mode=read",
		"name=q write errno=EIO path=/q/** may-not-fire",
		"name=d disk free=65536 path=/var/log/**",
		"name=e disk size=1048576 block=512 path=/e/**",
		"name=dns resolve error=EAI_NONAME query=*.internal proc=python3 times=2",
		"name=slowdns resolve delay=2s query=db.internal after=1",
		"name=hang resolve stall",
		"name=ring io_uring errno=ENOSYS proc=node times=1",
		"name=mix resolve,connect stall=5s",
		"name=j recv delay=200ms jitter=50ms port=80",
		"name=k recv slice=1..7 seed=9 port=80",
		"name=l send delay=10ms slice=512",
		"name=m read delay=5ms jitter=5ms seed=3 path=/m/**",
		"name=bh connect,send,recv blackhole port=6379 host=127.0.0.1",
		"name=n recv close-after=65536 then=reset port=80",
		"name=o send,recv close-after=2s then=close host=127.0.0.1",
		"name=p recv close-after=100 then=close probability=0.5 seed=3 per=connection",
		"name=q recv errno=ECONNRESET probability=0.3 seed=7 after=2 times=5 per=connection",
		"name=bw recv rate=65536/s port=3306",
		"name=bw2 send,recv delay=20ms rate=1000000/s",
		"name=bw3 send slice=100 rate=1/s",
		"name=sc send,recv slow-close=2s port=6379",
	};
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		char buf[512];
		struct fr_rule a = parse_ok(specs[i]), b;
		assert_int_equal(fr_rule_format(&a, buf, sizeof(buf)), 0);
		assert_int_equal(fr_spec_parse(buf, &b, 0, err, sizeof(err)), 0);
		assert_memory_equal(&a, &b, sizeof(a));
	}
}

/* a relative path= glob is made absolute against the working directory */
static void test_relative_glob(void **state)
{
	char old[4096];
	struct fr_rule r;

	(void)state;
	assert_non_null(getcwd(old, sizeof(old)));
	assert_int_equal(chdir("/var/tmp"), 0);
	r = parse_ok("write errno=ENOSPC path=logs/**");
	assert_string_equal(r.path, "/var/tmp/logs/**");
	r = parse_ok("write errno=ENOSPC path=./app.log");
	assert_string_equal(r.path, "/var/tmp/app.log");
	r = parse_ok("write errno=ENOSPC path=../log/*.log");
	assert_string_equal(r.path, "/var/log/*.log");
	r = parse_ok("write errno=ENOSPC path=../../../x");
	assert_string_equal(r.path, "/x");
	/* absolute, or starting with a wildcard: as written */
	r = parse_ok("write errno=ENOSPC path=/srv/./a");
	assert_string_equal(r.path, "/srv/./a");
	r = parse_ok("open errno=EACCES path=**/state.json");
	assert_string_equal(r.path, "**/state.json");
	assert_int_equal(chdir("/"), 0);
	r = parse_ok("write errno=ENOSPC path=logs/**");
	assert_string_equal(r.path, "/logs/**");
	assert_int_equal(chdir(old), 0);
	r = parse_ok("write errno=EIO path=/q/** may-not-fire");
	assert_true(r.flags & FR_RULE_MAY_NOT_FIRE);
	parse_bad("write errno=EIO may-not-fire=maybe", "expected true or false");
}

/* a field given twice is an error naming it; operations add up */
static void test_repeated_fields(void **state)
{
	struct fr_rule r;

	(void)state;
	parse_bad("write errno=EIO errno=ENOSPC", "'errno' is given twice");
	parse_bad("write errno=EIO path=/a path=/b", "'path' is given twice");
	parse_bad("write errno=EIO times=1 times=2", "'times' is given twice");
	parse_bad("write errno=EIO after=0 after=0", "'after' is given twice");
	parse_bad("recv stall action=stall", "'stall' is given twice");
	parse_bad("recv stall=1s stall", "'stall' is given twice");
	parse_bad("write errno=EIO probability=1 probability=1", "'probability' is given twice");
	parse_bad("name=a name=a write errno=EIO", "'name' is given twice");
	parse_bad("write errno=EIO may-not-fire may-not-fire=false",
		  "'may-not-fire' is given twice");
	r = parse_ok("write fsync op=open ops=truncate errno=EIO");
	assert_int_equal(r.ops, FR_OPBIT(FR_OP_WRITE) | FR_OPBIT(FR_OP_FSYNC) |
					FR_OPBIT(FR_OP_OPEN) | FR_OPBIT(FR_OP_TRUNCATE));
}

/* stall=0s is no stall at all, not "until cleared" (that is a bare stall) */
static void test_stall_zero(void **state)
{
	struct fr_rule r;

	(void)state;
	parse_bad("recv stall=0s", "'stall=0s' would never stall; write 'stall' alone");
	parse_bad("recv stall=0.1ns", "'stall=0.1ns' would never stall");
	r = parse_ok("recv stall");
	assert_int_equal(r.action, FR_ACT_STALL);
	assert_int_equal(r.amount, 0);
	r = parse_ok("recv stall=2s");
	assert_int_equal(r.amount, 2000000000ull);
}

/* numbers are decimal: no hex floats, no nan, no inf */
static void test_numbers_are_decimal(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(fr_parse_size("0x10", &v), -EINVAL);
	assert_int_equal(fr_parse_duration("0x1p4s", &v), -EINVAL);
	assert_int_equal(fr_parse_duration("nans", &v), -EINVAL);
	assert_int_equal(fr_parse_duration("infs", &v), -EINVAL);
	assert_int_equal(fr_parse_duration("1e30s", &v), -EINVAL);
	assert_int_equal(fr_parse_duration("1.5e3ms", &v), 0);
	assert_int_equal(v, 1500000000ull);
	parse_bad("write errno=EIO probability=nan", "'probability=nan'");
	parse_bad("write errno=EIO probability=0x0.1", "'probability=0x0.1'");
	parse_bad("recv stall port=0", "'port=0': expected a port from 1 to 65535");
	parse_bad("recv stall port=99999", "'port=99999'");
}

static void test_errno_names(void **state)
{
	assert_int_equal(fr_errno_from_name("ENOSPC"), ENOSPC);
	assert_string_equal(fr_errno_name(EACCES), "EACCES");
	assert_int_equal(fr_errno_from_name("EWOULDBLOCK"), EAGAIN);
	assert_int_equal(fr_errno_from_name("nope"), 0);
	assert_true(fr_errno_valid(FR_OPBIT(FR_OP_OPEN), EACCES, NULL));
	assert_true(fr_errno_valid(FR_OPBIT(FR_OP_WRITE) | FR_OPBIT(FR_OP_FSYNC), ENOSPC, NULL));
}

/* io_uring: io_uring_setup(2)'s errnos only, errno= only, in no family */
static void test_io_uring(void **state)
{
	struct fr_rule r = parse_ok("io_uring errno=ENOSYS");

	(void)state;
	assert_int_equal(r.ops, FR_OPBIT(FR_OP_IO_URING));
	assert_int_equal(r.err, ENOSYS);
	assert_int_equal(parse_ok("sys/io_uring errno=EPERM").err, EPERM);
	assert_int_equal(parse_ok("io_uring errno=ENOMEM proc=node").err, ENOMEM);
	assert_false(parse_ok("io errno=EIO").ops & FR_OPBIT(FR_OP_IO_URING));
	assert_false(parse_ok("* delay=1ms").ops & FR_OPBIT(FR_OP_IO_URING));
	parse_bad("io_uring errno=ENOSPC", "io_uring() never fails with ENOSPC");
	parse_bad("write,io_uring errno=ENOSPC", "io_uring() never fails with ENOSPC");
	parse_bad("io_uring delay=1s", "action 'delay' does not apply to 'io_uring'");
	parse_bad("io_uring errno=ENOSYS path=/x/**", "'path=' selects files");
}

/* resolve: name lookups, error=EAI_*, query= (lower-cased), and what it refuses */
static void test_resolve(void **state)
{
	struct fr_rule r = parse_ok("resolve error=EAI_AGAIN query=DB.Internal");

	(void)state;
	assert_int_equal(r.ops, FR_OPBIT(FR_OP_RESOLVE));
	assert_int_equal(r.action, FR_ACT_GAIERR);
	assert_int_equal(r.err, EAI_AGAIN);
	assert_string_equal(r.query, "db.internal");
	r = parse_ok("net/resolve error=EAI_NONAME query=*.internal");
	assert_int_equal(r.ops, FR_OPBIT(FR_OP_RESOLVE));
	assert_int_equal(r.err, EAI_NONAME);
	assert_int_equal(parse_ok("op=resolve error=EAI_FAIL").err, EAI_FAIL);
	r = parse_ok("resolve delay=300ms proc=curl probability=0.5 after=1 times=3");
	assert_int_equal(r.action, FR_ACT_DELAY);
	assert_int_equal(r.amount, 300000000ull);
	assert_int_equal(r.after, 1);
	assert_int_equal(r.times, 3);
	assert_true(r.flags & FR_RULE_PROB);
	r = parse_ok("resolve stall");
	assert_int_equal(r.action, FR_ACT_STALL);
	assert_int_equal(r.amount, 0);
	assert_int_equal(parse_ok("resolve stall=2s").amount, 2000000000ull);
	/* the families stay what they were: net is the sockets, * every file and socket */
	assert_false(parse_ok("net errno=ETIMEDOUT").ops & FR_OPBIT(FR_OP_RESOLVE));
	assert_false(parse_ok("* delay=1ms").ops & FR_OPBIT(FR_OP_RESOLVE));
	assert_string_equal(fr_errno_name(EAI_AGAIN), "EAI_AGAIN");
	assert_int_equal(fr_errno_from_name("EAI_AGAIN"), 0);

	parse_bad("resolve budget=1MiB", "action 'budget' does not apply to 'resolve'");
	parse_bad("resolve short", "action 'short' does not apply to 'resolve'");
	parse_bad("resolve reset", "action 'reset' does not apply to 'resolve'");
	parse_bad("resolve errno=EIO", "'errno=EIO' does not apply to 'resolve'");
	parse_bad("resolve errno=EAI_AGAIN", "'errno=EAI_AGAIN': unknown errno name");
	parse_bad("write error=EAI_AGAIN", "'error=EAI_AGAIN' applies to 'resolve' only");
	parse_bad("resolve error=EAI_SYSTEM", "'error=EAI_SYSTEM': expected EAI_AGAIN");
	parse_bad("resolve error=ENOENT", "'error=ENOENT': expected EAI_AGAIN");
	parse_bad("resolve error=EAI_AGAIN error=EAI_FAIL", "'error' is given twice");
	parse_bad("resolve error=EAI_AGAIN errno=EIO", "two actions given");
	parse_bad("connect errno=ECONNREFUSED query=db", "'query=' selects name lookups");
	parse_bad("resolve error=EAI_AGAIN query=", "'query' needs a value");
	parse_bad("resolve error=EAI_AGAIN path=/x", "'path=' selects files");
	parse_bad("resolve error=EAI_AGAIN port=53", "this rule has no socket operation");
	parse_bad("resolve action=error", "'action=error': expected short, stall");
	parse_bad("resolv error=EAI_AGAIN", "(did you mean 'resolve'?)");
	parse_bad("resolve eror=EAI_AGAIN", "(did you mean 'error'?)");
	parse_bad("resolve error=EAI_AGAIN qurey=x", "(did you mean 'query'?)");
}

/* jitter=, seed= and slice= (Toxiproxy's latency jitter and slicer) */
static void test_shaping(void **state)
{
	struct fr_rule r = parse_ok("recv delay=200ms jitter=50ms port=8080");
	assert_int_equal(r.action, FR_ACT_DELAY);
	assert_int_equal(r.amount, 200000000ull);
	assert_int_equal(r.jitter, 50000000ull);
	/* no seed=: one derived from the rule, the same for the same SPEC */
	assert_true(r.seed != 0);
	struct fr_rule again = parse_ok("recv delay=200ms jitter=50ms port=8080");
	assert_true(again.seed == r.seed);
	struct fr_rule other = parse_ok("recv delay=200ms jitter=51ms port=8080");
	assert_true(other.seed != r.seed);
	r = parse_ok("recv delay=200ms jitter=50ms seed=42");
	assert_true(r.seed == 42);
	/* jitter larger than the delay: allowed, a draw never goes below 0 */
	parse_ok("send delay=1ms jitter=5ms");
	/* jitter on files follows delay= */
	r = parse_ok("write delay=1ms jitter=1ms path=/tmp/x");
	assert_int_equal(r.jitter, 1000000ull);

	r = parse_ok("recv slice=1..7 port=80");
	assert_int_equal(r.action, FR_ACT_SHORT);
	assert_int_equal(r.slice_min, 1);
	assert_int_equal(r.slice_max, 7);
	assert_true(r.seed != 0);
	r = parse_ok("send slice=64");
	assert_int_equal(r.slice_min, 64);
	assert_int_equal(r.slice_max, 64);
	assert_true(r.seed == 0); /* nothing to draw */
	r = parse_ok("recv slice=1KiB..4KiB");
	assert_int_equal(r.slice_max, 4096);
	r = parse_ok("recv,send delay=5ms slice=1..100");
	assert_int_equal(r.action, FR_ACT_DELAY);
	assert_int_equal(r.slice_max, 100);
	r = parse_ok("recv short slice=3");
	assert_int_equal(r.action, FR_ACT_SHORT);
	assert_int_equal(r.slice_max, 3);

	parse_bad("recv jitter=50ms", "'jitter=' varies a delay");
	parse_bad("recv stall jitter=50ms", "'jitter=' varies a delay");
	parse_bad("recv delay=1s jitter=0ms", "'jitter=0ms'");
	parse_bad("recv delay=1s jitter=5", "'jitter=5'");
	parse_bad("recv slice=0", "'slice=0'");
	parse_bad("recv slice=0..4", "at least one byte");
	parse_bad("recv slice=9..3", "MIN is larger than MAX");
	parse_bad("recv slice=1..", "'slice=1..'");
	parse_bad("recv slice=x", "'slice=x'");
	parse_bad("recv slice=5GiB", "'slice=5GiB'");
	parse_bad("read slice=4", "'slice=' shapes socket traffic");
	parse_bad("write slice=4 path=/x", "'slice=' shapes socket traffic");
	parse_bad("recv,read slice=4", "'slice=' shapes socket traffic");
	parse_bad("recv reset slice=4", "not with 'reset'");
	parse_bad("recv errno=EIO slice=4", "not with 'errno'");
	parse_bad("recv delay=1s seed=4", "'seed=' seeds");
	parse_bad("recv slice=4 seed=4", "'seed=' seeds");
	parse_bad("recv slice=4 slice=5", "given twice");
	parse_bad("recv delay=1s jiter=5ms", "did you mean 'jitter'");
}

/* blackhole: a vanished peer on connect, send and recv; no value, no files */
static void test_blackhole(void **state)
{
	struct fr_rule r = parse_ok("recv blackhole port=6379");
	char buf[256];

	assert_int_equal(r.action, FR_ACT_BLACKHOLE);
	assert_int_equal(r.ops, FR_OPBIT(FR_OP_RECV));
	assert_int_equal(r.amount, 0);
	r = parse_ok("connect,send,recv blackhole host=10.0.0.1");
	assert_int_equal(r.ops, FR_OPBIT(FR_OP_CONNECT) | FR_OPBIT(FR_OP_SEND) |
					FR_OPBIT(FR_OP_RECV));
	r = parse_ok("net/send action=blackhole unix=/run/x.sock");
	assert_int_equal(r.action, FR_ACT_BLACKHOLE);
	r = parse_ok("name=gone connect,send,recv blackhole port=80 after=1 times=3");
	assert_int_equal(fr_rule_format(&r, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "name=gone connect,send,recv blackhole port=80 after=1 times=3");

	parse_bad("write blackhole path=/x", "'blackhole' does not apply to 'write'");
	parse_bad("read blackhole", "'blackhole' does not apply to 'read'");
	parse_bad("accept blackhole", "'blackhole' does not apply to 'accept'");
	parse_bad("resolve blackhole", "'blackhole' does not apply to 'resolve'");
	parse_bad("recv blackhole errno=EIO", "two actions");
	parse_bad("recv blackhole stall", "two actions");
	parse_bad("connect blackhole=5s", "takes no value");
	parse_bad("recv blackhole blackhole", "given twice");
	parse_bad("recv blackhole slice=4", "'slice=' cuts calls");
	parse_bad("recv blakhole", "did you mean 'blackhole'");
}

/* close-after=SIZE|DURATION, then=, per=connection */
static void test_close_after(void **state)
{
	char buf[512];
	struct fr_rule r = parse_ok("recv close-after=64KiB port=8080");
	assert_int_equal(r.action, FR_ACT_CLOSE);
	assert_int_equal(r.close_bytes, 65536);
	assert_int_equal(r.close_ns, 0);
	assert_int_equal(r.close_then, FR_THEN_RESET); /* the default, written out */
	assert_int_equal(fr_rule_format(&r, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, " close-after=65536 then=reset"));
	r = parse_ok("send,recv close-after=30s then=close");
	assert_int_equal(r.close_ns, 30000000000ull);
	assert_int_equal(r.close_bytes, 0);
	assert_int_equal(r.close_then, FR_THEN_CLOSE);
	assert_int_equal(r.ops, FR_OPBIT(FR_OP_SEND) | FR_OPBIT(FR_OP_RECV));
	/* "1m" is a minute, "1M" a MiB */
	assert_int_equal(parse_ok("recv close-after=1m").close_ns, 60000000000ull);
	assert_int_equal(parse_ok("recv close-after=1M").close_bytes, 1048576);
	r = parse_ok("net/recv close-after=1 then=reset after=3 times=2 probability=0.5");
	assert_int_equal(r.close_bytes, 1);
	assert_int_equal(r.seed, 0); /* per call: the run's seed decides */

	parse_bad("recv close-after=0", "'close-after=0'");
	parse_bad("recv close-after=0s", "'close-after=0s'");
	parse_bad("recv close-after=abc", "expected a size (64KiB) or a duration");
	parse_bad("recv close-after=-5", "'close-after=-5'");
	parse_bad("recv close-after=1k errno=EIO", "two actions given");
	parse_bad("recv errno=EIO close-after=1k", "two actions given");
	parse_bad("recv stall close-after=1k", "two actions given");
	parse_bad("recv close-after=1k delay=1s", "two actions given");
	parse_bad("recv close-after=1k slice=4", "not with 'close-after'");
	parse_bad("recv close-after=1k jitter=4ms", "'jitter=' varies a delay");
	parse_bad("connect close-after=1k", "action 'close-after' does not apply to 'connect'");
	parse_bad("accept close-after=1s", "does not apply to 'accept'");
	parse_bad("read close-after=1k path=/x", "does not apply to 'read'");
	parse_bad("write close-after=1k", "does not apply to 'write'");
	parse_bad("recv close-after=1k close-after=2k", "given twice");
	parse_bad("recv reset then=close", "'then=' says how a close-after=");
	parse_bad("recv then=reset errno=EIO", "'then=' says how a close-after=");
	parse_bad("recv close-after=1k then=abort", "'then=abort': expected reset or close");
	parse_bad("recv close-after=1k then=close then=reset", "given twice");
	parse_bad("recv action=close-after", "'action=close-after'");
	parse_bad("recv close-after=1k seed=3", "'seed=' seeds");
	parse_bad("recv close-after=1k clse-after=2", "did you mean 'close-after'");

	/* per=connection: connections are chosen once, with the rule's seed */
	r = parse_ok("recv errno=ECONNRESET probability=0.3 per=connection seed=7");
	assert_true(r.flags & FR_RULE_PER_CONN);
	assert_int_equal(r.seed, 7);
	r = parse_ok("recv errno=ECONNRESET probability=0.3 per=connection");
	assert_true(r.seed != 0); /* derived from the SPEC: the same SPEC replays */
	assert_true(parse_ok("recv errno=ECONNRESET probability=0.3 per=connection").seed ==
		    r.seed);
	r = parse_ok("send,recv reset after=2 times=3 per=connection");
	assert_int_equal(r.seed, 0); /* nothing drawn */
	assert_false(parse_ok("recv reset per=call").flags & FR_RULE_PER_CONN);
	parse_ok("recv slice=1..5 per=connection probability=0.5");
	parse_ok("recv close-after=1k per=connection probability=0.5");
	parse_ok("send short per=connection times=1");
	parse_bad("recv,connect errno=ECONNRESET per=connection", "give send and/or recv only");
	parse_bad("accept errno=EMFILE per=connection", "give send and/or recv only");
	parse_bad("write errno=EIO per=connection", "give send and/or recv only");
	parse_bad("recv stall per=connection", "not with 'stall'");
	parse_bad("recv delay=1s per=connection", "not with 'delay'");
	parse_bad("recv reset per=socket", "'per=socket': expected connection or call");
	parse_bad("recv reset per=connection per=call", "given twice");

	/* slow-close=: the close of a matching socket waits before its FIN */
	r = parse_ok("send,recv slow-close=1500ms port=8080");
	assert_int_equal(r.action, FR_ACT_SLOWCLOSE);
	assert_int_equal(r.amount, 1500000000ull);
	parse_bad("recv slow-close=0s", "'slow-close=0s'");
	parse_bad("recv slow-close=5", "'slow-close=5': expected a duration");
	parse_bad("write slow-close=1s", "does not apply to 'write'");
	parse_bad("recv slow-close=1s errno=EIO", "two actions given");
	parse_bad("recv slow-close=1s per=connection", "not with 'slow-close'");
}

/* rate=: a socket's bandwidth (Toxiproxy's bandwidth toxic, netem rate) */
static void test_rate(void **state)
{
	struct fr_rule r = parse_ok("recv rate=64KiB/s port=3306");
	char buf[256];

	assert_int_equal(r.action, FR_ACT_SHORT);
	assert_true(r.rate == 65536);
	assert_int_equal(r.slice_max, 0);
	assert_int_equal(fr_rule_format(&r, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "name=rule3 recv rate=65536/s port=3306");
	r = parse_ok("send rate=1MB/s");
	assert_true(r.rate == 1000000);
	r = parse_ok("send,recv rate=1MiB");
	assert_true(r.rate == 1048576);
	/* latency and bandwidth, as netem's delay with rate */
	r = parse_ok("recv delay=20ms rate=128KiB/s");
	assert_int_equal(r.action, FR_ACT_DELAY);
	assert_true(r.amount == 20000000ull && r.rate == 131072);
	assert_int_equal(fr_rule_format(&r, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "name=rule3 recv delay=20ms rate=131072/s");
	r = parse_ok("recv rate=1/s slice=10");
	assert_int_equal(r.action, FR_ACT_SHORT);
	assert_int_equal(r.seed, 0); /* nothing drawn */

	parse_bad("recv rate=0", "'rate=0'");
	parse_bad("recv rate=0/s", "'rate=0/s'");
	parse_bad("recv rate=/s", "'rate=/s'");
	parse_bad("recv rate=fast", "'rate=fast'");
	parse_bad("recv rate=64KiB/min", "'rate=64KiB/min'");
	parse_bad("read rate=1KiB/s", "'rate=' is a socket's bandwidth");
	parse_bad("write rate=1KiB/s path=/x", "'rate=' is a socket's bandwidth");
	parse_bad("connect,recv rate=1KiB/s", "'rate=' is a socket's bandwidth");
	parse_bad("recv errno=EIO rate=1KiB/s", "not with 'errno'");
	parse_bad("recv reset rate=1KiB/s", "not with 'reset'");
	parse_bad("recv stall rate=1KiB/s", "not with 'stall'");
	parse_bad("recv blackhole rate=1KiB/s", "not with 'blackhole'");
	parse_bad("recv rate=1KiB/s rate=2KiB/s", "given twice");
	parse_bad("recv rat=1KiB/s", "did you mean 'rate'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_issue_examples),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_disk_spec),
		cmocka_unit_test(test_socket_fields),
		cmocka_unit_test(test_open_mode),
		cmocka_unit_test(test_any_order_and_families),
		cmocka_unit_test(test_bad_specs_name_the_field),
		cmocka_unit_test(test_sizes_and_durations),
		cmocka_unit_test(test_format_round_trips),
		cmocka_unit_test(test_errno_names),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_relative_glob),
		cmocka_unit_test(test_repeated_fields),
		cmocka_unit_test(test_stall_zero),
		cmocka_unit_test(test_numbers_are_decimal),
		cmocka_unit_test(test_shaping),
		cmocka_unit_test(test_blackhole),
		cmocka_unit_test(test_close_after),
		cmocka_unit_test(test_io_uring),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
