/* modes.c - choose between the database and the directory mode. */
#include <string.h>

#include "modes.h"

int
modes_want_files(int argc, char *argv[])
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--files") == 0 ||
		    strncmp(argv[i], "--files=", 8) == 0)
			return 1;
	}
	return 0;
}
