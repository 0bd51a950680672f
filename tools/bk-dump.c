/*
 * bk-dump - write a MongoDB database (mongodump --archive format) or a
 * directory (pax tar) as one stream on standard output.
 * The work is in lib/dump_db.c and lib/dump_files.c.
 */
#include "bk.h"
#include "modes.h"

int
main(int argc, char *argv[])
{
	bk_setprogname(argv[0]);
	bk_ignore_sigpipe();
	if (modes_want_files(argc, argv))
		return dump_files_main(argc, argv);
	return dump_db_main(argc, argv);
}
