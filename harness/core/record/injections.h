/*
 * faultrun — the injections of a run, kept in bounded memory whatever
 * their rate (injections.c). A fault that fires millions of times must
 * not cost millions of records: the events read from the shims' rings
 * are counted in groups (same fault, unit, pid, call, outcome and
 * place), a few of each group and the first few overall are kept as a
 * sample, and each fault's rate over time comes from its exact counters
 * (struct fr_rate), not from the ring. docs/journal.md, "injections".
 */
#ifndef FAULTRUN_INJECTIONS_H
#define FAULTRUN_INJECTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* the first events of the run kept whatever their group (N) */
#define FR_INJ_SAMPLE_FIRST 256
/* then the first events of each group (K) */
#define FR_INJ_SAMPLE_PER_GROUP 4
/* distinct groups kept; the events of any further group are only counted ("other") */
#define FR_INJ_GROUPS 256
/* rate buckets per fault: 100 ms wide at first, merged in pairs as the run goes on */
#define FR_RATE_BUCKETS 240
#define FR_RATE_WIDTH0 100000000ll

/* An injection the shim reported. */
struct fr_inj_event {
	int64_t t;
	int fault; /* index into scenario faults, -1 unknown */
	int pid;
	uint8_t op, action;
	int err;
	char where[96];
	const char *service; /* the block it came from: NULL the target's, else a service's */
};

/* Events alike but for their time: how many, the first and the last. */
struct fr_inj_group {
	struct fr_inj_event key; /* key.t: the first */
	int64_t last;
	uint64_t count;
	unsigned sampled; /* of its events in the sample */
};

struct fr_inj_log {
	struct fr_inj_event *sample; /* in the order read */
	size_t nsample, capsample;
	struct fr_inj_group *groups; /* FR_INJ_GROUPS of room, in the order first seen */
	size_t ngroups;
	uint32_t *index;  /* open addressing: group number + 1, 0 empty */
	uint64_t *read;	  /* events read, per fault (the last: unknown rules) */
	uint64_t *folded; /* of those, counted in no group: the table was full */
	size_t nfaults;
	uint64_t nread;	  /* events read, all faults */
	uint64_t missed;  /* events the rings overwrote before they were read */
	uint64_t nfolded; /* events counted in no group, all faults */
};

/* Injections of one fault per time bucket, from the differences of its exact counter. */
struct fr_rate {
	int64_t width;		     /* ns per bucket (FR_RATE_WIDTH0, doubled as needed) */
	int64_t at;		     /* time of the last update (ns from t = 0) */
	uint64_t total;		     /* the counter at the last update: the sum of n */
	uint64_t n[FR_RATE_BUCKETS]; /* bucket i: [i * width, (i + 1) * width) */
};

/* Empty log for nfaults faults (allocates; fr_inj_log_finish frees). */
void fr_inj_log_init(struct fr_inj_log *l, size_t nfaults);
void fr_inj_log_finish(struct fr_inj_log *l);

/* Count one event read from a ring; keep it in the sample if it is one of the first. */
void fr_inj_log_add(struct fr_inj_log *l, const struct fr_inj_event *e);

/* Events not in the sample: overwritten before they were read, or not kept. */
uint64_t fr_inj_log_dropped(const struct fr_inj_log *l);

/* Events read for fault f (-1: unknown rules). */
uint64_t fr_inj_log_read(const struct fr_inj_log *l, int f);

/* Events of fault f (-1: unknown rules) counted in no group. */
uint64_t fr_inj_log_folded(const struct fr_inj_log *l, int f);

void fr_rate_init(struct fr_rate *r);

/*
 * The fault's counter read `counter` at time t: the injections since the
 * last update are spread over the buckets of that interval (a negative
 * difference, an injection taken back by the shim, is taken from the
 * latest buckets). The buckets always sum to the last counter given.
 */
void fr_rate_update(struct fr_rate *r, int64_t t, uint64_t counter);

/* Buckets that cover [0, end) and every injection (at most FR_RATE_BUCKETS). */
size_t fr_rate_len(const struct fr_rate *r, int64_t end);

#endif /* FAULTRUN_INJECTIONS_H */
