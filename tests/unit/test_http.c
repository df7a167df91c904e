/*
 * The status page and JSON API: a real evhttp server on an ephemeral
 * loopback port, asked by libevent's own HTTP client in the same loop.
 */
#include <sys/stat.h>

#include <check.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "db.h"
#include "hotdesk.h"
#include "http.h"
#include "log.h"
#include "registrar.h"
#include "roamd.h"
#include "settings.h"

static struct roamd	 test_state;
struct roamd		*env = &test_state;

/* main.c's reload: the tests never reload. */
int
roamd_reload(char **errs)
{
	*errs = NULL;
	return (0);
}

static struct user		test_users[] = {
	{ .number = "201", .name = "Alice <b>Smith</b>",
	  .profile = PROFILE_POWER_USER, .forward = { .no_answer_time = 15 } },
	{ .number = "202", .name = "Bob Jones", .profile = PROFILE_BASIC,
	  .forward = { .no_answer_time = 15 } },
	{ .number = "203", .name = "Carol", .profile = PROFILE_BASIC,
	  .forward = { .no_answer_time = 15 } },
};
static struct extension		test_exts[] = {
	{ .number = "201", .password = "x", .base_user = "201" },
	{ .number = "202", .password = "x", .base_user = "202" },
	{ .number = "203", .password = "x", .base_user = "203" },
};
static struct config		test_conf = {
	.path = "test.yaml", .site_name = "london", .site_id = 1,
	.domain = "london.roam.test", .database = ":memory:",
	.control = "/tmp/unused.sock",
	.lockout_attempts = 4, .lockout_period = 90,
	.extensions = test_exts, .nextensions = 3,
	.users = test_users, .nusers = 3,
};

#define TEST_TOKEN	"s3cret-Token_0123456789"

static char	test_dir[64];
static char	test_tokenfile[96];

/* One answer as the client saw it. */
struct test_answer {
	int	 code;
	char	*body;
	char	*type;
	char	*csp;
	char	*allow;
	int	 done;
};

/* Write a token file with this content and mode. */
static void
token_write(const char *content, mode_t mode)
{
	int	 fd;

	unlink(test_tokenfile);
	fd = open(test_tokenfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, strlen(content)),
	    (ssize_t)strlen(content));
	close(fd);
	ck_assert_int_eq(chmod(test_tokenfile, mode), 0);
}

/* A site with three users logged in at their base phones, one phone
 * registered, and the HTTP server up on a free loopback port. */
