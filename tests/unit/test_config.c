/*
 * Config loader: the DESIGN.md section 3 example loads with every field in
 * place, the shipped sample loads, and each kind of mistake an admin can
 * make is reported as "FILE:LINE:COL: message" at the right place.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <check.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "roamd.h"

struct roamd	*env;

static char	 tmpdir[PATH_MAX];
static char	 cfgpath[PATH_MAX + 64];

/* The site: block most tests start with; their own lines start at 8. */
#define SITE \
	"site:\n" \
	"  name: london\n" \
	"  id: 1\n" \
	"  domain: london.example.net\n" \
	"  sip: [\"udp:127.0.0.1:5060\"]\n" \
	"  database: london.db\n" \
	"  control: london.sock\n"

/* A fresh directory per test, so relative paths land in it. */
static void
setup(void)
{
	char	*real;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/roam-config-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	/* Paths in the config are made absolute with realpath(3). */
	real = realpath(tmpdir, NULL);
	ck_assert_ptr_nonnull(real);
	snprintf(tmpdir, sizeof(tmpdir), "%s", real);
	free(real);
	snprintf(cfgpath, sizeof(cfgpath), "%s/roamd.yaml", tmpdir);
}

/* Remove the test's directory and what it wrote there. */
static void
teardown(void)
{
	DIR		*d;
	struct dirent	*de;
	char		 p[PATH_MAX * 2];

	if ((d = opendir(tmpdir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", tmpdir, de->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(tmpdir);
}

/* Write text to NAME in the test directory. */
static void
write_file(const char *name, const char *text)
{
	char	 p[PATH_MAX * 2];
	FILE	*f;

	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* Load yaml as roamd.yaml; the config or NULL with errs filled. */
static struct config *
load(const char *yaml, struct config_errors *errs)
{
	write_file("roamd.yaml", yaml);
	return (config_load(cfgpath, errs));
}

/* Print every error (for a failing test's log). */
static void
dump(const struct config_errors *errs)
{
	size_t	 i;

	for (i = 0; i < errs->n; i++)
		fprintf(stderr, "  %s\n", errs->v[i]);
}

/* Did the load report exactly "FILE:" want? */
static int
has_error(const struct config_errors *errs, const char *want)
{
	char	 line[PATH_MAX + 512];
	size_t	 i;

	snprintf(line, sizeof(line), "%s:%s", cfgpath, want);
	for (i = 0; i < errs->n; i++) {
		if (strcmp(errs->v[i], line) == 0)
			return (1);
	}
	return (0);
}

/* Load yaml, expect it refused with the error "LINE:COL: message". */
static void
expect_error(const char *yaml, const char *want)
{
	struct config_errors	 errs = { NULL, 0 };
	struct config		*c;
	int			 found;

	c = load(yaml, &errs);
	found = has_error(&errs, want);
	if (!found || c != NULL) {
		fprintf(stderr, "wanted %s:%s, got:\n", cfgpath, want);
		dump(&errs);
	}
	config_free(c);
	config_errors_free(&errs);
	ck_assert_ptr_null(c);
	ck_assert_msg(found, "missing error %s", want);
}

/* Load yaml, expect it accepted; the caller frees the config. */
static struct config *
expect_ok(const char *yaml)
{
	struct config_errors	 errs = { NULL, 0 };
	struct config		*c;

	c = load(yaml, &errs);
	if (c == NULL)
		dump(&errs);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(errs.n, 0);
	return (c);
}

/* An absolute path in the test directory, for comparisons. */
static const char *
in_dir(const char *name)
{
	static char	 p[PATH_MAX * 2];

	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	return (p);
}

/* DESIGN.md section 3, with 202/203 added and paths in the temp dir. */
static const char *design_example =
"site:\n"
"  name: london\n"
"  id: 1\n"
"  domain: london.example.net\n"
"  sip: [\"udp:127.0.0.1:5060\", \"tcp:127.0.0.1:5060\", \"tls:[::1]:5061\"]\n"
"  sip_tls: { cert: sip.pem, key: sip.key }\n"
"  database: london.db\n"
"  control: london.sock\n"
"  http: \"127.0.0.1:8080\"\n"
"  http_token_file: http.token\n"
"  timezone: Europe/London\n"
"\n"
"licences: { office_worker: 10, teleworker: 2, mobile_worker: 2, "
"power_user: 5 }\n"
"\n"
"hotdesk:\n"
"  lockout_attempts: 4\n"
"  lockout_period: 90s\n"
"\n"
"network:\n"
"  listen: \"127.0.0.1:7001\"\n"
"  secret: \"change-me\"\n"
"  orphan_logout: 24h\n"
"  hold_time: 15s\n"
"  tls: { ca: /etc/roamd/network-ca.pem, cert: london.pem, "
"key: london.key }\n"
"  peers:\n"
"    - { name: paris,  address: \"127.0.0.1:7002\", "
"sip: \"udp:127.0.0.1:5062\" }\n"
"    - { name: berlin, address: \"127.0.0.1:7003\", "
"sip: \"udp:127.0.0.1:5063\" }\n"
"\n"
"time_profiles:\n"
"  - name: Office Hours\n"
"    weekly:\n"
"      - { days: [mon, tue, wed, thu, fri], start: \"08:00\", "
"end: \"18:00\" }\n"
"    dates:\n"
"      - { date: \"2026-12-24\", start: \"08:00\", end: \"12:00\" }\n"
"\n"
"user_rights:\n"
"  - name: Sales\n"
"    outgoing_call_bar: false\n"
"    block_forwarding: false\n"
"    short_codes:\n"
"      - { code: \"00N\", feature: barred }\n"
"  - name: Night\n"
"    outgoing_call_bar: true\n"
"\n"
"short_codes:\n"
"  - { code: \"*35*N#\", feature: extn_login, number: \"N\" }\n"
"  - { code: \"*36\",    feature: extn_logout }\n"
"  - { code: \"*08\",    feature: dnd_on }\n"
"  - { code: \"*09\",    feature: dnd_off }\n"
"  - { code: \"*01\",    feature: forward_unconditional_on }\n"
"  - { code: \"*02\",    feature: forward_unconditional_off }\n"
"  - { code: \"*07*N#\", feature: forward_number, number: \"N\" }\n"
"  - { code: \"*80*N#\", feature: break_out, number: \"N\" }\n"
"  - { code: \"*81N\",   feature: break_out, site: paris, number: \"N\" }\n"
"  - { code: \"999\",    feature: dial_emergency, number: \"999\", "
"trunk: pstn }\n"
"  - { code: \"9N\",     feature: dial, number: \"N\", trunk: pstn }\n"
"\n"
"trunks:\n"
"  - name: pstn\n"
"    address: \"udp:127.0.0.1:5090\"\n"
"    auth: { username: \"london\", password: \"trunk-secret\" }\n"
"    incoming:\n"
"      - { ddi: \"442071230201\", destination: \"201\" }\n"
"\n"
"extensions:\n"
"  - { number: \"201\", password: \"phone-secret-201\", base_user: \"201\",\n"
"      location: \"London HQ, floor 2, desk 14\" }\n"
"  - { number: \"299\", password: \"phone-secret-299\", "
"remote_worker: true }\n"
"\n"
"users:\n"
"  - number: \"201\"\n"
"    name: \"Alice Smith\"\n"
"    login_code: \"4321\"\n"
"    force_login: false\n"
"    profile: power_user\n"
"    user_rights: Sales\n"
"    out_of_hours_user_rights: Night\n"
"    working_hours_time_profile: Office Hours\n"
"    dnd: false\n"
"    forward: { number: \"202\", unconditional: false, on_busy: false,\n"
"               on_no_answer: false, no_answer_time: 15s }\n"
"    mobile_twinning: { number: \"447700900123\", enabled: false }\n"
"    short_codes:\n"
"      - { code: \"*77\", feature: dial, number: \"0033140000000\", "
"trunk: pstn }\n"
"    buttons:\n"
"      - { type: call_appearance }\n"
"      - { type: bridged_appearance, user: \"202\" }\n"
"      - { type: coverage_appearance, user: \"203\" }\n"
"      - { type: line_appearance, trunk: pstn }\n"
"      - { type: speed_dial, number: \"203\" }\n"
"      - { type: dnd }\n"
"      - { type: break_out, site: paris }\n"
"  - { number: \"202\", name: \"Bob Jones\", login_code: \"5678\", "
"force_login: yes,\n"
"      profile: teleworker, dnd: yes }\n"
"  - { number: \"203\", name: \"Carol White\" }\n";

/* The site, licence and hot-desk parts of the example. */
static void
check_example_site(const struct config *c)
{
	const struct sockaddr_in6	*sin6;

	ck_assert_str_eq(c->path, cfgpath);
	ck_assert_str_eq(c->site_name, "london");
	ck_assert_int_eq(c->site_id, 1);
	ck_assert_str_eq(c->domain, "london.example.net");
	ck_assert_uint_eq(c->nsip, 3);
	ck_assert_str_eq(c->sip[0].text, "udp:127.0.0.1:5060");
	ck_assert_int_eq(c->sip[0].transport, SIPT_UDP);
	ck_assert_int_eq(c->sip[1].transport, SIPT_TCP);
	ck_assert_int_eq(c->sip[2].transport, SIPT_TLS);
	sin6 = (const struct sockaddr_in6 *)&c->sip[2].ss;
	ck_assert_int_eq(sin6->sin6_family, AF_INET6);
	ck_assert_int_eq(ntohs(sin6->sin6_port), 5061);
	ck_assert_str_eq(c->sip_tls.cert, in_dir("sip.pem"));
	ck_assert_str_eq(c->sip_tls.key, in_dir("sip.key"));
	ck_assert_ptr_null(c->sip_tls.ca);
	ck_assert_str_eq(c->database, in_dir("london.db"));
	ck_assert_str_eq(c->control, in_dir("london.sock"));
	ck_assert_str_eq(c->http, "127.0.0.1:8080");
	ck_assert_str_eq(c->http_token_file, in_dir("http.token"));
	ck_assert_str_eq(c->timezone, "Europe/London");
	ck_assert_int_eq(c->licences[PROFILE_BASIC], 0);
	ck_assert_int_eq(c->licences[PROFILE_OFFICE_WORKER], 10);
	ck_assert_int_eq(c->licences[PROFILE_TELEWORKER], 2);
	ck_assert_int_eq(c->licences[PROFILE_MOBILE_WORKER], 2);
	ck_assert_int_eq(c->licences[PROFILE_POWER_USER], 5);
	ck_assert_int_eq(c->lockout_attempts, 4);
	ck_assert_int_eq(c->lockout_period, 90);
}

/* The network part of the example. */
static void
check_example_network(const struct config *c)
{
	const struct sockaddr_in	*sin;

	ck_assert_str_eq(c->net_listen.text, "127.0.0.1:7001");
	sin = (const struct sockaddr_in *)&c->net_listen.ss;
	ck_assert_int_eq(sin->sin_family, AF_INET);
	ck_assert_int_eq(ntohs(sin->sin_port), 7001);
	ck_assert_str_eq(c->net_secret, "change-me");
	ck_assert_int_eq(c->orphan_logout, 86400);
	ck_assert_int_eq(c->hold_time, 15);
	ck_assert_str_eq(c->net_tls.ca, "/etc/roamd/network-ca.pem");
	ck_assert_str_eq(c->net_tls.cert, in_dir("london.pem"));
	ck_assert_str_eq(c->net_tls.key, in_dir("london.key"));
	ck_assert_uint_eq(c->npeers, 2);
	ck_assert_str_eq(c->peers[0].name, "paris");
	ck_assert_str_eq(c->peers[0].address.text, "127.0.0.1:7002");
	ck_assert_str_eq(c->peers[0].sip.text, "udp:127.0.0.1:5062");
	ck_assert_ptr_eq(config_peer(c, "berlin"), &c->peers[1]);
	ck_assert_ptr_null(config_peer(c, "london"));
}

/* Time profiles, rights and system short codes of the example. */
static void
check_example_dialling(const struct config *c)
{
	const struct time_profile	*tp;
	const struct user_rights	*ur;
	const struct shortcode		*sc;

	ck_assert_uint_eq(c->ntime_profiles, 1);
	tp = config_time_profile(c, "Office Hours");
	ck_assert_ptr_nonnull(tp);
	ck_assert_uint_eq(tp->nweekly, 1);
	ck_assert_uint_eq(tp->weekly[0].days,
	    DAY_MON | DAY_TUE | DAY_WED | DAY_THU | DAY_FRI);
	ck_assert_int_eq(tp->weekly[0].start, 8 * 60);
	ck_assert_int_eq(tp->weekly[0].end, 18 * 60);
	ck_assert_uint_eq(tp->ndates, 1);
	ck_assert_int_eq(tp->dates[0].year, 2026);
	ck_assert_int_eq(tp->dates[0].month, 12);
	ck_assert_int_eq(tp->dates[0].day, 24);
	ck_assert_int_eq(tp->dates[0].end_year, 2026);
	ck_assert_int_eq(tp->dates[0].end_month, 12);
	ck_assert_int_eq(tp->dates[0].end_day, 24);
	ck_assert_int_eq(tp->dates[0].start, 8 * 60);
	ck_assert_int_eq(tp->dates[0].end, 12 * 60);

	ck_assert_uint_eq(c->nuser_rights, 2);
	ur = config_rights(c, "Sales");
	ck_assert_ptr_nonnull(ur);
	ck_assert_int_eq(ur->outgoing_call_bar, 0);
	ck_assert_uint_eq(ur->short_codes.n, 1);
	ck_assert_str_eq(ur->short_codes.v[0].code, "00N");
	ck_assert_int_eq(ur->short_codes.v[0].feature, SC_BARRED);
	ck_assert_int_eq(config_rights(c, "Night")->outgoing_call_bar, 1);

	ck_assert_uint_eq(c->short_codes.n, 11);
	sc = &c->short_codes.v[0];
	ck_assert_str_eq(sc->code, "*35*N#");
	ck_assert_int_eq(sc->feature, SC_EXTN_LOGIN);
	ck_assert_str_eq(sc->number, "N");
	ck_assert_int_eq(sc->line, 46);
	sc = &c->short_codes.v[8];
	ck_assert_int_eq(sc->feature, SC_BREAK_OUT);
	ck_assert_str_eq(sc->site, "paris");
	sc = &c->short_codes.v[9];
	ck_assert_int_eq(sc->feature, SC_DIAL_EMERGENCY);
	ck_assert_str_eq(sc->number, "999");
	ck_assert_str_eq(sc->trunk, "pstn");
	ck_assert_int_eq(c->short_codes.v[10].feature, SC_DIAL);
}

/* Trunks and extensions of the example. */
static void
check_example_trunks(const struct config *c)
{
	const struct trunk	*t;
	const struct extension	*e;

	ck_assert_uint_eq(c->ntrunks, 1);
	t = config_trunk(c, "pstn");
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->address.text, "udp:127.0.0.1:5090");
	ck_assert_int_eq(t->address.transport, SIPT_UDP);
	ck_assert_str_eq(t->auth_username, "london");
	ck_assert_str_eq(t->auth_password, "trunk-secret");
	ck_assert_uint_eq(t->nincoming, 1);
	ck_assert_str_eq(t->incoming[0].ddi, "442071230201");
	ck_assert_str_eq(t->incoming[0].destination, "201");

	ck_assert_uint_eq(c->nextensions, 2);
	e = config_extension(c, "201");
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->password, "phone-secret-201");
	ck_assert_str_eq(e->base_user, "201");
	ck_assert_str_eq(e->location, "London HQ, floor 2, desk 14");
	ck_assert_int_eq(e->remote_worker, 0);
	ck_assert_int_eq(e->line, 66);
	e = config_extension(c, "299");
	ck_assert_ptr_null(e->base_user);
	ck_assert_ptr_null(e->location);
	ck_assert_int_eq(e->remote_worker, 1);
}

/* User 201 of the example, every setting. */
static void
check_example_alice(const struct config *c)
{
	const struct user	*u = config_user(c, "201");

	ck_assert_ptr_nonnull(u);
	ck_assert_str_eq(u->name, "Alice Smith");
	ck_assert_str_eq(u->login_code, "4321");
	ck_assert_int_eq(u->force_login, 0);
	ck_assert_int_eq(u->profile, PROFILE_POWER_USER);
	ck_assert_str_eq(u->user_rights, "Sales");
	ck_assert_str_eq(u->out_of_hours_user_rights, "Night");
	ck_assert_str_eq(u->working_hours_time_profile, "Office Hours");
	ck_assert_int_eq(u->dnd, 0);
	ck_assert_str_eq(u->forward.number, "202");
	ck_assert_int_eq(u->forward.unconditional, 0);
	ck_assert_int_eq(u->forward.on_busy, 0);
	ck_assert_int_eq(u->forward.on_no_answer, 0);
	ck_assert_int_eq(u->forward.no_answer_time, 15);
	ck_assert_str_eq(u->twinning_number, "447700900123");
	ck_assert_int_eq(u->twinning_enabled, 0);
	ck_assert_uint_eq(u->short_codes.n, 1);
	ck_assert_str_eq(u->short_codes.v[0].code, "*77");
	ck_assert_str_eq(u->short_codes.v[0].number, "0033140000000");
	ck_assert_str_eq(u->short_codes.v[0].trunk, "pstn");
	ck_assert_uint_eq(u->nbuttons, 7);
	ck_assert_int_eq(u->buttons[0].type, BTN_CALL_APPEARANCE);
	ck_assert_int_eq(u->buttons[1].type, BTN_BRIDGED_APPEARANCE);
	ck_assert_str_eq(u->buttons[1].user, "202");
	ck_assert_int_eq(u->buttons[2].type, BTN_COVERAGE_APPEARANCE);
	ck_assert_str_eq(u->buttons[2].user, "203");
	ck_assert_int_eq(u->buttons[3].type, BTN_LINE_APPEARANCE);
	ck_assert_str_eq(u->buttons[3].trunk, "pstn");
	ck_assert_int_eq(u->buttons[4].type, BTN_SPEED_DIAL);
	ck_assert_str_eq(u->buttons[4].number, "203");
	ck_assert_int_eq(u->buttons[5].type, BTN_DND);
	ck_assert_int_eq(u->buttons[6].type, BTN_BREAK_OUT);
	ck_assert_str_eq(u->buttons[6].site, "paris");
	ck_assert_int_eq(u->line, 71);
}

START_TEST(test_design_example_loads_every_field)
{
	struct config	*c = expect_ok(design_example);
	struct user	*u;

	check_example_site(c);
	check_example_network(c);
	check_example_dialling(c);
	check_example_trunks(c);
	check_example_alice(c);
	ck_assert_uint_eq(c->nusers, 3);
	u = config_user(c, "202");
	ck_assert_int_eq(u->force_login, 1);
	ck_assert_int_eq(u->dnd, 1);
	ck_assert_int_eq(u->profile, PROFILE_TELEWORKER);
	u = config_user(c, "203");
	ck_assert_int_eq(u->profile, PROFILE_BASIC);
	ck_assert_ptr_null(u->login_code);
	ck_assert_ptr_null(u->user_rights);
	ck_assert_int_eq(u->forward.no_answer_time, 15);
	ck_assert_ptr_null(config_user(c, "204"));
	config_free(c);
}
END_TEST

/* Find the repository's config/roamd.yaml: beside this source or above. */
static int
find_sample(char *out, size_t len)
{
	const char	*ups[] = { "", "../", "../../", "../../../" };
	const char	*me = __FILE__, *tail;
	size_t		 i;

	tail = strstr(me, "tests/unit/test_config.c");
	if (tail != NULL) {
		snprintf(out, len, "%.*sconfig/roamd.yaml", (int)(tail - me),
		    me);
		if (access(out, R_OK) == 0)
			return (0);
	}
	for (i = 0; i < sizeof(ups) / sizeof(ups[0]); i++) {
		snprintf(out, len, "%sconfig/roamd.yaml", ups[i]);
		if (access(out, R_OK) == 0)
			return (0);
	}
	return (-1);
}

START_TEST(test_shipped_sample_config_loads)
{
	struct config_errors	 errs = { NULL, 0 };
	struct config		*c;
	char			 p[PATH_MAX];

	ck_assert_msg(find_sample(p, sizeof(p)) == 0,
	    "config/roamd.yaml not found from the working directory");
	c = config_load(p, &errs);
	if (c == NULL)
		dump(&errs);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->site_name, "london");
	ck_assert_str_eq(c->domain, "london.roam.test");
	ck_assert_uint_eq(c->nsip, 2);
	ck_assert_uint_eq(c->nusers, 3);
	ck_assert_uint_eq(c->nextensions, 3);
	ck_assert_str_eq(config_extension(c, "202")->password,
	    "phone-secret-202");
	ck_assert_str_eq(config_extension(c, "203")->base_user, "203");
	ck_assert_str_eq(config_trunk(c, "pstn")->incoming[2].destination,
	    "203");
	/* Relative to the file, so the demo can copy it anywhere. */
	ck_assert_ptr_nonnull(strstr(c->database, "/london.db"));
	ck_assert_int_eq(c->database[0], '/');
	config_free(c);
	config_errors_free(&errs);
}
END_TEST

START_TEST(test_defaults_when_keys_are_left_out)
{
	struct config	*c;

	c = expect_ok(SITE
	    "users:\n"
	    "  - { number: \"201\", name: Alice }\n");
	ck_assert_int_eq(c->lockout_attempts, 4);
	ck_assert_int_eq(c->lockout_period, 90);
	ck_assert_int_eq(c->hold_time, 15);
	ck_assert_int_eq(c->orphan_logout, 86400);
	ck_assert_int_eq(c->users[0].forward.no_answer_time, 15);
	ck_assert_int_eq(c->users[0].profile, PROFILE_BASIC);
	ck_assert_ptr_null(c->net_listen.text);
	ck_assert_ptr_null(c->http);
	ck_assert_ptr_null(c->timezone);
	ck_assert_uint_eq(c->short_codes.n, 0);
	config_free(c);
}
END_TEST

START_TEST(test_secret_file_read_relative_to_config)
{
	struct config	*c;
	char		 want[PATH_MAX * 3];

	write_file("net.secret", "s3cret-value\n");
	c = expect_ok(SITE
	    "network:\n"
	    "  listen: \"[::1]:7001\"\n"
	    "  secret_file: net.secret\n"
	    "  orphan_logout: 0\n"
	    "  hold_time: 3s\n");
	ck_assert_str_eq(c->net_secret, "s3cret-value");
	ck_assert_int_eq(c->orphan_logout, 0);
	ck_assert_int_eq(c->hold_time, 3);
	config_free(c);
	snprintf(want, sizeof(want), "10:16: network: secret_file %s: "
	    "No such file or directory", in_dir("missing.secret"));
	expect_error(SITE
	    "network:\n"
	    "  listen: \"127.0.0.1:7001\"\n"
	    "  secret_file: missing.secret\n", want);
}
END_TEST

START_TEST(test_unknown_keys_at_every_level)
{
	expect_error(
	    "site:\n"
	    "  nmae: london\n"
	    "  id: 1\n"
	    "  domain: x\n"
	    "  sip: [\"udp:127.0.0.1:5060\"]\n"
	    "  database: a.db\n"
	    "  control: a.sock\n",
	    "2:3: site: unknown key \"nmae\"");
	expect_error(SITE
	    "extra: 1\n",
	    "8:1: top level: unknown key \"extra\"");
	expect_error(SITE
	    "users:\n"
	    "  - number: \"201\"\n"
	    "    name: Alice\n"
	    "    forward: { numbr: \"202\" }\n",
	    "11:16: user 201 forward: unknown key \"numbr\"");
	expect_error(SITE
	    "users:\n"
	    "  - number: \"201\"\n"
	    "    name: Alice\n"
	    "    buttons:\n"
	    "      - { type: dnd, colour: red }\n",
	    "12:22: user 201: button #1: unknown key \"colour\"");
	expect_error(SITE
	    "site:\n"
	    "  name: paris\n",
	    "8:1: top level: duplicate key \"site\"");
}
END_TEST

START_TEST(test_wrong_types_are_named)
{
	expect_error(
	    "site:\n"
	    "  name: london\n"
	    "  id: 1\n"
	    "  domain: x\n"
	    "  sip: \"udp:127.0.0.1:5060\"\n"
	    "  database: a.db\n"
	    "  control: a.sock\n",
	    "5:8: site: sip: expected a list, not a string");
	expect_error(SITE
	    "users: { number: \"201\" }\n",
	    "8:8: top level: users: expected a list, not a mapping");
	expect_error(SITE
	    "users:\n"
	    "  - [\"201\", Alice]\n",
	    "9:5: user #1: expected a mapping, not a list");
	expect_error(SITE
	    "users:\n"
	    "  - { number: \"201\", name: [Alice] }\n",
	    "9:28: user 201: name: expected a string, not a list");
	expect_error(
	    "site:\n"
	    "  name: london\n"
	    "  id: one\n"
	    "  domain: x\n"
	    "  sip: [\"udp:127.0.0.1:5060\"]\n"
	    "  database: a.db\n"
	    "  control: a.sock\n",
	    "3:7: site: id: \"one\" is not an integer");
	expect_error(SITE
	    "users:\n"
	    "  - { number: \"201\", name: Alice, dnd: maybe }\n",
	    "9:40: user 201: dnd: \"maybe\" is not a boolean "
	    "(true, false, yes or no)");
	expect_error("[1, 2]\n",
	    "1:1: top level: expected a mapping, not a list");
}
END_TEST

START_TEST(test_missing_required_keys)
{
	expect_error(
	    "site:\n"
	    "  name: london\n"
	    "  id: 1\n"
	    "  sip: [\"udp:127.0.0.1:5060\"]\n"
	    "  database: a.db\n"
	    "  control: a.sock\n",
	    "2:3: site: missing required key \"domain\"");
	expect_error("users: []\n",
	    "1:1: top level: missing required key \"site\"");
	expect_error(SITE
	    "users:\n"
	    "  - { number: \"201\" }\n",
	    "9:5: user 201: missing required key \"name\"");
	expect_error(SITE
	    "users:\n"
	    "  - { name: Alice }\n",
	    "9:5: user #1: missing required key \"number\"");
	expect_error(SITE
	    "extensions:\n"
	    "  - { number: \"201\" }\n",
	    "9:5: extension 201: missing required key \"password\"");
	expect_error(SITE
	    "trunks:\n"
	    "  - { name: pstn }\n",
	    "9:5: trunk pstn: missing required key \"address\"");
	expect_error(SITE
	    "short_codes:\n"
	    "  - { code: \"*36\" }\n",
	    "9:5: short code \"*36\": missing required key \"feature\"");
	expect_error(SITE
	    "short_codes:\n"
	    "  - { feature: dnd_on }\n",
	    "9:5: short code #1: missing required key \"code\"");
	expect_error(SITE
	    "users:\n"
	    "  - { number: \"201\", name: }\n",
	    "9:22: user 201: name: no value");
}
END_TEST

/* A site block with name and id replaced. */
static void
expect_site_error(const char *name, const char *id, const char *want)
{
	char	 yaml[1024];

	snprintf(yaml, sizeof(yaml),
	    "site:\n"
	    "  name: %s\n"
	    "  id: %s\n"
	    "  domain: x\n"
	    "  sip: [\"udp:127.0.0.1:5060\"]\n"
	    "  database: a.db\n"
	    "  control: a.sock\n", name, id);
	expect_error(yaml, want);
}

START_TEST(test_bad_site_name_and_id)
{
	expect_site_error("London", "1",
	    "2:9: site: name \"London\" must be 1-31 characters of a-z, 0-9 "
	    "and -");
	expect_site_error("lon_don", "1",
	    "2:9: site: name \"lon_don\" must be 1-31 characters of a-z, "
	    "0-9 and -");
	expect_site_error("abcdefghijklmnopqrstuvwxyz123456", "1",
	    "2:9: site: name \"abcdefghijklmnopqrstuvwxyz123456\" must be "
	    "1-31 characters of a-z, 0-9 and -");
	expect_site_error("london", "0", "3:7: site: id 0 is outside 1-99");
	expect_site_error("london", "100", "3:7: site: id 100 is outside 1-99");
	expect_site_error("london", "-5", "3:7: site: id: -5 is negative");
}
END_TEST

/* A site whose sip: list is the one address. */
static void
expect_sip_error(const char *addr, const char *want)
{
	char	 yaml[1024];

	snprintf(yaml, sizeof(yaml),
	    "site:\n"
	    "  name: london\n"
	    "  id: 1\n"
	    "  domain: x\n"
	    "  sip: [\"%s\"]\n"
	    "  database: a.db\n"
	    "  control: a.sock\n", addr);
	expect_error(yaml, want);
}

START_TEST(test_bad_addresses)
{
	struct config	*c;

	expect_sip_error("udp:localhost:5060", "5:9: site: sip: bad address "
	    "\"udp:localhost:5060\": not a numeric IPv4 or IPv6 address");
	expect_sip_error("udp:127.0.0.1:0", "5:9: site: sip: bad address "
	    "\"udp:127.0.0.1:0\": port must be 1-65535");
	expect_sip_error("tcp:127.0.0.1:65536", "5:9: site: sip: bad address "
	    "\"tcp:127.0.0.1:65536\": port must be 1-65535");
	expect_sip_error("sip:127.0.0.1:5060", "5:9: site: sip: bad address "
	    "\"sip:127.0.0.1:5060\": unknown transport (use udp:, tcp: or "
	    "tls:)");
	expect_sip_error("udp:::1:5060", "5:9: site: sip: bad address "
	    "\"udp:::1:5060\": IPv6 address must be in brackets, "
	    "e.g. [::1]:5060");
	expect_sip_error("udp:127.0.0.1", "5:9: site: sip: bad address "
	    "\"udp:127.0.0.1\": missing port (ADDR:PORT)");
	expect_sip_error("tls:127.0.0.1:5061", "5:9: site: sip: a tls: "
	    "listener needs site.sip_tls with cert and key");
	expect_error(SITE
	    "network:\n"
	    "  listen: \"tcp:127.0.0.1:7001\"\n"
	    "  secret: x\n",
	    "9:11: network: listen: bad address \"tcp:127.0.0.1:7001\": "
	    "no transport prefix here: write ADDR:PORT");
	expect_error(SITE
	    "network:\n"
	    "  listen: \"127.0.0.1:7001\"\n"
	    "  secret: x\n"
	    "  peers:\n"
	    "    - { name: paris, address: \"127.0.0.1:99999\", "
	    "sip: \"udp:127.0.0.1:5062\" }\n",
	    "12:31: network peer paris: address: bad address "
	    "\"127.0.0.1:99999\": port must be 1-65535");
	expect_error(SITE
	    "trunks:\n"
	    "  - { name: pstn, address: \"udp:carrier:5060\" }\n",
	    "9:28: trunk pstn: address: bad address \"udp:carrier:5060\": "
	    "not a numeric IPv4 or IPv6 address");
	c = expect_ok(
	    "site:\n"
	    "  name: london\n"
	    "  id: 99\n"
	    "  domain: x\n"
	    "  sip: [\"[::1]:5060\", \"udp:[2001:db8::1]:65535\"]\n"
	    "  database: /var/lib/roamd/a.db\n"
	    "  control: a.sock\n");
	ck_assert_int_eq(c->sip[0].transport, SIPT_UDP);
	ck_assert_int_eq(c->sip[1].ss.ss_family, AF_INET6);
	ck_assert_str_eq(c->database, "/var/lib/roamd/a.db");
	config_free(c);
}
END_TEST

START_TEST(test_bad_durations)
{
	expect_error(SITE
	    "hotdesk:\n"
	    "  lockout_period: 5x\n",
	    "9:19: hotdesk: lockout_period: bad duration \"5x\" (write 30s, "
	    "15m, 24h or plain seconds)");
	expect_error(SITE
	    "users:\n"
	    "  - number: \"201\"\n"
	    "    name: Alice\n"
	    "    forward: { no_answer_time: 1.5s }\n",
	    "11:32: user 201 forward: no_answer_time: bad duration \"1.5s\" "
	    "(write 30s, 15m, 24h or plain seconds)");
}
END_TEST

START_TEST(test_duplicate_numbers)
{
	expect_error(SITE
	    "users:\n"
	    "  - { number: \"201\", name: Alice }\n"
	    "  - { number: \"201\", name: Bob }\n",
	    "10:15: duplicate user number \"201\" (first at line 9)");
	expect_error(SITE
	    "users:\n"
	    "  - { number: \"2o1\", name: Alice }\n",
	    "9:15: user 2o1: number \"2o1\" must be 1-31 digits");
	expect_error(SITE
	    "extensions:\n"
	    "  - { number: \"201\", password: a }\n"
	    "  - { number: \"202\", password: b }\n"
	    "  - { number: \"201\", password: c }\n",
	    "11:15: duplicate extension number \"201\" (first at line 9)");
	/* The first's line is its number's, not its item's. */
	expect_error(SITE
	    "users:\n"
	    "  - name: Alice\n"
	    "    number: \"201\"\n"
	    "  - { number: \"201\", name: Bob }\n",
	    "11:15: duplicate user number \"201\" (first at line 10)");
}
END_TEST

START_TEST(test_duplicate_names)
{
	expect_error(SITE
	    "trunks:\n"
	    "  - { name: pstn, address: \"udp:127.0.0.1:5090\" }\n"
	    "  - { name: pstn, address: \"udp:127.0.0.1:5091\" }\n",
	    "10:13: duplicate trunk \"pstn\" (first at line 9)");
	expect_error(SITE
	    "user_rights:\n"
	    "  - name: Sales\n"
	    "  - name: Sales\n",
	    "10:11: duplicate user rights \"Sales\" (first at line 9)");
	expect_error(SITE
	    "time_profiles:\n"
	    "  - name: Office\n"
	    "  - name: Office\n",
	    "10:11: duplicate time profile \"Office\" (first at line 9)");
	expect_error(SITE
	    "network:\n"
	    "  listen: \"127.0.0.1:7001\"\n"
	    "  secret: x\n"
	    "  peers:\n"
	    "    - { name: paris, address: \"127.0.0.1:7002\", "
	    "sip: \"udp:127.0.0.1:5062\" }\n"
	    "    - { name: paris, address: \"127.0.0.1:7003\", "
	    "sip: \"udp:127.0.0.1:5063\" }\n",
	    "13:15: duplicate peer \"paris\" (first at line 12)");
	expect_error(SITE
	    "network:\n"
	    "  listen: \"127.0.0.1:7001\"\n"
	    "  secret: x\n"
	    "  peers:\n"
	    "    - { name: london, address: \"127.0.0.1:7002\", "
	    "sip: \"udp:127.0.0.1:5062\" }\n",
	    "12:15: network peer london: name: a peer cannot have this "
	    "site's own name \"london\"");
}
END_TEST

/* A system short-code list holding the one rule. */
static void
expect_sc_error(const char *rule, const char *want)
{
	char	 yaml[2048];

	snprintf(yaml, sizeof(yaml), SITE
	    "trunks:\n"
	    "  - { name: pstn, address: \"udp:127.0.0.1:5090\" }\n"
	    "short_codes:\n"
	    "  - %s\n", rule);
	expect_error(yaml, want);
}

START_TEST(test_short_code_feature_and_pattern)
{
	expect_sc_error("{ code: \"*36\", feature: logout }",
	    "11:29: short code \"*36\": unknown feature \"logout\"");
	expect_sc_error("{ code: \"9n\", feature: dial, number: N }",
	    "11:13: short code \"9n\": bad pattern: 'n' is not allowed "
	    "(use 0-9 * # N X, or ? alone)");
	expect_sc_error("{ code: \"9?\", feature: dial, number: N }",
	    "11:13: short code \"9?\": bad pattern: '?' is not allowed "
	    "(use 0-9 * # N X, or ? alone)");
	expect_sc_error("{ code: \"\", feature: busy }",
	    "11:13: short code \"\": code is empty");
	expect_error(SITE
	    "short_codes:\n"
	    "  - { code: \"*36\", feature: extn_logout }\n"
	    "  - { code: \"*36\", feature: busy }\n",
	    "10:13: short code \"*36\": duplicate code in this list (first "
	    "at line 9)");
	expect_sc_error("{ code: \"9N\", feature: dial, number: \"9x\" }",
	    "11:42: short code \"9N\": number \"9x\": use digits, * # + and "
	    "N . E");
}
END_TEST

START_TEST(test_short_code_number_needed)
{
	const char	*features[] = {
		"dial", "dial_extn", "dial_emergency", "forward_number",
		"break_out"
	};
	char		 rule[128], want[256];
	size_t		 i;
	struct config	*c;

	for (i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
		snprintf(rule, sizeof(rule), "{ code: \"*5N\", feature: %s }",
		    features[i]);
		snprintf(want, sizeof(want), "11:5: short code \"*5N\": "
		    "feature %s needs a number", features[i]);
		expect_sc_error(rule, want);
	}
	/* break_out with a site sends the digits N matched there. */
	c = expect_ok(SITE
	    "short_codes:\n"
	    "  - { code: \"*81N\", feature: break_out, site: paris }\n"
	    "  - { code: \"?\", feature: barred }\n");
	ck_assert_str_eq(c->short_codes.v[0].site, "paris");
	ck_assert_ptr_null(c->short_codes.v[0].number);
	ck_assert_str_eq(c->short_codes.v[1].code, "?");
	config_free(c);
}
END_TEST

START_TEST(test_missing_trunk_references)
{
	expect_sc_error("{ code: \"9N\", feature: dial, number: N, "
	    "trunk: pstm }",
	    "11:52: short code \"9N\": trunk: no trunk named \"pstm\"");
	expect_error(SITE
	    "users:\n"
	    "  - number: \"201\"\n"
	    "    name: Alice\n"
	    "    buttons:\n"
	    "      - { type: line_appearance, trunk: pstn }\n",
	    "12:41: user 201: button #1: trunk: no trunk named \"pstn\"");
}
END_TEST

START_TEST(test_missing_user_references)
{
	expect_error(SITE
	    "extensions:\n"
	    "  - { number: \"201\", password: a, base_user: \"209\" }\n",
	    "9:46: extension 201: base_user: no user \"209\" on this site");
	expect_error(SITE
	    "trunks:\n"
	    "  - name: pstn\n"
	    "    address: \"udp:127.0.0.1:5090\"\n"
	    "    incoming:\n"
	    "      - { ddi: \"442071230201\", destination: \"209\" }\n",
	    "12:45: trunk pstn: DDI 442071230201: destination: no user "
	    "\"209\" on this site");
	expect_error(SITE
	    "users:\n"
	    "  - number: \"201\"\n"
	    "    name: Alice\n"
	    "    buttons:\n"
	    "      - { type: bridged_appearance, user: \"209\" }\n",
	    "12:43: user 201: button #1: user: no user \"209\" on this site");
}
END_TEST

START_TEST(test_missing_rights_and_time_profile)
{
	const char	*yaml = SITE
	    "user_rights:\n"
	    "  - name: Sales\n"
	    "users:\n"
	    "  - number: \"201\"\n"
	    "    name: Alice\n"
	    "    user_rights: Sals\n"
	    "    out_of_hours_user_rights: Night\n"
	    "    working_hours_time_profile: Office Hours\n";

	expect_error(yaml,
	    "13:18: user 201: user_rights: no user rights named \"Sals\"");
	expect_error(yaml, "14:31: user 201: out_of_hours_user_rights: no "
	    "user rights named \"Night\"");
	expect_error(yaml, "15:33: user 201: working_hours_time_profile: no "
	    "time profile named \"Office Hours\"");
}
END_TEST

/* A user with one extra key. */
static void
expect_user_error(const char *extra, const char *want)
{
	char	 yaml[2048];

	snprintf(yaml, sizeof(yaml), SITE
	    "users:\n"
	    "  - number: \"201\"\n"
	    "    name: Alice\n"
	    "    %s\n", extra);
	expect_error(yaml, want);
}

START_TEST(test_login_code_profile_and_button_type)
{
	expect_user_error("login_code: \"123\"",
	    "11:17: user 201: login_code must be 4-31 digits");
	expect_user_error("login_code: \"12a4\"",
	    "11:17: user 201: login_code must be 4-31 digits");
	expect_user_error("login_code: \"12345678901234567890123456789012\"",
	    "11:17: user 201: login_code must be 4-31 digits");
	expect_user_error("profile: manager",
	    "11:14: user 201: unknown profile \"manager\" (use basic, "
	    "office_worker, teleworker, mobile_worker or power_user)");
	expect_user_error("buttons: [{ type: hold }]",
	    "11:23: user 201: button #1: unknown button type \"hold\"");
	expect_user_error("buttons: [{ type: speed_dial }]",
	    "11:15: user 201: button #1: speed_dial needs a number");
}
END_TEST

/* A time profile with one weekly or dates entry. */
static void
expect_tp_error(const char *list, const char *entry, const char *want)
{
	char	 yaml[2048];

	snprintf(yaml, sizeof(yaml), SITE
	    "time_profiles:\n"
	    "  - name: Office\n"
	    "    %s:\n"
	    "      - %s\n", list, entry);
	expect_error(yaml, want);
}

START_TEST(test_time_profile_days_and_times)
{
	struct config	*c;

	expect_tp_error("weekly", "{ days: [mon, tues], start: \"08:00\", "
	    "end: \"18:00\" }",
	    "11:23: time profile Office: weekly #1: days: unknown day "
	    "\"tues\" (use mon, tue, wed, thu, fri, sat, sun)");
	expect_tp_error("weekly", "{ days: [mon], start: \"8am\" }",
	    "11:31: time profile Office: weekly #1: start: \"8am\" is not a "
	    "time (HH:MM)");
	expect_tp_error("weekly", "{ days: [mon], start: \"18:00\", "
	    "end: \"08:00\" }",
	    "11:45: time profile Office: weekly #1: end 08:00 is not after "
	    "start 18:00 (an entry cannot cross midnight)");
	expect_tp_error("weekly", "{ days: [mon], start: \"09:60\" }",
	    "11:31: time profile Office: weekly #1: start: \"09:60\" is not "
	    "a time (HH:MM)");
	expect_tp_error("weekly", "{ days: [mon], start: \"24:00\" }",
	    "11:31: time profile Office: weekly #1: start: 24:00 is only "
	    "allowed as an end");
	c = expect_ok(SITE
	    "time_profiles:\n"
	    "  - name: Late\n"
	    "    weekly:\n"
	    "      - { days: [sat, sun], start: \"20:00\", end: \"24:00\" }\n"
	    "      - { days: [wed] }\n");
	ck_assert_uint_eq(c->time_profiles[0].weekly[0].days,
	    DAY_SAT | DAY_SUN);
	ck_assert_int_eq(c->time_profiles[0].weekly[0].end, 1440);
	ck_assert_int_eq(c->time_profiles[0].weekly[1].start, 0);
	ck_assert_int_eq(c->time_profiles[0].weekly[1].end, 1440);
	config_free(c);
}
END_TEST

START_TEST(test_time_profile_dates)
{
	struct config		*c;
	const struct tp_date	*d;

	expect_tp_error("dates", "{ date: \"2026-02-30\" }",
	    "11:17: time profile Office: dates #1: date: \"2026-02-30\" is "
	    "not a date (YYYY-MM-DD)");
	expect_tp_error("dates", "{ date: \"24/12/2026\" }",
	    "11:17: time profile Office: dates #1: date: \"24/12/2026\" is "
	    "not a date (YYYY-MM-DD)");
	expect_tp_error("dates", "{ date: \"2026-12-24\", "
	    "end_date: \"2026-12-20\" }",
	    "11:41: time profile Office: dates #1: end_date is before date");
	expect_tp_error("dates", "{ date: \"2026-12-24\", start: \"12:00\", "
	    "end: \"12:00\" }",
	    "11:52: time profile Office: dates #1: end 12:00 is not after "
	    "start 12:00 (an entry cannot cross midnight)");
	c = expect_ok(SITE
	    "time_profiles:\n"
	    "  - name: Holidays\n"
	    "    dates:\n"
	    "      - { date: \"2028-02-29\", end_date: \"2028-03-02\" }\n");
	d = &c->time_profiles[0].dates[0];
	ck_assert_int_eq(d->year, 2028);
	ck_assert_int_eq(d->month, 2);
	ck_assert_int_eq(d->day, 29);
	ck_assert_int_eq(d->end_month, 3);
	ck_assert_int_eq(d->end_day, 2);
	ck_assert_int_eq(d->start, 0);
	ck_assert_int_eq(d->end, 1440);
	config_free(c);
}
END_TEST

START_TEST(test_timezone_must_exist)
{
	expect_error(SITE
	    "  timezone: Europe/Lodnon\n",
	    "8:13: site: timezone \"Europe/Lodnon\" does not exist under "
	    "/usr/share/zoneinfo");
	expect_error(SITE
	    "  timezone: ../../etc/passwd\n",
	    "8:13: site: timezone \"../../etc/passwd\" does not exist under "
	    "/usr/share/zoneinfo");
}
END_TEST

START_TEST(test_licences_counted_per_profile)
{
	struct config	*c;

	expect_error(SITE
	    "licences: { teleworker: 2, power_user: 1 }\n"
	    "users:\n"
	    "  - { number: \"201\", name: A, profile: teleworker }\n"
	    "  - { number: \"202\", name: B, profile: power_user }\n"
	    "  - { number: \"203\", name: C, profile: teleworker }\n"
	    "  - { number: \"204\", name: D, profile: teleworker }\n"
	    "  - { number: \"205\", name: E, profile: basic }\n",
	    "13:40: profile teleworker: 3 users but 2 licences held");
	/* No licences: key at all means none held. */
	expect_error(SITE
	    "users:\n"
	    "  - { number: \"201\", name: A, profile: office_worker }\n",
	    "9:40: profile office_worker: 1 user but 0 licences held");
	c = expect_ok(SITE
	    "licences: { mobile_worker: 1 }\n"
	    "users:\n"
	    "  - { number: \"201\", name: A, profile: mobile_worker }\n"
	    "  - { number: \"202\", name: B, profile: basic }\n"
	    "  - { number: \"203\", name: C }\n");
	ck_assert_int_eq(c->users[0].profile, PROFILE_MOBILE_WORKER);
	config_free(c);
}
END_TEST

START_TEST(test_network_secret_hold_time_lockout)
{
	expect_error(SITE
	    "network:\n"
	    "  listen: \"127.0.0.1:7001\"\n",
	    "9:3: network: secret or secret_file is required");
	write_file("net.secret", "abc\n");
	expect_error(SITE
	    "network:\n"
	    "  listen: \"127.0.0.1:7001\"\n"
	    "  secret: abc\n"
	    "  secret_file: net.secret\n",
	    "11:16: network: secret and secret_file are both set; keep one");
	expect_error(SITE
	    "network:\n"
	    "  listen: \"127.0.0.1:7001\"\n"
	    "  secret: abc\n"
	    "  hold_time: 2s\n",
	    "11:14: network: hold_time must be at least 3s");
	expect_error(SITE
	    "network:\n"
	    "  secret: abc\n",
	    "9:3: network: missing required key \"listen\"");
	expect_error(SITE
	    "hotdesk:\n"
	    "  lockout_attempts: 0\n",
	    "9:21: hotdesk: lockout_attempts must be at least 1");
}
END_TEST

START_TEST(test_security_defaults_and_limits)
{
	struct config_errors	 errs = { NULL, 0 };
	struct config		*c;
	struct security_cfg	*sec;

	/* Absent: generous limits, the host exempt, the usual scanners. */
	c = load(SITE, &errs);
	ck_assert_ptr_nonnull(c);
	sec = &c->security;
	ck_assert_int_eq(sec->sip_rate, 200);
	ck_assert_int_eq(sec->sip_burst, 400);
	ck_assert_int_eq(sec->auth_failures, 20);
	ck_assert_int_eq(sec->ban_time, 600);
	ck_assert_uint_ge(sec->nscanner_user_agents, 4);
	ck_assert_str_eq(sec->scanner_user_agents[0], "friendly-scanner");
	ck_assert_uint_eq(sec->nexempt, 2);
	ck_assert_int_eq(sec->exempt[0].family, AF_INET);
	ck_assert_int_eq(sec->exempt[0].prefix, 8);
	config_free(c);

	/* Set: the lists replace the defaults. */
	c = load(SITE
	    "security: { sip_rate: 5, sip_burst: 10, auth_failures: 3, "
	    "ban_time: 2m, scanner_user_agents: [\"evil-dialer\"], "
	    "exempt: [\"10.1.0.0/16\"] }\n", &errs);
	if (c == NULL)
		dump(&errs);
	ck_assert_ptr_nonnull(c);
	sec = &c->security;
	ck_assert_int_eq(sec->sip_rate, 5);
	ck_assert_int_eq(sec->sip_burst, 10);
	ck_assert_int_eq(sec->auth_failures, 3);
	ck_assert_int_eq(sec->ban_time, 120);
	ck_assert_uint_eq(sec->nscanner_user_agents, 1);
	ck_assert_str_eq(sec->scanner_user_agents[0], "evil-dialer");
	ck_assert_uint_eq(sec->nexempt, 1);
	ck_assert_int_eq(sec->exempt[0].prefix, 16);
	ck_assert_int_eq(sec->exempt[0].addr[1], 1);
	config_free(c);
	c = load(SITE "security: { exempt: [] }\n", &errs);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->security.nexempt, 0);
	config_free(c);
	config_errors_free(&errs);

	expect_error(SITE
	    "security:\n"
	    "  exempt: [\"10.0.0.0/33\"]\n",
	    "9:12: security: exempt: \"10.0.0.0/33\" is not an address or "
	    "ADDR/BITS network");
	expect_error(SITE
	    "security:\n"
	    "  ban_time: 0\n",
	    "9:13: security: ban_time must be at least 1s");
	expect_error(SITE
	    "security:\n"
	    "  sip_burst: 0\n",
	    "9:14: security: sip_burst must be at least 1");
	expect_error(SITE
	    "security:\n"
	    "  scanner_user_agents: [\"\"]\n",
	    "9:25: security: scanner_user_agents: an empty text would match "
	    "every phone");
	expect_error(SITE
	    "security:\n"
	    "  ban: 10m\n",
	    "9:3: security: unknown key \"ban\"");
}
END_TEST

