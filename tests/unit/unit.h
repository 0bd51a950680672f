/*
 * unit.h - the smallest unit-test harness: CHECK(cond) records a failure
 * with its line and goes on; main returns unit_exit().
 */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>

static int unit_failures;
static int unit_checks;

#define CHECK(cond) do {						\
	unit_checks++;							\
	if (!(cond)) {							\
		unit_failures++;					\
		fprintf(stderr, "%s:%d: check failed: %s\n",		\
		    __FILE__, __LINE__, #cond);				\
	}								\
} while (0)

static inline int
unit_exit(void)
{
	fprintf(stderr, "%d checks, %d failed\n", unit_checks, unit_failures);
	return unit_failures == 0 ? 0 : 1;
}

#endif /* !UNIT_H */
