/*
 * faultrun — the processes of the embedded MariaDB server (see mariadb.h):
 * helpers run to completion (mariadbd --version, mariadb-install-db), the
 * server itself, its readiness and its end.
 *
 * The server is forked with its own process group and PR_SET_PDEATHSIG
 * and exec'd with --no-defaults, so /etc/mysql never leaks in; readiness
 * is polled with mysql_real_connect() on the socket, then over TCP.
 */
#define _GNU_SOURCE
#include "io/mariadb_priv.h"
#include "io/reap.h"
#include "util/err.h"
#include "util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mysql.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"

#define KILL_WAIT_S 2.0

extern char **environ;

double fr_mdb_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void fr_mdb_sleep(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s, .tv_nsec = (long)((s - (time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

const char *fr_mdb_server_path(void)
{
	const char *p = getenv("FAULTRUN_MARIADBD");

	return p && *p ? p : FR_MARIADBD;
}

const char *fr_mdb_install_db_path(void)
{
	const char *p = getenv("FAULTRUN_MARIADB_INSTALL_DB");

	return p && *p ? p : "mariadb-install-db";
}

/*
 * The environment for the helpers we exec: ours minus LD_PRELOAD and the
 * shim's own variables, so a faultrun that itself runs under the shim (its
 * own tests do) never injects faults into its database.
 */
static char **clean_env(void)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = fr_xcalloc(n + 1, sizeof(*env));
	for (size_t i = 0; i < n; i++) {
		const char *e = environ[i];

		if (!strncmp(e, "LD_PRELOAD=", 11) || !strncmp(e, "FAULTRUN_", 9) ||
		    !strncmp(e, "FAULTSHIM_", 10))
			continue;
		env[k++] = environ[i];
	}
	return env;
}

/*
 * In a freshly forked child, before exec: nothing here may allocate or lock
 * (the parent may have threads). Resets what exec inherits and the server
 * must not: blocked signals (the runner blocks them for signalfd), ignored
 * signals, and every fd but the three standard ones.
 */
static void child_reset(int out_fd)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;
	int nullfd;

	fr_reap_join(FR_REAP_SERVICE); /* the run's cgroup, if any (io/reap.h) */
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	nullfd = open("/dev/null", O_RDWR);
	if (nullfd >= 0)
		dup2(nullfd, STDIN_FILENO);
	if (out_fd >= 0) {
		dup2(out_fd, STDOUT_FILENO);
		dup2(out_fd, STDERR_FILENO);
	} else if (nullfd >= 0) {
		dup2(nullfd, STDOUT_FILENO);
		dup2(nullfd, STDERR_FILENO);
	}
	close_range(3, ~0U, 0);
}

/*
 * Run a helper to completion with its output in out_path (or into a pipe
 * we read into buf when buf is non-NULL). Returns its exit status (>= 0),
 * or -errno; 127 means it could not be executed.
 */
int fr_mdb_run_helper(char *const argv[], const char *out_path, char *buf, size_t buflen)
{
	int pipefd[2] = { -1, -1 }, out_fd = -1, status, ret;
	char **env = clean_env();
	size_t len = 0;
	pid_t pid;

	if (buf) {
		if (pipe2(pipefd, O_CLOEXEC) < 0) {
			ret = -errno;
			goto out_free_env;
		}
		out_fd = pipefd[1];
	} else if (out_path) {
		out_fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (out_fd < 0) {
			ret = -errno;
			goto out_free_env;
		}
	}

	pid = fork();
	if (pid < 0) {
		ret = -errno;
		goto out_close;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		child_reset(out_fd);
		if (strchr(argv[0], '/'))
			execve(argv[0], argv, env);
		else
			execvpe(argv[0], argv, env);
		_exit(127);
	}
	if (buf) {
		close(pipefd[1]);
		pipefd[1] = -1;
		out_fd = -1;
		while (len + 1 < buflen) {
			ssize_t r = read(pipefd[0], buf + len, buflen - 1 - len);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			len += r;
		}
		buf[len] = '\0';
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			ret = -errno;
			goto out_close;
		}
	}
	ret = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
out_close:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	else if (out_fd >= 0)
		close(out_fd);
out_free_env:
	free(env);
	return ret;
}

/* "mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 for ..." -> "10.11.19-..." */
int fr_mdb_server_version(const char *bin, char **version, char *err, size_t errlen)
{
	char *argv[] = { (char *)bin, "--version", NULL };
	char out[512], *v, *end;
	int ret;

	if (access(bin, X_OK) < 0) {
		ret = -errno;
		fr_set_err(err, errlen,
			   "mariadb server '%s': %s "
			   "(install mariadb-server)",
			   bin, strerror(-ret));
		return ret;
	}
	ret = fr_mdb_run_helper(argv, NULL, out, sizeof(out));
	v = ret == 0 ? strstr(out, " Ver ") : NULL;
	if (!v) {
		fr_set_err(err, errlen, "'%s --version' failed", bin);
		return ret < 0 ? ret : -EIO;
	}
	v += 5;
	end = v + strcspn(v, " \t\n");
	*version = fr_xstrndup(v, end - v);
	/* it becomes a directory name */
	for (char *c = *version; *c; c++)
		if (*c == '/')
			*c = '_';
	return 0;
}

/* The last "[ERROR]" line of a server or install log, else its last line. */
void fr_mdb_log_tail(const char *path, char *out, size_t outlen)
{
	char buf[8192], *line, *best = NULL, *last = NULL, *save;
	ssize_t n = 0;
	off_t size;
	int fd;

	out[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	size = lseek(fd, 0, SEEK_END);
	if (size > (off_t)sizeof(buf) - 1)
		lseek(fd, size - (off_t)sizeof(buf) + 1, SEEK_SET);
	else
		lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	/* the last error that is not the closing "[ERROR] Aborting" */
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, "[ERROR]") && !strstr(line, "] Aborting"))
			best = line;
		last = line;
	}
	snprintf(out, outlen, "%s", best ? best : last ? last : "");
}