START_TEST(test_toll_fraud_limits)
{
	struct config_errors	 errs = { NULL, 0 };
	struct config		*c;
	struct user		*u;

	/* Absent: no limit anywhere. */
	c = load(SITE "users:\n  - { number: \"201\", name: Alice }\n", &errs);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->max_external_calls, 0);
	u = config_user(c, "201");
	ck_assert_int_eq(u->max_external_calls, 0);
	ck_assert_uint_eq(u->nallowed_prefixes, 0);
	config_free(c);

	c = load(SITE
	    "security: { max_external_calls: 4 }\n"
	    "users:\n"
	    "  - { number: \"201\", name: Alice, max_external_calls: 1,\n"
	    "      allowed_prefixes: [\"44\", \"33\"] }\n", &errs);
	if (c == NULL)
		dump(&errs);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->max_external_calls, 4);
	u = config_user(c, "201");
	ck_assert_int_eq(u->max_external_calls, 1);
	ck_assert_uint_eq(u->nallowed_prefixes, 2);
	ck_assert_str_eq(u->allowed_prefixes[0], "44");
	ck_assert_str_eq(u->allowed_prefixes[1], "33");
	config_free(c);
	config_errors_free(&errs);

	expect_error(SITE
	    "users:\n"
	    "  - { number: \"201\", name: Alice, allowed_prefixes: [\"+44\"] }\n",
	    "9:54: user 201: allowed_prefixes: \"+44\" is not a prefix of "
	    "digits");
	expect_error(SITE
	    "security:\n"
	    "  max_external_calls: -1\n",
	    "9:23: security: max_external_calls: -1 is negative");
}
END_TEST

