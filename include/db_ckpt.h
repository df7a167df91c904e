/*
 * WAL checkpoints in a thread of their own, so the fsyncs of a checkpoint
 * never stall the event loop (db_ckpt.c).  Used by db.c only.
 */
#ifndef DB_CKPT_H
#define DB_CKPT_H

#include <sqlite3.h>

int		db_ckpt_start(sqlite3 *);
void		db_ckpt_stop(sqlite3 *);
unsigned long	db_ckpt_count(void);

#endif
