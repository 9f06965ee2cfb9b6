/*
 * faultrun — writing output files so that a reader never sees half of one
 * and an old file is never lost to a failed write: data goes to a new
 * temporary beside the destination (created exclusively, never through a
 * symlink), is flushed to disk, and is renamed over the destination only
 * when every byte is there.
 */
#ifndef FAULTRUN_UTIL_FSUTIL_H
#define FAULTRUN_UTIL_FSUTIL_H

#include <stddef.h>

struct fr_atomic_file {
	int fd;	    /* write here */
	char *tmp;  /* the temporary's path; NULL when writing straight to a device */
	char *path; /* the destination */
};

/*
 * Create the temporary for path (mode 0666 less the umask). Returns 0, or
 * -errno with nothing created. A destination under /dev or /proc
 * (/dev/stdout, /dev/null, /dev/fd/3) is opened and written straight:
 * renaming over it would replace the device node or the link.
 */
int fr_atomic_begin(struct fr_atomic_file *a, const char *path);
/*
 * fsync, close and rename the temporary over the destination. Returns 0,
 * or -errno with the temporary removed and the destination untouched.
 * Frees a's strings either way.
 */
int fr_atomic_commit(struct fr_atomic_file *a);
/* Close and remove the temporary; a no-op after commit. */
void fr_atomic_abort(struct fr_atomic_file *a);

/*
 * Open path for reading if it is a regular file: a FIFO would block the
 * open (or the read) forever, a directory or a device is no input file.
 * Opened non-blocking, checked with fstat, then made blocking again, so
 * nothing swapped in between can hang us. Returns the fd, or -errno; when
 * the file is of another kind, -EINVAL (-EISDIR) and *kind says which ("a
 * FIFO"), else *kind is NULL.
 */
int fr_open_regular(const char *path, const char **kind);

/* Write len bytes to fd, retrying short writes and EINTR: 0 or -errno. */
int fr_write_all(int fd, const void *data, size_t len);

/* Replace path's contents with data[0..len) as above: 0 or -errno. */
int fr_write_file(const char *path, const void *data, size_t len);

/*
 * The directory of this program's executable (/proc/self/exe without its
 * last component), to find what was built or installed beside it.
 * Returns 0, or -errno (-ENAMETOOLONG when it does not fit in len).
 */
int fr_self_dir(char *out, size_t len);

#endif /* FAULTRUN_UTIL_FSUTIL_H */