START_TEST(test_yaml_syntax_error_at_problem_mark)
{
	expect_error(SITE
	    "users:\n"
	    "  - { number: \"201\", name: Alice\n"
	    "extensions: []\n",
	    "10:11: syntax error: did not find expected ',' or '}' while "
	    "parsing a flow mapping");
	expect_error(SITE
	    "users: a: b\n",
	    "8:9: syntax error: mapping values are not allowed in this "
	    "context");
}
END_TEST

START_TEST(test_yaml_anchors_and_aliases)
{
	struct config	*c;

	c = expect_ok(SITE
	    "users:\n"
	    "  - { number: \"201\", name: &n Alice }\n"
	    "  - { number: \"202\", name: *n }\n");
	ck_assert_str_eq(c->users[1].name, "Alice");
	config_free(c);
	expect_error(SITE
	    "users:\n"
	    "  - { number: \"201\", name: *n }\n",
	    "9:28: syntax error: found undefined alias");
	expect_error(SITE
	    "users:\n"
	    "  - { number: \"201\", name: &n Alice }\n"
	    "  - { number: \"202\", name: &n Bob }\n",
	    "10:28: syntax error: second occurrence found duplicate anchor;"
	    " first occurrence");
}
END_TEST

START_TEST(test_every_error_of_a_file_is_reported)
{
	struct config_errors	 errs = { NULL, 0 };
	struct config		*c;

	c = load(
	    "site:\n"
	    "  name: London\n"
	    "  id: 0\n"
	    "  domain: x\n"
	    "  sip: [\"udp:127.0.0.1:5060\"]\n"
	    "  database: a.db\n"
	    "  control: a.sock\n"
	    "users:\n"
	    "  - { number: \"201\", name: A, login_code: \"1\" }\n"
	    "  - { number: \"201\", name: B, dnd: perhaps }\n"
	    "extensions:\n"
	    "  - { number: \"301\", password: p, base_user: \"999\" }\n",
	    &errs);
	ck_assert_ptr_null(c);
	if (errs.n != 6)
		dump(&errs);
	ck_assert_uint_eq(errs.n, 6);
	/* In file order, whatever order they were found in. */
	ck_assert(has_error(&errs, "2:9: site: name \"London\" must be 1-31 "
	    "characters of a-z, 0-9 and -"));
	ck_assert(strstr(errs.v[0], ":2:9: ") != NULL);
	ck_assert(strstr(errs.v[1], ":3:7: site: id 0") != NULL);
	ck_assert(strstr(errs.v[2], ":9:43: user 201: login_code") != NULL);
	ck_assert(strstr(errs.v[3], ":10:15: duplicate user number") != NULL);
	ck_assert(strstr(errs.v[4], ":10:36: user 201: dnd") != NULL);
	ck_assert(strstr(errs.v[5], ":12:46: extension 301: base_user") !=
	    NULL);
	config_errors_free(&errs);
	ck_assert_uint_eq(errs.n, 0);
}
END_TEST

