/* Prints what libshimctor's constructor saw: "ctor=ok" or "ctor=ENOSPC". */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

int shimctor_get(void);

int main(void)
{
	int r = shimctor_get();

	printf("ctor=%s\n", r == 0 ? "ok" : r < 0 ? "not-run" :
		strerrorname_np(r));
	return 0;
}