/*
 * Fork and exec the server. The child gets its own process group (so a
 * terminal's ^C reaches faultrun, which then stops it cleanly) and
 * PDEATHSIG, so that it dies with us even when we are SIGKILLed.
 */
int fr_mdb_spawn(struct fr_mariadb *db, const char *init_path)
{
	char a_datadir[PATH_MAX + 16], a_socket[PATH_MAX + 16], a_port[32], a_pid[PATH_MAX + 16],
		a_log[PATH_MAX + 16], a_tmp[PATH_MAX + 16], a_init[PATH_MAX + 16],
		a_files[PATH_MAX + 32];
	const char *argv[40];
	pid_t parent = getpid(), pid;
	int argc = 0, logfd;
	char **env;

	snprintf(a_datadir, sizeof(a_datadir), "--datadir=%s/data", db->dir);
	snprintf(a_socket, sizeof(a_socket), "--socket=%s", db->sock);
	snprintf(a_port, sizeof(a_port), "--port=%u", db->port);
	snprintf(a_pid, sizeof(a_pid), "--pid-file=%s/pid", db->dir);
	snprintf(a_log, sizeof(a_log), "--log-error=%s", db->log);
	snprintf(a_tmp, sizeof(a_tmp), "--tmpdir=%s/tmp", db->dir);
	snprintf(a_init, sizeof(a_init), "--init-file=%s", init_path);
	snprintf(a_files, sizeof(a_files), "--secure-file-priv=%s/tmp", db->dir);

	argv[argc++] = fr_mdb_server_path();
	argv[argc++] = "--no-defaults"; /* must come first */
	argv[argc++] = a_datadir;
	argv[argc++] = a_socket;
	argv[argc++] = a_port;
	argv[argc++] = "--bind-address=127.0.0.1";
	argv[argc++] = a_pid;
	argv[argc++] = a_log;
	argv[argc++] = a_tmp;
	argv[argc++] = a_init;
	/*
	 * The server may run as root: LOAD DATA INFILE, SELECT ... INTO
	 * OUTFILE and LOAD_FILE() reach only its own tmp/, not the machine.
	 */
	argv[argc++] = a_files;
	argv[argc++] = "--skip-name-resolve";
	argv[argc++] = "--skip-log-bin";
	argv[argc++] = "--character-set-server=utf8mb4";
	argv[argc++] = "--collation-server=utf8mb4_general_ci";
	/* a scratch server: small, and no fsync per commit */
	argv[argc++] = "--innodb-buffer-pool-size=32M";
	argv[argc++] = "--innodb-flush-log-at-trx-commit=0";
	argv[argc++] = "--innodb-doublewrite=0";
	argv[argc++] = "--performance-schema=0";
	if (geteuid() == 0)
		argv[argc++] = "--user=root";
	for (const char *const *o = fr_mdb_data_opts; *o; o++)
		argv[argc++] = *o;
	argv[argc] = NULL;

	env = clean_env();
	logfd = open(db->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (logfd < 0) {
		free(env);
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		int ret = -errno;

		close(logfd);
		free(env);
		return ret;
	}
	if (pid == 0) {
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent) /* we died before prctl() */
			_exit(127);
		child_reset(logfd);
		execve(argv[0], (char *const *)argv, env);
		_exit(127);
	}
	setpgid(pid, pid); /* both sides, whichever runs first */
	close(logfd);
	free(env);
	db->pid = pid;
	db->pidfd = pidfd_open(pid, 0);
	return 0;
}

