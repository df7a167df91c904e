/*
 * The database: schema, registrations, call records, config tables,
 * login-code hashes, per-iteration batch commits and durability across a
 * reopen.
 */
#include <sys/stat.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "config.h"
#include "db.h"
#include "db_ckpt.h"

struct roamd	*env;

/* Collected registrations from db_reg_foreach. */
struct regs {
	int	 n;
	char	 ext[8][16];
	char	 contact[8][64];
	char	 peer[8][64];
	char	 callid[8][64];
	unsigned int cseq[8];
	time_t	 expires[8];
};

static void
collect_reg(const struct db_reg *r, void *arg)
{
	struct regs	*rs = arg;

	if (rs->n >= 8)
		return;
	snprintf(rs->ext[rs->n], 16, "%s", r->ext);
	snprintf(rs->contact[rs->n], 64, "%s", r->contact);
	snprintf(rs->peer[rs->n], 64, "%s", r->peer ? r->peer : "");
	snprintf(rs->callid[rs->n], 64, "%s", r->callid ? r->callid : "");
	rs->cseq[rs->n] = r->cseq;
	rs->expires[rs->n] = r->expires;
	rs->n++;
}

static struct regs
all_regs(void)
{
	struct regs	 rs;

	memset(&rs, 0, sizeof(rs));
	ck_assert_int_eq(db_reg_foreach(collect_reg, &rs), 0);
	return (rs);
}

static void
put_reg(const char *ext, const char *contact, unsigned int cseq,
    time_t expires)
{
	struct db_reg	 r = { ext, contact, "udp:127.0.0.1:5070", "call-1",
	    cseq, "TestPhone/1.0", expires };

	ck_assert_int_eq(db_reg_put(&r), 0);
}

static void
open_memory(struct event_base *base)
{
	char	*cause = NULL;

	ck_assert_msg(db_open(":memory:", base, &cause) == 0, "%s", cause);
}

START_TEST(test_schema_version)
{
	open_memory(NULL);
	ck_assert_int_eq(db_schema_version(), DB_SCHEMA_VERSION);
	db_close();
}
END_TEST

START_TEST(test_reg_put_update_del)
{
	struct regs	 rs;

	open_memory(NULL);
	put_reg("201", "sip:201@10.0.0.5:5060", 1, 1000);
	put_reg("201", "sip:201@10.0.0.6:5060", 1, 2000);
	put_reg("202", "sip:202@10.0.0.7:5060", 1, 3000);
	rs = all_regs();
	ck_assert_int_eq(rs.n, 3);
	ck_assert_str_eq(rs.peer[0], "udp:127.0.0.1:5070");

	/* Same ext+contact: updated, not duplicated. */
	put_reg("201", "sip:201@10.0.0.5:5060", 7, 5000);
	rs = all_regs();
	ck_assert_int_eq(rs.n, 3);
	ck_assert_str_eq(rs.contact[0], "sip:201@10.0.0.5:5060");
	ck_assert_uint_eq(rs.cseq[0], 7);
	ck_assert_int_eq(rs.expires[0], 5000);

	ck_assert_int_eq(db_reg_del("201", "sip:201@10.0.0.5:5060"), 0);
	rs = all_regs();
	ck_assert_int_eq(rs.n, 2);
	ck_assert_str_eq(rs.contact[0], "sip:201@10.0.0.6:5060");

	ck_assert_int_eq(db_reg_del("201", NULL), 0);
	rs = all_regs();
	ck_assert_int_eq(rs.n, 1);
	ck_assert_str_eq(rs.ext[0], "202");

	ck_assert_int_eq(db_reg_del(NULL, NULL), 0);
	ck_assert_int_eq(all_regs().n, 0);
	db_close();
}
END_TEST

struct cdrs {
	int	 n;
	char	 callee[4][16];
	int	 cause[4];
	time_t	 answer[4];
	int	 null_user;
	char	 sites[4][32];	/* "(null)" for none */
};