START_TEST(test_unreadable_and_empty_files)
{
	struct config_errors	 errs = { NULL, 0 };
	char			 p[PATH_MAX * 2];

	snprintf(p, sizeof(p), "%s/nope.yaml", tmpdir);
	ck_assert_ptr_null(config_load(p, &errs));
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_ptr_nonnull(strstr(errs.v[0], "nope.yaml: cannot open: "));
	config_errors_free(&errs);
	expect_error("", "1:1: the file is empty");
	expect_error("# only a comment\n", "1:1: the file is empty");
	expect_error(SITE "---\nsite: {}\n",
	    "9:1: only one YAML document is allowed");
}
END_TEST

START_TEST(test_parse_addr_and_duration)
{
	struct cfg_addr		 a;
	const char		*cause = NULL;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&a.ss;

	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(config_parse_addr("tcp:10.0.0.1:5070", &a, &cause),
	    0);
	ck_assert_int_eq(a.transport, SIPT_TCP);
	ck_assert_int_eq(sin->sin_family, AF_INET);
	ck_assert_int_eq(ntohs(sin->sin_port), 5070);
	ck_assert_uint_eq(a.sslen, sizeof(struct sockaddr_in));
	ck_assert_str_eq(a.text, "tcp:10.0.0.1:5070");
	free(a.text);
	ck_assert_int_eq(config_parse_addr("10.0.0.1:5060", &a, &cause), 0);
	ck_assert_int_eq(a.transport, SIPT_UDP);
	free(a.text);
	ck_assert_int_eq(config_parse_addr("udp:[::1]", &a, &cause), -1);
	ck_assert_str_eq(cause, "missing port (ADDR:PORT)");
	ck_assert_int_eq(config_parse_addr("udp:1.2.3:5060", &a, &cause), -1);
	ck_assert_int_eq(config_parse_hostport("[::1]:7001", &a, &cause), 0);
	ck_assert_uint_eq(a.sslen, sizeof(struct sockaddr_in6));
	free(a.text);

	ck_assert_int_eq(config_parse_duration("30s"), 30);
	ck_assert_int_eq(config_parse_duration("15m"), 900);
	ck_assert_int_eq(config_parse_duration("24h"), 86400);
	ck_assert_int_eq(config_parse_duration("90"), 90);
	ck_assert_int_eq(config_parse_duration("0"), 0);
	ck_assert_int_eq(config_parse_duration(""), -1);
	ck_assert_int_eq(config_parse_duration("s"), -1);
	ck_assert_int_eq(config_parse_duration("10d"), -1);
	ck_assert_int_eq(config_parse_duration("10ss"), -1);
	ck_assert_int_eq(config_parse_duration("-5"), -1);
	ck_assert_int_eq(config_parse_duration("99999999999"), -1);
	ck_assert_int_eq(config_parse_duration("999999h"), -1);
}
END_TEST