/*
 * Wait up to timeout for the server to exit; reap it if it is ours.
 * Returns true when it is gone.
 */
bool fr_mdb_wait_exit(struct fr_mariadb *db, double timeout)
{
	double deadline = fr_mdb_now() + timeout;
	int status;

	for (;;) {
		pid_t r = waitpid(db->pid, &status, WNOHANG);

		if (r == db->pid)
			return true;
		if (r < 0 && errno == ECHILD) {
			/* reaped elsewhere (SIGCHLD ignored, or waitpid(-1)) */
			if (db->pidfd >= 0) {
				struct pollfd p = { .fd = db->pidfd, .events = POLLIN };

				if (poll(&p, 1, 0) == 1)
					return true;
			} else if (kill(db->pid, 0) < 0 && errno == ESRCH) {
				return true;
			}
		}
		double left = deadline - fr_mdb_now();

		if (left <= 0)
			return false;
		if (db->pidfd >= 0) {
			struct pollfd p = { .fd = db->pidfd, .events = POLLIN };
			int ms = left > 0.2 ? 200 : (int)(left * 1000) + 1;

			poll(&p, 1, ms);
		} else {
			fr_mdb_sleep(left > 0.01 ? 0.01 : left);
		}
	}
}

static bool try_connect(const struct fr_mariadb *db, bool tcp)
{
	unsigned int timeout = 2;
	bool ok = false;
	MYSQL *m;

	m = mysql_init(NULL);
	if (!m)
		return false;
	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &timeout);
	mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
	if (tcp) {
		unsigned int proto = MYSQL_PROTOCOL_TCP;

		mysql_options(m, MYSQL_OPT_PROTOCOL, &proto);
	}
	if (mysql_real_connect(m, tcp ? "127.0.0.1" : NULL, TARGET_USER, db->password, TARGET_DB,
			       tcp ? db->port : 0, tcp ? NULL : db->sock, 0))
		ok = mysql_query(m, "SELECT 1") == 0;
	if (ok) {
		MYSQL_RES *res = mysql_store_result(m);

		mysql_free_result(res);
	}
	mysql_close(m);
	return ok;
}

/*
 * Poll until the server answers on the socket and then on TCP. Returns 0,
 * -ECHILD when it exited (its status is reaped), -ETIMEDOUT.
 */
int fr_mdb_wait_ready(struct fr_mariadb *db, double deadline)
{
	int status;

	for (;;) {
		pid_t r = waitpid(db->pid, &status, WNOHANG);

		if (r == db->pid || (r < 0 && errno == ECHILD))
			return -ECHILD;
		if (try_connect(db, false) && try_connect(db, true))
			return 0;
		if (fr_mdb_now() > deadline)
			return -ETIMEDOUT;
		if (db->pidfd >= 0) {
			struct pollfd p = { .fd = db->pidfd, .events = POLLIN };

			poll(&p, 1, 20);
		} else {
			fr_mdb_sleep(0.02);
		}
	}
}

void fr_mdb_kill(struct fr_mariadb *db)
{
	if (db->pid <= 0)
		return;
	kill(-db->pid, SIGKILL);
	kill(db->pid, SIGKILL);
	fr_mdb_wait_exit(db, KILL_WAIT_S);
	if (db->pidfd >= 0)
		close(db->pidfd);
	db->pidfd = -1;
	db->pid = 0;
}