static void
setup(void)
{
	struct db_reg	 r = { .ext = "201", .contact =
	    "sip:201@127.0.0.1:5070", .peer = "udp:127.0.0.1:5070",
	    .callid = "reg-1", .cseq = 1, .user_agent = "Linphone/5.2" };
	char		*cause = NULL;

	log_init(0, "london");
	env->conf = &test_conf;
	env->conffile = "test.yaml";
	env->epoch = 0x0123456789abcdefULL;
	env->started = time(NULL) - 100;
	env->base = event_base_new();
	ck_assert_int_eq(db_open(":memory:", NULL, &cause), 0);
	ck_assert_int_eq(db_store_config(&test_conf, &cause), 0);
	r.expires = time(NULL) + 300;
	ck_assert_int_eq(db_reg_put(&r), 0);
	registrar_init();
	hotdesk_init();
	settings_init();
	snprintf(test_dir, sizeof(test_dir), "/tmp/roam-http-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(test_dir));
	snprintf(test_tokenfile, sizeof(test_tokenfile), "%s/http.token",
	    test_dir);
	token_write("  " TEST_TOKEN "\n\n", 0600);
}

/* Take it all down. */
static void
teardown(void)
{
	http_shutdown();
	settings_shutdown();
	hotdesk_shutdown();
	registrar_shutdown();
	db_close();
	event_base_free(env->base);
	unlink(test_tokenfile);
	rmdir(test_dir);
}

/* Start the server on 127.0.0.1, port chosen by the kernel. */
static void
http_up(const char *tokenfile)
{
	char	*cause = NULL;

	ck_assert_msg(http_init(env->base, "127.0.0.1:0", tokenfile,
	    &cause) == 0, "http_init: %s", cause);
	ck_assert_int_gt(http_port(), 0);
}

/* Copy a header of the answer, or NULL. */
static char *
header_dup(struct evhttp_request *req, const char *name)
{
	const char	*v;

	v = evhttp_find_header(evhttp_request_get_input_headers(req), name);
	return (v != NULL ? strdup(v) : NULL);
}

/* The client's callback: keep what came back and stop the loop. */
static void
answer_cb(struct evhttp_request *req, void *arg)
{
	struct test_answer	*a = arg;
	struct evbuffer		*b;
	size_t			 len;

	a->done = 1;
	event_base_loopexit(env->base, NULL);
	if (req == NULL) {
		a->code = -1;
		return;
	}
	a->code = evhttp_request_get_response_code(req);
	b = evhttp_request_get_input_buffer(req);
	len = evbuffer_get_length(b);
	a->body = calloc(1, len + 1);
	evbuffer_remove(b, a->body, len);
	a->type = header_dup(req, "Content-Type");
	a->csp = header_dup(req, "Content-Security-Policy");
	a->allow = header_dup(req, "Allow");
}

/*
 * Ask the server: method, path, token (NULL: no Authorization header),
 * body (NULL: none, else sent as application/json).
 */
static struct test_answer
ask(enum evhttp_cmd_type method, const char *path, const char *token,
    const char *body, const char *host)
{
	struct test_answer		 a;
	struct evhttp_connection	*c;
	struct evhttp_request		*req;
	struct evkeyvalq		*h;
	char				 auth[256];

	memset(&a, 0, sizeof(a));
	c = evhttp_connection_base_new(env->base, NULL, "127.0.0.1",
	    (unsigned short)http_port());
	ck_assert_ptr_nonnull(c);
	req = evhttp_request_new(answer_cb, &a);
	h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Host", host != NULL ? host : "127.0.0.1");
	if (token != NULL) {
		snprintf(auth, sizeof(auth), "Bearer %s", token);
		evhttp_add_header(h, "Authorization", auth);
	}
	if (body != NULL) {
		evhttp_add_header(h, "Content-Type", "application/json");
		evbuffer_add(evhttp_request_get_output_buffer(req), body,
		    strlen(body));
	}
	ck_assert_int_eq(evhttp_make_request(c, req, method, path), 0);
	while (!a.done)
		event_base_dispatch(env->base);
	evhttp_connection_free(c);
	return (a);
}

/* GET with the right token. */
static struct test_answer
get(const char *path)
{
	return (ask(EVHTTP_REQ_GET, path, TEST_TOKEN, NULL, NULL));
}

/* Free what an answer holds. */
static void
answer_free(struct test_answer *a)
{
	free(a->body);
	free(a->type);
	free(a->csp);
	free(a->allow);
}

/* Does the answer's body contain s? */
static void
assert_body(const struct test_answer *a, const char *s)
{
	ck_assert_msg(a->body != NULL && strstr(a->body, s) != NULL,
	    "\"%s\" not in answer %d: %s", s, a->code, a->body);
}

START_TEST(test_api_refuses_requests_without_the_token)
{
	struct test_answer	 a;

	http_up(test_tokenfile);
	a = ask(EVHTTP_REQ_GET, "/api/status", NULL, NULL, NULL);
	ck_assert_int_eq(a.code, 401);
	assert_body(&a, "\"error\":");
	ck_assert_str_eq(a.type, "application/json");
	answer_free(&a);
	a = ask(EVHTTP_REQ_GET, "/api/status", TEST_TOKEN "x", NULL, NULL);
	ck_assert_int_eq(a.code, 401);
	answer_free(&a);
	a = ask(EVHTTP_REQ_GET, "/api/status", "s3cret", NULL, NULL);
	ck_assert_int_eq(a.code, 401);
	answer_free(&a);
	a = ask(EVHTTP_REQ_GET, "/metrics", NULL, NULL, NULL);
	ck_assert_int_eq(a.code, 401);
	answer_free(&a);
	/* Unknown paths are no way to learn anything without the token. */
	a = ask(EVHTTP_REQ_GET, "/etc/passwd", NULL, NULL, NULL);
	ck_assert_int_eq(a.code, 401);
	answer_free(&a);
	a = ask(EVHTTP_REQ_POST, "/api/users/201/logout", NULL, "{}", NULL);
	ck_assert_int_eq(a.code, 401);
	answer_free(&a);
	ck_assert_str_eq(hotdesk_user_ext("201"), "201");
}
END_TEST

START_TEST(test_status_has_the_section_6_keys)
{
	struct test_answer	 a;

	http_up(test_tokenfile);
	a = get("/api/status");
	ck_assert_int_eq(a.code, 200);
	ck_assert_str_eq(a.type, "application/json");
	assert_body(&a, "\"site\":\"london\"");
	assert_body(&a, "\"id\":1");
	assert_body(&a, "\"epoch\":\"0123456789abcdef\"");
	assert_body(&a, "\"uptime_s\":");
	answer_free(&a);
}
END_TEST

START_TEST(test_documents_match_roamctl)
{
	static const char	*docs[][2] = {
		{ "/api/users", "users" }, { "/api/users/202", "user 202" },
		{ "/api/calls", "calls" },
	};
	struct test_answer	 a;
	char			*out;
	size_t			 i;

	http_up(test_tokenfile);
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		a = get(docs[i][0]);
		ck_assert_int_eq(control_run(docs[i][1], 1, &out), 0);
		ck_assert_int_eq(a.code, 200);
		ck_assert_str_eq(a.body, out);
		free(out);
		answer_free(&a);
	}
	/* (regs counts seconds down: compared by content, not bytes.) */
	a = get("/api/regs");
	ck_assert_int_eq(a.code, 200);
	assert_body(&a, "\"contact\":\"sip:201@127.0.0.1:5070\"");
	answer_free(&a);
}
END_TEST

