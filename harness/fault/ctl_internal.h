/*
 * Shared by the two halves of the control block code (ctl.c, the reader
 * side the shim links, and ctl_admin.c, faultrun's writer side).
 */
#ifndef FAULTRUN_FAULT_CTL_INTERNAL_H
#define FAULTRUN_FAULT_CTL_INTERNAL_H

#include <faultrun/control.h>

/*
 * Open and map the block at path, checking what a hostile environment
 * could fake: a symlink (O_NOFOLLOW), another owner, a non-regular file, a
 * short file, a bad header. Raw syscalls only (the shim calls it). Returns
 * the mapping, or NULL with the errno value in *errp (errno itself may
 * have changed).
 */
struct fr_ctl *fr_ctl_map(const char *path, int *errp);

#endif /* FAULTRUN_FAULT_CTL_INTERNAL_H */
