/*
 * Everything SQLite: the only module that includes <sqlite3.h>.  WAL mode;
 * writes open a transaction that is committed once per event-loop
 * iteration (a low-priority libevent event), so nothing on the hot path
 * syncs per message.  Statements are prepared once.  The schema is
 * versioned and migrated forward at open.
 */
#ifndef DB_H
#define DB_H

#include <stdint.h>
#include <time.h>

struct config;
struct event_base;

#define DB_SCHEMA_VERSION	1

struct db_reg {
	const char	*ext;
	const char	*contact;
	const char	*peer;		/* "udp:1.2.3.4:5060" */
	const char	*callid;
	unsigned int	 cseq;
	const char	*user_agent;
	time_t		 expires;
};

struct db_cdr {
	const char	*callid;
	const char	*caller_user;	/* NULL for NoUser / external */
	const char	*caller_ext;	/* device, or trunk/peer name */
	const char	*caller_number;	/* as presented */
	const char	*callee;	/* dialled */
	const char	*callee_user;
	const char	*trunk;
	time_t		 start;
	time_t		 answer;	/* 0 when not answered */
	time_t		 end;
	int		 cause;		/* final SIP status, 200 answered */
	const char	*reason;
};

/* Open (create, migrate) path; ":memory:" for tests. 0 or -1 + cause. */
int	db_open(const char *path, struct event_base *, char **cause);
void	db_close(void);
int	db_schema_version(void);
/* Commit the open batch now (before exit, in tests). */
int	db_flush(void);
/* Replace the config tables by conf in one transaction. */
int	db_store_config(const struct config *, char **cause);

int	db_reg_put(const struct db_reg *);
int	db_reg_del(const char *ext, const char *contact); /* NULL = all */
int	db_reg_foreach(void (*)(const struct db_reg *, void *), void *);

int	db_cdr_add(const struct db_cdr *);
int	db_cdr_foreach(time_t since, void (*)(const struct db_cdr *, void *),
	    void *);

#endif