START_TEST(test_control_errors_map_to_http_codes)
{
	static const char	*paths[][2] = {
		{ "/api/peers", "peers" }, { "/api/directory", "directory" },
		{ "/api/events", "events" },
	};
	struct test_answer	 a;
	char			*out;
	size_t			 i;
	int			 want;

	http_up(test_tokenfile);
	a = get("/api/users/999");
	ck_assert_int_eq(a.code, 404);
	assert_body(&a, "{\"error\":\"no such user 999\"}");
	answer_free(&a);
	/* Whatever roamctl answers today, HTTP says the same thing. */
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (control_run(paths[i][1], 1, &out) == 0)
			want = 200;
		else if (strstr(out, "not available yet") != NULL ||
		    strncmp(out, "unknown command", 15) == 0)
			want = 501;
		else
			want = 400;
		a = get(paths[i][0]);
		ck_assert_msg(a.code == want, "%s: %d, want %d", paths[i][0],
		    a.code, want);
		if (want != 200)
			assert_body(&a, out);
		free(out);
		answer_free(&a);
	}
	a = get("/api/nothing");
	ck_assert_int_eq(a.code, 404);
	answer_free(&a);
}
END_TEST

START_TEST(test_page_is_served_without_token)
{
	struct test_answer	 a;

	http_up(test_tokenfile);
	a = ask(EVHTTP_REQ_GET, "/", NULL, NULL, NULL);
	ck_assert_int_eq(a.code, 200);
	ck_assert_str_eq(a.type, "text/html; charset=utf-8");
	assert_body(&a, "<!DOCTYPE html>");
	assert_body(&a, "<table id=\"users\">");
	assert_body(&a, "sessionStorage");
	/* The page carries no secret and only its own script may run. */
	ck_assert_ptr_null(strstr(a.body, TEST_TOKEN));
	ck_assert_ptr_nonnull(a.csp);
	ck_assert_ptr_nonnull(strstr(a.csp, "script-src 'sha256-"));
	ck_assert_ptr_null(strstr(a.csp, "unsafe-eval"));
	/* Nothing from the daemon is written as HTML by the script. */
	ck_assert_ptr_null(strstr(a.body, "innerHTML"));
	answer_free(&a);
	a = ask(EVHTTP_REQ_POST, "/", NULL, "{}", NULL);
	ck_assert_int_eq(a.code, 405);
	answer_free(&a);
}
END_TEST

