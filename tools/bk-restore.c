/*
 * bk-restore - read a stream written by bk-dump (or mongodump --archive, or a
 * pax tar) on standard input into MongoDB or into a directory.
 * The work is in lib/restore_db.c and lib/restore_files.c.
 */
#include "bk.h"
#include "modes.h"

int
main(int argc, char *argv[])
{
	bk_setprogname(argv[0]);
	bk_ignore_sigpipe();
	if (modes_want_files(argc, argv))
		return restore_files_main(argc, argv);
	return restore_db_main(argc, argv);
}