static void
collect_cdr(const struct db_cdr *c, void *arg)
{
	struct cdrs	*cs = arg;

	if (cs->n >= 4)
		return;
	snprintf(cs->callee[cs->n], 16, "%s", c->callee);
	cs->cause[cs->n] = c->cause;
	cs->answer[cs->n] = c->answer;
	if (c->caller_user == NULL)
		cs->null_user++;
	snprintf(cs->sites[cs->n], 32, "%s", c->sites != NULL ? c->sites :
	    "(null)");
	cs->n++;
}

START_TEST(test_cdr_add_foreach)
{
	struct db_cdr	 a = { "c1@x", "201", "201", "201", "202", "202", NULL,
	    1000, 1005, 1060, 200, "OK", "london" };
	struct db_cdr	 b = { "c2@x", NULL, "299", "299", "999", NULL, "pstn",
	    2000, 0, 2010, 486, "Busy Here", "paris>london" };
	struct cdrs	 cs;

	open_memory(NULL);
	ck_assert_int_eq(db_cdr_add(&a), 0);
	ck_assert_int_eq(db_cdr_add(&b), 0);
	memset(&cs, 0, sizeof(cs));
	ck_assert_int_eq(db_cdr_foreach(0, collect_cdr, &cs), 0);
	ck_assert_int_eq(cs.n, 2);
	ck_assert_str_eq(cs.callee[0], "202");
	ck_assert_int_eq(cs.answer[0], 1005);
	ck_assert_int_eq(cs.cause[1], 486);
	ck_assert_int_eq(cs.null_user, 1);
	/* The sites each call crossed come back as filed. */
	ck_assert_str_eq(cs.sites[0], "london");
	ck_assert_str_eq(cs.sites[1], "paris>london");
	/* Only the records since a time. */
	memset(&cs, 0, sizeof(cs));
	ck_assert_int_eq(db_cdr_foreach(1500, collect_cdr, &cs), 0);
	ck_assert_int_eq(cs.n, 1);
	ck_assert_str_eq(cs.callee[0], "999");
	db_close();
}
END_TEST

/*
 * A database of schema version 4 (call records without sites) is
 * migrated at open: its records read back with no sites, new ones keep
 * theirs.
 */
