/*
 * The table of every status Roam sends (see sip_status.h).
 */
#include <stddef.h>

#include "sip_status.h"

static const struct {
	int		 code;
	const char	*reason;
} sip_answers[ANS_MAX] = {
	[ANS_TRYING] =			{ 100, "Trying" },
	[ANS_RINGING] =			{ 180, "Ringing" },
	[ANS_OK] =			{ 200, "OK" },
	[ANS_BAD_REQUEST] =		{ 400, "Bad Request" },
	[ANS_UNAUTHORIZED] =		{ 401, "Unauthorized" },
	[ANS_FORBIDDEN] =		{ 403, "Forbidden" },
	[ANS_BARRED] =			{ 403, "Barred" },
	[ANS_OUTGOING_BARRED] =		{ 403, "Outgoing Calls Barred" },
	[ANS_LOGIN_CODE_INCORRECT] =	{ 403, "Login Code Incorrect" },
	[ANS_LOCKED_OUT] =		{ 403, "Locked Out" },
	[ANS_NOT_ALLOWED_FROM_ADDRESS] = { 403, "Not Allowed From This Address" },
	[ANS_NO_FORWARD_NUMBER] =	{ 403, "No Forward Number" },
	[ANS_LICENCE_REFUSED] =		{ 403, "Licence Does Not Allow Login" },
	[ANS_NOT_FOUND] =		{ 404, "Not Found" },
	[ANS_NUMBER_UNOBTAINABLE] =	{ 404, "Number Unobtainable" },
	[ANS_UNKNOWN_DDI] =		{ 404, "Unknown DDI" },
	[ANS_UNKNOWN_SITE] =		{ 404, "Unknown Site" },
	[ANS_METHOD_NOT_ALLOWED] =	{ 405, "Method Not Allowed" },
	[ANS_PROXY_AUTH_REQUIRED] =	{ 407, "Proxy Authentication Required" },
	[ANS_REQUEST_TIMEOUT] =		{ 408, "Request Timeout" },
	[ANS_UNSUPPORTED_MEDIA] =	{ 415, "Unsupported Media Type" },
	[ANS_INTERVAL_TOO_BRIEF] =	{ 423, "Interval Too Brief" },
	[ANS_TEMP_UNAVAILABLE] =	{ 480, "Temporarily Unavailable" },
	[ANS_NOT_REGISTERED] =		{ 480, "Not Registered" },
	[ANS_NO_USER] =			{ 480, "No User Logged In" },
	[ANS_HOME_UNREACHABLE] =	{ 480, "Home Site Unreachable" },
	[ANS_SITE_UNREACHABLE] =	{ 480, "Site Unreachable" },
	[ANS_NO_DIALOG] =		{ 481, "Call/Transaction Does Not Exist" },
	[ANS_LOOP_DETECTED] =		{ 482, "Loop Detected" },
	[ANS_TOO_MANY_HOPS] =		{ 483, "Too Many Hops" },
	[ANS_BUSY_HERE] =		{ 486, "Busy Here" },
	[ANS_REQUEST_TERMINATED] =	{ 487, "Request Terminated" },
	[ANS_NOT_ACCEPTABLE_HERE] =	{ 488, "Not Acceptable Here" },
	[ANS_SERVER_ERROR] =		{ 500, "Server Internal Error" },
	[ANS_NOT_IMPLEMENTED] =		{ 501, "Not Implemented" },
	[ANS_SERVICE_UNAVAILABLE] =	{ 503, "Service Unavailable" },
	[ANS_MESSAGE_TOO_LARGE] =	{ 513, "Message Too Large" },
	[ANS_DECLINE] =			{ 603, "Decline" },
	/* After every plain phrase: sip_reason_default() finds those first. */
	[ANS_EXTERNAL_LIMIT] =		{ 403, "External Call Limit Reached" },
	[ANS_DESTINATION_NOT_ALLOWED] =	{ 403, "Destination Not Allowed" },
	[ANS_STORAGE_FAILED] =		{ 500, "Cannot Store Change" },
};

/* The status code of a named answer. */
int
sip_answer_code(enum sip_answer a)
{
	if ((unsigned)a >= ANS_MAX)
		return (500);
	return (sip_answers[a].code);
}

/* The reason phrase of a named answer. */
const char *
sip_answer_reason(enum sip_answer a)
{
	if ((unsigned)a >= ANS_MAX)
		return ("Server Internal Error");
	return (sip_answers[a].reason);
}

/* The RFC 3261 section 21 phrase for a code, by class if unknown. */
const char *
sip_reason_default(int code)
{
	size_t	 i;

	for (i = 0; i < ANS_MAX; i++)
		if (sip_answers[i].code == code)
			return (sip_answers[i].reason);
	switch (code) {
	case 181: return ("Call Is Being Forwarded");
	case 182: return ("Queued");
	case 183: return ("Session Progress");
	case 202: return ("Accepted");
	case 301: return ("Moved Permanently");
	case 302: return ("Moved Temporarily");
	case 402: return ("Payment Required");
	case 410: return ("Gone");
	case 484: return ("Address Incomplete");
	case 502: return ("Bad Gateway");
	case 504: return ("Server Time-out");
	case 600: return ("Busy Everywhere");
	case 604: return ("Does Not Exist Anywhere");
	case 606: return ("Not Acceptable");
	}
	if (code < 200)
		return ("Session Progress");
	if (code < 300)
		return ("OK");
	if (code < 400)
		return ("Redirection");
	if (code < 500)
		return ("Client Error");
	if (code < 600)
		return ("Server Error");
	return ("Global Failure");
}