START_TEST(test_enum_names_round_trip)
{
	int	 i;

	for (i = 0; i < SC_FEATURE_MAX; i++)
		ck_assert_int_eq(config_feature_lookup(
		    config_feature_name(i)), i);
	for (i = 0; i < PROFILE_MAX; i++)
		ck_assert_int_eq(config_profile_lookup(
		    config_profile_name(i)), i);
	for (i = 0; i < BTN_MAX; i++)
		ck_assert_int_eq(config_button_lookup(
		    config_button_name(i)), i);
	ck_assert_str_eq(config_feature_name(SC_FWD_NOANSWER_OFF),
	    "forward_no_answer_off");
	ck_assert_str_eq(config_transport_name(SIPT_TLS), "tls");
	ck_assert_int_eq(config_feature_lookup("nope"), -1);
}
END_TEST

/* site.allow_insecure_permissions: off unless the admin opts out (issue 5). */
START_TEST(test_allow_insecure_permissions)
{
	struct config	*c;

	c = expect_ok(SITE);
	ck_assert_int_eq(c->allow_insecure_permissions, 0);
	config_free(c);
	c = expect_ok(SITE
	    "  allow_insecure_permissions: true\n");
	ck_assert_int_eq(c->allow_insecure_permissions, 1);
	config_free(c);
	c = expect_ok(SITE
	    "  allow_insecure_permissions: no\n");
	ck_assert_int_eq(c->allow_insecure_permissions, 0);
	config_free(c);
	expect_error(SITE
	    "  allow_insecure_permissions: sometimes\n",
	    "8:31: site: allow_insecure_permissions: \"sometimes\" is not "
	    "a boolean (true, false, yes or no)");
}
END_TEST