START_TEST(test_bad_numbers_are_refused)
{
	static const char	*bad[] = { "/api/users/20a",
		"/api/users/-1", "/api/users/201%20202",
		"/api/users/12345678901234567890123456789012" };
	struct test_answer	 a;
	size_t			 i;

	http_up(test_tokenfile);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a = get(bad[i]);
		ck_assert_msg(a.code == 400, "%s: %d", bad[i], a.code);
		assert_body(&a, "1-31 digits");
		answer_free(&a);
	}
	a = ask(EVHTTP_REQ_POST, "/api/users/20%3B1/logout", TEST_TOKEN,
	    "{}", NULL);
	ck_assert_int_eq(a.code, 400);
	answer_free(&a);
	a = ask(EVHTTP_REQ_POST, "/api/users/201/login", TEST_TOKEN,
	    "{\"extension\": \"202 reload\"}", NULL);
	ck_assert_int_eq(a.code, 400);
	assert_body(&a, "extension must be 1-31 digits");
	answer_free(&a);
	a = ask(EVHTTP_REQ_POST, "/api/users/201/login", TEST_TOKEN,
	    "{\"ext\": \"202\"}", NULL);
	ck_assert_int_eq(a.code, 400);
	answer_free(&a);
	a = ask(EVHTTP_REQ_POST, "/api/users/201/login", TEST_TOKEN,
	    "not json", NULL);
	ck_assert_int_eq(a.code, 400);
	answer_free(&a);
	ck_assert_str_eq(hotdesk_user_ext("201"), "201");
}
END_TEST

START_TEST(test_admin_logout_and_login_move_the_user)
{
	struct test_answer	 a;

	http_up(test_tokenfile);
	a = ask(EVHTTP_REQ_POST, "/api/users/201/logout", TEST_TOKEN, "{}",
	    NULL);
	ck_assert_int_eq(a.code, 200);
	assert_body(&a, "\"state\":\"logged_out\"");
	answer_free(&a);
	ck_assert_ptr_null(hotdesk_user_ext("201"));
	/* A second logout is an error, not a crash or a 200. */
	a = ask(EVHTTP_REQ_POST, "/api/users/201/logout", TEST_TOKEN, "{}",
	    NULL);
	ck_assert_int_eq(a.code, 400);
	answer_free(&a);
	/* The body reader skips other keys, nested values and spacing. */
	a = ask(EVHTTP_REQ_POST, "/api/users/201/login", TEST_TOKEN,
	    " { \"note\": {\"a\": [1, \"}\"]}, \"n\": 3,\n"
	    "  \"extension\" : \"203\" } ", NULL);
	ck_assert_int_eq(a.code, 200);
	assert_body(&a, "\"extension\":\"203\"");
	answer_free(&a);
	ck_assert_str_eq(hotdesk_user_ext("201"), "203");
	ck_assert_ptr_null(hotdesk_user_ext("203"));
	a = ask(EVHTTP_REQ_POST, "/api/users/201/login", TEST_TOKEN,
	    "{\"extension\": 999}", NULL);
	ck_assert_int_eq(a.code, 404);
	assert_body(&a, "no such extension 999");
	answer_free(&a);
	a = ask(EVHTTP_REQ_GET, "/api/users/201/logout", TEST_TOKEN, NULL,
	    NULL);
	ck_assert_int_eq(a.code, 405);
	ck_assert_str_eq(a.allow, "POST");
	answer_free(&a);
	ck_assert_str_eq(hotdesk_user_ext("201"), "203");
}
END_TEST

/* A module's own metrics, added at run time. */
static void
test_emit(struct evbuffer *b)
{
	char	 labels[64] = "";

	http_metric_label(labels, sizeof(labels), "peer", "pa\"ris");
	http_metric_head(b, "roam_test_peer_up", "gauge", "A test metric.");
	http_metric_int(b, "roam_test_peer_up", labels, 1);
}

