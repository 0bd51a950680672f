/*
 * modes.h - the two modes of bk-dump and bk-restore.  tools/bk-dump.c and
 * tools/bk-restore.c only choose the mode (--files DIR selects the
 * directory mode, anything else the database mode); each mode parses its
 * own options from the full argv and returns an exit status (enum bk_exit).
 */
#ifndef BK_MODES_H
#define BK_MODES_H

/* lib/dump_db.c: MongoDB -> mongodump --archive stream on stdout. */
int dump_db_main(int argc, char *argv[]);
/* lib/dump_files.c: directory -> pax tar stream on stdout. */
int dump_files_main(int argc, char *argv[]);
/* lib/restore_db.c: archive stream on stdin -> MongoDB. */
int restore_db_main(int argc, char *argv[]);
/* lib/restore_files.c: tar stream on stdin -> directory. */
int restore_files_main(int argc, char *argv[]);

/* 1 if argv (before a "--") holds --files or --files=DIR. */
int modes_want_files(int argc, char *argv[]);

#endif /* !BK_MODES_H */