/* The config suite. */
static Suite *
config_suite(void)
{
	Suite	*s = suite_create("config");
	TCase	*tc = tcase_create("load");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_design_example_loads_every_field);
	tcase_add_test(tc, test_shipped_sample_config_loads);
	tcase_add_test(tc, test_defaults_when_keys_are_left_out);
	tcase_add_test(tc, test_secret_file_read_relative_to_config);
	tcase_add_test(tc, test_unknown_keys_at_every_level);
	tcase_add_test(tc, test_wrong_types_are_named);
	tcase_add_test(tc, test_missing_required_keys);
	tcase_add_test(tc, test_bad_site_name_and_id);
	tcase_add_test(tc, test_bad_addresses);
	tcase_add_test(tc, test_bad_durations);
	tcase_add_test(tc, test_duplicate_numbers);
	tcase_add_test(tc, test_duplicate_names);
	tcase_add_test(tc, test_short_code_feature_and_pattern);
	tcase_add_test(tc, test_short_code_number_needed);
	tcase_add_test(tc, test_missing_trunk_references);
	tcase_add_test(tc, test_missing_user_references);
	tcase_add_test(tc, test_missing_rights_and_time_profile);
	tcase_add_test(tc, test_login_code_profile_and_button_type);
	tcase_add_test(tc, test_time_profile_days_and_times);
	tcase_add_test(tc, test_time_profile_dates);
	tcase_add_test(tc, test_timezone_must_exist);
	tcase_add_test(tc, test_licences_counted_per_profile);
	tcase_add_test(tc, test_network_secret_hold_time_lockout);
	tcase_add_test(tc, test_security_defaults_and_limits);
	tcase_add_test(tc, test_toll_fraud_limits);
	tcase_add_test(tc, test_yaml_syntax_error_at_problem_mark);
	tcase_add_test(tc, test_yaml_anchors_and_aliases);
	tcase_add_test(tc, test_every_error_of_a_file_is_reported);
	tcase_add_test(tc, test_unreadable_and_empty_files);
	tcase_add_test(tc, test_parse_addr_and_duration);
	tcase_add_test(tc, test_enum_names_round_trip);
	tcase_add_test(tc, test_allow_insecure_permissions);
	suite_add_tcase(s, tc);
	return (s);
}

/* Run the suite; nonzero when a test failed. */
int
main(void)
{
	SRunner	*sr = srunner_create(config_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? 0 : 1);
}
