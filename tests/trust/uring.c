/*
 * A program that writes a file through an io_uring when it can, and with
 * write(2) when it cannot, as libuv and liburing's users do: a ring made by
 * hand (io_uring_setup(2), the rings mmap'ed, one IORING_OP_WRITE
 * submitted with io_uring_enter(2)), both calls through syscall(), as glibc
 * has no wrapper for them.
 *
 * usage: trust-uring FILE
 * Prints one line per step ("setup: ring", "setup: ENOSYS", "ring write:
 * 6", "write: ENOSPC"...) and exits 0 when the file was written one way
 * or the other, 1 when the write failed, 2 on a usage or setup error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char msg[] = "hello\n";

static const char *ename(int e)
{
	switch (e) {
	case ENOSYS:
		return "ENOSYS";
	case EPERM:
		return "EPERM";
	case ENOMEM:
		return "ENOMEM";
	case ENOSPC:
		return "ENOSPC";
	default:
		return strerror(e);
	}
}

/* One IORING_OP_WRITE of msg to fd at offset 0 through ring rfd: its result (bytes or -errno). */
static int ring_write(int rfd, const struct io_uring_params *p, int fd)
{
	size_t sqsz = p->sq_off.array + p->sq_entries * sizeof(unsigned);
	size_t cqsz = p->cq_off.cqes + p->cq_entries * sizeof(struct io_uring_cqe);
	int single = p->features & IORING_FEAT_SINGLE_MMAP;
	char *sq, *cq;
	struct io_uring_sqe *sqes;
	unsigned tail, idx, head;
	int res;

	if (single && cqsz > sqsz)
		sqsz = cqsz;
	sq = mmap(NULL, sqsz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, rfd,
		  IORING_OFF_SQ_RING);
	cq = single ? sq :
		      mmap(NULL, cqsz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, rfd,
			   IORING_OFF_CQ_RING);
	sqes = mmap(NULL, p->sq_entries * sizeof(*sqes), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_POPULATE, rfd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED)
		return -errno;
	tail = __atomic_load_n((unsigned *)(sq + p->sq_off.tail), __ATOMIC_ACQUIRE);
	idx = tail & *(unsigned *)(sq + p->sq_off.ring_mask);
	memset(&sqes[idx], 0, sizeof(sqes[idx]));
	sqes[idx].opcode = IORING_OP_WRITE;
	sqes[idx].fd = fd;
	sqes[idx].addr = (unsigned long)msg;
	sqes[idx].len = sizeof(msg) - 1;
	((unsigned *)(sq + p->sq_off.array))[idx] = idx;
	__atomic_store_n((unsigned *)(sq + p->sq_off.tail), tail + 1, __ATOMIC_RELEASE);
	if (syscall(SYS_io_uring_enter, rfd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return -errno;
	head = __atomic_load_n((unsigned *)(cq + p->cq_off.head), __ATOMIC_ACQUIRE);
	if (head == __atomic_load_n((unsigned *)(cq + p->cq_off.tail), __ATOMIC_ACQUIRE))
		return -EAGAIN;
	res = ((struct io_uring_cqe *)(cq + p->cq_off.cqes))
		      [head & *(unsigned *)(cq + p->cq_off.ring_mask)]
			      .res;
	__atomic_store_n((unsigned *)(cq + p->cq_off.head), head + 1, __ATOMIC_RELEASE);
	return res;
}

int main(int argc, char **argv)
{
	struct io_uring_params p;
	int fd, rfd, r;

	if (argc != 2) {
		fprintf(stderr, "usage: trust-uring FILE\n");
		return 2;
	}
	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		perror(argv[1]);
		return 2;
	}
	memset(&p, 0, sizeof(p));
	rfd = (int)syscall(SYS_io_uring_setup, 8, &p);
	if (rfd >= 0) {
		printf("setup: ring\n");
		r = ring_write(rfd, &p, fd);
		if (r >= 0) {
			printf("ring write: %d\n", r);
			return 0;
		}
		printf("ring write: %s\n", ename(-r));
		return 1;
	}
	/* no io_uring here: the plain call, as every ring user falls back */
	printf("setup: %s\n", ename(errno));
	if (write(fd, msg, sizeof(msg) - 1) < 0) {
		printf("write: %s\n", ename(errno));
		return 1;
	}
	printf("write: ok\n");
	return 0;
}