START_TEST(test_metrics_in_prometheus_text)
{
	struct test_answer	 a;

	ck_assert_int_eq(http_metrics_add(test_emit), 0);
	ck_assert_int_eq(http_metrics_add(test_emit), 0);
	http_up(test_tokenfile);
	a = get("/metrics");
	ck_assert_int_eq(a.code, 200);
	ck_assert_ptr_nonnull(strstr(a.type, "text/plain"));
	assert_body(&a, "# TYPE roam_registrations gauge\n"
	    "roam_registrations 1\n");
	assert_body(&a, "\nroam_calls_active 0\n");
	assert_body(&a, "\nroam_users_logged_in 3\n");
	assert_body(&a, "\nroam_uptime_seconds 10");
	assert_body(&a, "\nroam_sip_messages_received_total 0\n");
	assert_body(&a, "roam_site_info{site=\"london\",id=\"1\"} 1\n");
	assert_body(&a, "roam_test_peer_up{peer=\"pa\\\"ris\"} 1\n");
	/* Added twice, shown once. */
	ck_assert_ptr_null(strstr(strstr(a.body, "roam_test_peer_up{") + 1,
	    "roam_test_peer_up{"));
	answer_free(&a);
}
END_TEST

START_TEST(test_public_address_needs_a_token)
{
	char	*cause = NULL;

	ck_assert_int_eq(http_init(env->base, "0.0.0.0:0", NULL, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "not a loopback address"));
	free(cause);
	ck_assert_int_eq(http_port(), 0);
	/* With a token it starts. */
	ck_assert_int_eq(http_init(env->base, "0.0.0.0:0", test_tokenfile,
	    &cause), 0);
	ck_assert_int_gt(http_port(), 0);
}
END_TEST

START_TEST(test_token_file_must_be_private_and_not_empty)
{
	char	*cause = NULL;

	token_write(TEST_TOKEN "\n", 0644);
	ck_assert_int_eq(http_init(env->base, "127.0.0.1:0", test_tokenfile,
	    &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "accessible by others"));
	free(cause);
	token_write(" \n\t\n", 0600);
	ck_assert_int_eq(http_init(env->base, "127.0.0.1:0", test_tokenfile,
	    &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "is empty"));
	free(cause);
	ck_assert_int_eq(http_init(env->base, "127.0.0.1:0",
	    "/nonexistent/http.token", &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "No such file"));
	free(cause);
	ck_assert_int_eq(http_port(), 0);
}
END_TEST

START_TEST(test_off_when_no_address)
{
	char	*cause = NULL;

	ck_assert_int_eq(http_init(env->base, NULL, NULL, &cause), 0);
	ck_assert_int_eq(http_port(), 0);
}
END_TEST

START_TEST(test_loopback_without_token_is_open_to_loopback_names_only)
{
	struct test_answer	 a;

	http_up(NULL);
	a = ask(EVHTTP_REQ_GET, "/api/status", NULL, NULL, "localhost:8080");
	ck_assert_int_eq(a.code, 200);
	answer_free(&a);
	/* DNS rebinding: a page from evil.example resolved to 127.0.0.1. */
	a = ask(EVHTTP_REQ_GET, "/api/status", NULL, NULL,
	    "evil.example:8080");
	ck_assert_int_eq(a.code, 403);
	answer_free(&a);
}
END_TEST

/* The suite. */
static Suite *
http_suite(void)
{
	Suite	*s = suite_create("http");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_api_refuses_requests_without_the_token);
	tcase_add_test(tc, test_status_has_the_section_6_keys);
	tcase_add_test(tc, test_documents_match_roamctl);
	tcase_add_test(tc, test_control_errors_map_to_http_codes);
	tcase_add_test(tc, test_page_is_served_without_token);
	tcase_add_test(tc, test_bad_numbers_are_refused);
	tcase_add_test(tc, test_admin_logout_and_login_move_the_user);
	tcase_add_test(tc, test_metrics_in_prometheus_text);
	tcase_add_test(tc, test_public_address_needs_a_token);
	tcase_add_test(tc, test_token_file_must_be_private_and_not_empty);
	tcase_add_test(tc, test_off_when_no_address);
	tcase_add_test(tc,
	    test_loopback_without_token_is_open_to_loopback_names_only);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(http_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