START_TEST(test_cdr_sites_added_to_an_old_database)
{
	struct db_cdr	 c = { "c3@x", "201", "201", "201", "301", "301",
	    NULL, 3000, 3002, 3050, 200, "OK", "london>paris" };
	struct cdrs	 cs;
	sqlite3		*h;
	char		 path[64], side[80], *cause = NULL;

	snprintf(path, sizeof(path), "/tmp/test_db_v4_%ld.db", (long)getpid());
	unlink(path);
	ck_assert_msg(db_open(path, NULL, &cause) == 0, "%s", cause);
	db_close();
	/* Back to version 4 by hand, with a record of that time. */
	ck_assert_int_eq(sqlite3_open(path, &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(h, "ALTER TABLE cdr DROP COLUMN sites;"
	    "UPDATE schema_version SET version = 4;"
	    "INSERT INTO cdr (callid, caller_user, callee, start_time,"
	    " end_time, cause, reason) VALUES ('old@x', '201', '202', 1000,"
	    " 1010, 486, 'Busy Here')", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);

	ck_assert_msg(db_open(path, NULL, &cause) == 0, "%s", cause);
	ck_assert_int_eq(db_schema_version(), DB_SCHEMA_VERSION);
	ck_assert_int_eq(db_cdr_add(&c), 0);
	memset(&cs, 0, sizeof(cs));
	ck_assert_int_eq(db_cdr_foreach(0, collect_cdr, &cs), 0);
	ck_assert_int_eq(cs.n, 2);
	ck_assert_str_eq(cs.callee[0], "202");
	ck_assert_str_eq(cs.sites[0], "(null)");
	ck_assert_str_eq(cs.sites[1], "london>paris");
	db_close();
	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}
END_TEST

START_TEST(test_login_code_hash_verify)
{
	char	 h1[DB_LOGIN_HASH_LEN], h2[DB_LOGIN_HASH_LEN];

	ck_assert_int_eq(db_login_code_hash("4321", h1, sizeof(h1)), 0);
	ck_assert_int_eq(db_login_code_hash("4321", h2, sizeof(h2)), 0);
	ck_assert_msg(strncmp(h1, "pbkdf2-sha256$10000$", 20) == 0, "%s", h1);
	/* Salted: the same code hashes differently each time. */
	ck_assert_str_ne(h1, h2);
	ck_assert_int_eq(db_login_code_verify("4321", h1), 1);
	ck_assert_int_eq(db_login_code_verify("4321", h2), 1);
	ck_assert_int_eq(db_login_code_verify("1234", h1), 0);
	ck_assert_int_eq(db_login_code_verify("43210", h1), 0);
	ck_assert_int_eq(db_login_code_verify("4321", "4321"), 0);
	ck_assert_int_eq(db_login_code_verify("4321",
	    "pbkdf2-sha256$99999999$00$00"), 0);
	ck_assert_int_eq(db_login_code_hash("4321", h1, 20), -1);
}
END_TEST

/* A small config built by hand. */
static struct config *
make_config(const char *user, const char *code)
{
	static struct extension	 ext[2];
	static struct user	 users[1];
	static struct shortcode	 sc[1];
	static struct trunk	 trunk[1];
	static struct ddi_route	 ddi[1];
	static struct config	 conf;

	memset(&conf, 0, sizeof(conf));
	conf.site_name = "london";
	conf.site_id = 1;
	conf.domain = "london.example.net";
	ext[0] = (struct extension){ "201", "phone-secret-201", "201",
	    "desk 14", 0, 1 };
	ext[1] = (struct extension){ "299", "phone-secret-299", NULL, NULL,
	    1, 2 };
	conf.extensions = ext;
	conf.nextensions = 2;
	memset(users, 0, sizeof(users));
	users[0].number = (char *)user;
	users[0].name = "Alice Smith";
	users[0].login_code = (char *)code;
	users[0].profile = PROFILE_POWER_USER;
	users[0].forward.no_answer_time = 15;
	conf.users = users;
	conf.nusers = 1;
	sc[0] = (struct shortcode){ "9N", SC_DIAL, "N", "pstn", NULL, 1 };
	conf.short_codes.v = sc;
	conf.short_codes.n = 1;
	ddi[0] = (struct ddi_route){ "442071230201", "201" };
	memset(trunk, 0, sizeof(trunk));
	trunk[0].name = "pstn";
	trunk[0].address.text = "udp:127.0.0.1:5090";
	trunk[0].incoming = ddi;
	trunk[0].nincoming = 1;
	conf.trunks = trunk;
	conf.ntrunks = 1;
	return (&conf);
}

START_TEST(test_store_config_hashes_login_codes)
{
	char	 h[DB_LOGIN_HASH_LEN], h2[DB_LOGIN_HASH_LEN], *cause = NULL;

	open_memory(NULL);
	ck_assert_msg(db_store_config(make_config("201", "4321"), &cause) == 0,
	    "%s", cause);
	ck_assert_int_eq(db_user_login_code("201", h, sizeof(h)), 0);
	ck_assert_str_ne(h, "4321");
	ck_assert_int_eq(db_login_code_verify("4321", h), 1);
	ck_assert_int_eq(db_login_code_verify("0000", h), 0);

	/* Storing the same code again keeps its hash (no re-hashing). */
	ck_assert_msg(db_store_config(make_config("201", "4321"), &cause) == 0,
	    "%s", cause);
	ck_assert_int_eq(db_user_login_code("201", h2, sizeof(h2)), 0);
	ck_assert_str_eq(h, h2);
	/* A changed code is hashed anew. */
	ck_assert_msg(db_store_config(make_config("201", "9999"), &cause) == 0,
	    "%s", cause);
	ck_assert_int_eq(db_user_login_code("201", h2, sizeof(h2)), 0);
	ck_assert_int_eq(db_login_code_verify("9999", h2), 1);
	ck_assert_int_eq(db_login_code_verify("4321", h2), 0);

	/* A second store replaces the content: 201 is gone. */
	ck_assert_msg(db_store_config(make_config("202", "8765"), &cause) == 0,
	    "%s", cause);
	ck_assert_int_eq(db_user_login_code("201", h, sizeof(h)), -1);
	ck_assert_int_eq(db_user_login_code("202", h, sizeof(h)), 0);
	ck_assert_int_eq(db_login_code_verify("8765", h), 1);
	db_close();
}
END_TEST

/* The first column of the first row of sql as a number; -1 if none. */
static long long
query_int(const char *sql)
{
	sqlite3_stmt	*st;
	long long	 v = -1;

	ck_assert_int_eq(sqlite3_prepare_v2(db_sqlite(), sql, -1, &st, NULL),
	    SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return (v);
}

START_TEST(test_store_config_writes_only_what_changed)
{
	struct config	*conf;
	char		*cause = NULL;

	open_memory(NULL);
	conf = make_config("201", "4321");
	ck_assert_msg(db_store_config(conf, &cause) == 0, "%s", cause);

	/* Unchanged rows are not rewritten: a mark put in them stays. */
	ck_assert_int_eq(sqlite3_exec(db_sqlite(), "UPDATE users SET"
	    " dnd = 7; UPDATE extensions SET location = 'mark'", NULL, NULL,
	    NULL), SQLITE_OK);
	ck_assert_msg(db_store_config(conf, &cause) == 0, "%s", cause);
	ck_assert_int_eq(query_int("SELECT dnd FROM users"), 7);
	ck_assert_int_eq(query_int("SELECT count(*) FROM extensions WHERE"
	    " location = 'mark'"), 2);
	ck_assert_int_eq(query_int("SELECT count(*) FROM short_codes"), 1);
	ck_assert_int_eq(query_int("SELECT count(*) FROM ddis"), 1);

	/* A renamed user is rewritten whole, its hashed code kept. */
	conf->users[0].name = "Alice Jones";
	ck_assert_msg(db_store_config(conf, &cause) == 0, "%s", cause);
	ck_assert_int_eq(query_int("SELECT count(*) FROM users WHERE"
	    " number = '201' AND name = 'Alice Jones' AND dnd = 0 AND"
	    " login_code LIKE 'pbkdf2%'"), 1);

	/* A new password: that extension only is rewritten, new HA1. */
	conf->extensions[1].password = "another-secret";
	ck_assert_msg(db_store_config(conf, &cause) == 0, "%s", cause);
	ck_assert_int_eq(query_int("SELECT count(*) FROM extensions WHERE"
	    " location = 'mark'"), 1);
	ck_assert_int_eq(query_int("SELECT count(*) FROM extensions WHERE"
	    " number = '299' AND location IS NULL"), 1);

	/* Removed users and extensions are deleted. */
	conf->nextensions = 1;
	conf->nusers = 0;
	ck_assert_msg(db_store_config(conf, &cause) == 0, "%s", cause);
	ck_assert_int_eq(query_int("SELECT count(*) FROM extensions"), 1);
	ck_assert_int_eq(query_int("SELECT count(*) FROM users"), 0);

	/* Reopened: the first store writes every table again. */
	db_close();
	open_memory(NULL);
	conf = make_config("201", "4321");
	ck_assert_msg(db_store_config(conf, &cause) == 0, "%s", cause);
	ck_assert_int_eq(query_int("SELECT count(*) FROM users"), 1);
	ck_assert_int_eq(query_int("SELECT count(*) FROM extensions"), 2);
	db_close();
}
END_TEST

START_TEST(test_store_config_keeps_registrations)
{
	char	*cause = NULL;

	open_memory(NULL);
	put_reg("201", "sip:201@10.0.0.5", 1, 1000);
	ck_assert_msg(db_store_config(make_config("201", "4321"), &cause) == 0,
	    "%s", cause);
	ck_assert_int_eq(all_regs().n, 1);
	db_close();
}
END_TEST

START_TEST(test_without_base_writes_commit_at_once)
{
	open_memory(NULL);
	put_reg("201", "sip:201@10.0.0.5", 1, 1000);
	ck_assert_uint_eq(db_pending(), 0);
	db_close();
}
END_TEST

static unsigned int	 seen_pending;

static void
write_a(evutil_socket_t fd, short ev, void *arg)
{
	put_reg("201", "sip:201@10.0.0.5", 1, 1000);
}

static void
write_b(evutil_socket_t fd, short ev, void *arg)
{
	put_reg("202", "sip:202@10.0.0.6", 1, 1000);
	seen_pending = db_pending();
}

START_TEST(test_writes_of_one_iteration_commit_together)
{
	struct event_base	*base;
	struct event		*a, *b;

	base = event_base_new();
	ck_assert_int_eq(event_base_priority_init(base, 3), 0);
	open_memory(base);
	a = event_new(base, -1, 0, write_a, NULL);
	b = event_new(base, -1, 0, write_b, NULL);
	event_priority_set(a, 1);
	event_priority_set(b, 1);
	event_active(a, EV_TIMEOUT, 1);
	event_active(b, EV_TIMEOUT, 1);
	seen_pending = 0;
	event_base_dispatch(base);
	/* Both writes were in one open batch; the loop then committed it. */
	ck_assert_uint_eq(seen_pending, 2);
	ck_assert_uint_eq(db_pending(), 0);
	ck_assert_int_eq(all_regs().n, 2);

	/* Outside the loop a write waits for the next iteration or flush. */
	put_reg("203", "sip:203@10.0.0.7", 1, 1000);
	ck_assert_uint_eq(db_pending(), 1);
	ck_assert_int_eq(db_flush(), 0);
	ck_assert_uint_eq(db_pending(), 0);
	db_close();
	event_free(a);
	event_free(b);
	event_base_free(base);
}
END_TEST

/* What an after-commit hook saw. */
struct hook_seen {
	int		 ran;
	int		 ok;
	unsigned int	 pending;
	int		 on_disk;	/* rows a second connection reads */
	const char	*path;		/* for that second connection */
};

/* Rows of the registrations table as another process would read them. */
static int
rows_on_disk(const char *path)
{
	sqlite3		*h;
	sqlite3_stmt	*st;
	int		 n = -1;

	ck_assert_int_eq(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(h, "SELECT count(*) FROM "
	    "registrations", -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return (n);
}

static void
hook_record(void *arg)
{
	struct hook_seen	*hs = arg;

	hs->ran++;
	hs->ok = db_last_commit_ok();
	hs->pending = db_pending();
	if (hs->path != NULL)
		hs->on_disk = rows_on_disk(hs->path);
}

/* Remove a database file and its WAL companions. */
static void
unlink_db(const char *path)
{
	char	 side[160];

	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}

/* A fresh file database path in /tmp (removed with its WAL files). */
static void
temp_path(char *buf, size_t len, const char *tag)
{
	snprintf(buf, len, "/tmp/roam-test-db-%s-%ld.db", tag, (long)getpid());
	unlink_db(buf);
}

static struct hook_seen	 iter_seen;

static void
write_and_ack(evutil_socket_t fd, short ev, void *arg)
{
	put_reg("201", "sip:201@10.0.0.5", 1, 1000);
	db_after_commit(hook_record, &iter_seen);
	/* Not before the COMMIT: the change is not stored yet. */
	ck_assert_int_eq(iter_seen.ran, 0);
}

START_TEST(test_after_commit_runs_once_the_change_is_on_disk)
{
	struct event_base	*base;
	struct event		*a;
	char			 path[128], *cause = NULL;

	temp_path(path, sizeof(path), "ack");
	base = event_base_new();
	ck_assert_int_eq(event_base_priority_init(base, 3), 0);
	ck_assert_msg(db_open(path, base, &cause) == 0, "%s", cause);
	memset(&iter_seen, 0, sizeof(iter_seen));
	iter_seen.path = path;
	a = event_new(base, -1, 0, write_and_ack, NULL);
	event_priority_set(a, 1);
	event_active(a, EV_TIMEOUT, 1);
	event_base_dispatch(base);
	/* It ran in that same loop pass, after COMMIT: visible elsewhere. */
	ck_assert_int_eq(iter_seen.ran, 1);
	ck_assert_int_eq(iter_seen.ok, 1);
	ck_assert_uint_eq(iter_seen.pending, 0);
	ck_assert_int_eq(iter_seen.on_disk, 1);
	db_close();
	event_free(a);
	event_base_free(base);
	unlink_db(path);
}
END_TEST

START_TEST(test_after_commit_at_once_when_nothing_pending)
{
	struct hook_seen	 hs;
	struct event_base	*base = event_base_new();

	ck_assert_int_eq(event_base_priority_init(base, 3), 0);
	open_memory(base);
	memset(&hs, 0, sizeof(hs));
	db_after_commit(hook_record, &hs);
	ck_assert_int_eq(hs.ran, 1);
	ck_assert_int_eq(hs.ok, 1);
	/* A write then db_flush(): the hook runs with the flush. */
	put_reg("201", "sip:201@10.0.0.5", 1, 1000);
	db_after_commit(hook_record, &hs);
	ck_assert_int_eq(hs.ran, 1);
	ck_assert_int_eq(db_flush(), 0);
	ck_assert_int_eq(hs.ran, 2);
	ck_assert_int_eq(hs.ok, 1);
	db_close();
	event_base_free(base);
}
END_TEST

START_TEST(test_after_commit_without_base_runs_at_once)
{
	struct hook_seen	 hs;

	open_memory(NULL);
	memset(&hs, 0, sizeof(hs));
	put_reg("201", "sip:201@10.0.0.5", 1, 1000);
	db_after_commit(hook_record, &hs);
	ck_assert_int_eq(hs.ran, 1);
	ck_assert_int_eq(hs.ok, 1);
	db_close();
}
END_TEST

/*
 * A COMMIT that fails: a deferred foreign key left dangling in the batch
 * makes SQLite refuse the COMMIT itself.  The hook still runs, is told,
 * and the batch's registration is not stored.
 */
START_TEST(test_failed_commit_tells_the_hook)
{
	struct hook_seen	 hs;
	struct event_base	*base = event_base_new();

	ck_assert_int_eq(event_base_priority_init(base, 3), 0);
	open_memory(base);
	ck_assert_int_eq(sqlite3_exec(db_sqlite(), "CREATE TABLE p (id INTEGER"
	    " PRIMARY KEY); CREATE TABLE c (pid INTEGER REFERENCES p(id)"
	    " DEFERRABLE INITIALLY DEFERRED)", NULL, NULL, NULL), SQLITE_OK);
	put_reg("201", "sip:201@10.0.0.5", 1, 1000);
	ck_assert_int_eq(db_write_begin(), 0);
	ck_assert_int_eq(sqlite3_exec(db_sqlite(), "INSERT INTO c VALUES (7)",
	    NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(db_write_end(0), 0);
	memset(&hs, 0, sizeof(hs));
	db_after_commit(hook_record, &hs);
	ck_assert_int_eq(hs.ran, 0);
	ck_assert_int_eq(db_flush(), -1);
	ck_assert_int_eq(hs.ran, 1);
	ck_assert_int_eq(hs.ok, 0);
	ck_assert_int_eq(all_regs().n, 0);
	/* The next batch starts clean and commits. */
	put_reg("202", "sip:202@10.0.0.6", 1, 1000);
	db_after_commit(hook_record, &hs);
	ck_assert_int_eq(db_flush(), 0);
	ck_assert_int_eq(hs.ran, 2);
	ck_assert_int_eq(hs.ok, 1);
	ck_assert_int_eq(all_regs().n, 1);
	db_close();
	event_base_free(base);
}
END_TEST

/*
 * A full database for real: max_page_count caps the file at its size,
 * so SQLite answers SQLITE_FULL.  Writes fail with -1, storage is flagged
 * as failing, a hook waiting on the batch is told the truth (its change
 * is stored exactly when it hears "ok"), and reads still work.
 */
START_TEST(test_full_database_refuses_writes_keeps_reads)
{
	struct hook_seen	 hs;
	struct event_base	*base = event_base_new();
	char			 path[128], contact[600], *cause = NULL;
	int			 i, failed = -1, before;

	temp_path(path, sizeof(path), "full");
	ck_assert_int_eq(event_base_priority_init(base, 3), 0);
	ck_assert_msg(db_open(path, base, &cause) == 0, "%s", cause);
	put_reg("200", "sip:200@10.0.0.1", 1, 1000);
	ck_assert_int_eq(db_flush(), 0);
	before = all_regs().n;
	/* Never below the current size: this caps the file where it is. */
	ck_assert_int_eq(sqlite3_exec(db_sqlite(), "PRAGMA max_page_count=1",
	    NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(db_storage_failing(), 0);
	memset(&hs, 0, sizeof(hs));
	hs.path = path;
	for (i = 0; i < 200 && failed == -1; i++) {
		struct db_reg	 r = { "201", contact, "udp:127.0.0.1:5070",
		    "call-1", 1, "TestPhone/1.0", 1000 };

		snprintf(contact, sizeof(contact), "sip:%03d@%0500d", i, i);
		if (db_reg_put(&r) != 0)
			failed = i;
		else if (hs.ran == 0 && i == 0)
			db_after_commit(hook_record, &hs);
	}
	ck_assert_int_gt(failed, 0);
	ck_assert_int_eq(db_storage_failing(), 1);
	db_flush();
	ck_assert_int_eq(hs.ran, 1);
	/* Told "stored" exactly when another reader sees it. */
	ck_assert_int_eq(hs.ok, hs.on_disk > before);
	/* Reads still answer from what is stored. */
	ck_assert_int_ge(all_regs().n, before);
	db_close();
	event_base_free(base);
	unlink_db(path);
}
END_TEST

START_TEST(test_reopen_file_keeps_registrations)
{
	struct event_base	*base;
	struct regs		 rs;
	char			 path[64], side[80], *cause = NULL;

	snprintf(path, sizeof(path), "/tmp/test_db_%ld.db", (long)getpid());
	unlink(path);
	base = event_base_new();
	ck_assert_int_eq(event_base_priority_init(base, 3), 0);
	ck_assert_msg(db_open(path, base, &cause) == 0, "%s", cause);
	put_reg("201", "sip:201@10.0.0.5", 4, 1234);
	/* Not committed by the loop: db_close must flush it. */
	db_close();
	event_base_free(base);

	ck_assert_msg(db_open(path, NULL, &cause) == 0, "%s", cause);
	ck_assert_int_eq(db_schema_version(), DB_SCHEMA_VERSION);
	rs = all_regs();
	ck_assert_int_eq(rs.n, 1);
	ck_assert_str_eq(rs.contact[0], "sip:201@10.0.0.5");
	ck_assert_uint_eq(rs.cseq[0], 4);
	ck_assert_int_eq(rs.expires[0], 1234);
	db_close();
	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}
END_TEST

static void
count_reg(const struct db_reg *r, void *arg)
{
	(*(int *)arg)++;
}

static int
count_regs(void)
{
	int	 n = 0;

	ck_assert_int_eq(db_reg_foreach(count_reg, &n), 0);
	return (n);
}

/*
 * A write storm: the checkpoints run in their own thread (the loop's
 * COMMITs never wait for an fsync of the database file), yet the WAL
 * does not grow for as long as the storm lasts, and nothing is lost.
 */
START_TEST(test_storm_checkpoints_off_the_loop_wal_bounded)
{
	struct event_base	*base;
	struct stat		 st;
	char			 path[128], wal[160], ext[16], contact[64];
	char			*cause = NULL;
	int			 i, j;

	temp_path(path, sizeof(path), "storm");
	snprintf(wal, sizeof(wal), "%s-wal", path);
	base = event_base_new();
	ck_assert_int_eq(event_base_priority_init(base, 3), 0);
	ck_assert_msg(db_open(path, base, &cause) == 0, "%s", cause);
	for (i = 0; i < 2000; i++) {
		for (j = 0; j < 20; j++) {
			snprintf(ext, sizeof(ext), "%d", 10000 + j * 2000 + i);
			snprintf(contact, sizeof(contact),
			    "sip:%s@10.0.%d.%d:5060", ext, j, i % 250);
			put_reg(ext, contact, i, 1000 + i);
		}
		ck_assert_int_eq(db_flush(), 0);
		if (i % 10 == 9)
			usleep(1000);	/* a loop also waits for input */
	}
	ck_assert_uint_gt(db_ckpt_count(), 0);
	ck_assert_int_eq(stat(wal, &st), 0);
	/* 40,000 rows written: without the loop's finishing checkpoints
	 * the WAL never starts over during the storm: 27 MiB here; with
	 * them it is cut back to journal_size_limit (16 MiB). */
	ck_assert_int_le(st.st_size, 20 * 1024 * 1024);
	ck_assert_int_eq(count_regs(), 40000);
	db_close();
	ck_assert_msg(db_open(path, NULL, &cause) == 0, "%s", cause);
	ck_assert_int_eq(count_regs(), 40000);
	db_close();
	event_base_free(base);
	unlink_db(path);
}
END_TEST

START_TEST(test_open_bad_path_fails_with_cause)
{
	char	*cause = NULL;

	ck_assert_int_eq(db_open("/nonexistent/dir/x.db", NULL, &cause), -1);
	ck_assert_ptr_nonnull(cause);
	free(cause);
	/* Writes without a database fail, they do not crash. */
	ck_assert_int_eq(db_reg_del("201", NULL), -1);
}
END_TEST

static Suite *
db_suite(void)
{
	Suite	*s = suite_create("db");
	TCase	*tc = tcase_create("db");

	tcase_add_test(tc, test_schema_version);
	tcase_add_test(tc, test_reg_put_update_del);
	tcase_add_test(tc, test_cdr_add_foreach);
	tcase_add_test(tc, test_cdr_sites_added_to_an_old_database);
	tcase_add_test(tc, test_login_code_hash_verify);
	tcase_add_test(tc, test_store_config_hashes_login_codes);
	tcase_add_test(tc, test_store_config_keeps_registrations);
	tcase_add_test(tc, test_store_config_writes_only_what_changed);
	tcase_add_test(tc, test_without_base_writes_commit_at_once);
	tcase_add_test(tc, test_writes_of_one_iteration_commit_together);
	tcase_add_test(tc, test_reopen_file_keeps_registrations);
	tcase_add_test(tc, test_open_bad_path_fails_with_cause);
	tcase_add_test(tc, test_storm_checkpoints_off_the_loop_wal_bounded);
	tcase_add_test(tc, test_after_commit_runs_once_the_change_is_on_disk);
	tcase_add_test(tc, test_after_commit_at_once_when_nothing_pending);
	tcase_add_test(tc, test_after_commit_without_base_runs_at_once);
	tcase_add_test(tc, test_failed_commit_tells_the_hook);
	tcase_add_test(tc, test_full_database_refuses_writes_keeps_reads);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(db_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
