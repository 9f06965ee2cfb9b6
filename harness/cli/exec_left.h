/* Processes faultrun exec's command left running under the shim (exec_left.c). */
#ifndef FAULTRUN_EXEC_LEFT_H
#define FAULTRUN_EXEC_LEFT_H

#include <faultrun/control.h>

/* Before the command starts: its orphans become faultrun's children. */
void fr_exec_left_prepare(void);

/*
 * After the command exited: switch every rule off, find the processes
 * that still map the block at ctlpath and, when there are any, say so on
 * stderr. Returns how many there were.
 */
unsigned fr_exec_left(struct fr_ctl *c, const char *ctlpath);

#endif /* FAULTRUN_EXEC_LEFT_H */
