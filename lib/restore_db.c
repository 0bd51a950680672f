/* restore_db.c - placeholder until the mode is written; it refuses to run. */
#include "bk.h"
#include "modes.h"

int
restore_db_main(int argc, char *argv[])
{
	(void)argc;
	(void)argv;
	warn0("this mode is not built yet");
	return BK_EXIT_FAIL;
}
