/*
 * Every SIP status code and reason phrase Roam itself sends, in one table
 * (STYLE.md).  Phones show the reason phrase, so the phrase is what tells
 * a user why a feature code failed ("Locked Out", "Home Site
 * Unreachable").  Relayed responses keep the phrase they came with.
 */
#ifndef SIP_STATUS_H
#define SIP_STATUS_H

enum sip_answer {
	ANS_TRYING,			/* 100 Trying */
	ANS_RINGING,			/* 180 Ringing */
	ANS_OK,				/* 200 OK */
	ANS_BAD_REQUEST,		/* 400 Bad Request */
	ANS_UNAUTHORIZED,		/* 401 Unauthorized */
	ANS_FORBIDDEN,			/* 403 Forbidden */
	ANS_BARRED,			/* 403 Barred */
	ANS_OUTGOING_BARRED,		/* 403 Outgoing Calls Barred */
	ANS_LOGIN_CODE_INCORRECT,	/* 403 Login Code Incorrect */
	ANS_LOCKED_OUT,			/* 403 Locked Out */
	ANS_NOT_ALLOWED_FROM_ADDRESS,	/* 403 Not Allowed From This Address */
	ANS_NO_FORWARD_NUMBER,		/* 403 No Forward Number */
	ANS_LICENCE_REFUSED,		/* 403 Licence Does Not Allow Login */
	ANS_NOT_FOUND,			/* 404 Not Found */
	ANS_NUMBER_UNOBTAINABLE,	/* 404 Number Unobtainable */
	ANS_UNKNOWN_DDI,		/* 404 Unknown DDI */
	ANS_UNKNOWN_SITE,		/* 404 Unknown Site */
	ANS_METHOD_NOT_ALLOWED,		/* 405 Method Not Allowed */
	ANS_PROXY_AUTH_REQUIRED,	/* 407 Proxy Authentication Required */
	ANS_REQUEST_TIMEOUT,		/* 408 Request Timeout */
	ANS_UNSUPPORTED_MEDIA,		/* 415 Unsupported Media Type */
	ANS_INTERVAL_TOO_BRIEF,		/* 423 Interval Too Brief */
	ANS_TEMP_UNAVAILABLE,		/* 480 Temporarily Unavailable */
	ANS_NOT_REGISTERED,		/* 480 Not Registered */
	ANS_NO_USER,			/* 480 No User Logged In */
	ANS_HOME_UNREACHABLE,		/* 480 Home Site Unreachable */
	ANS_SITE_UNREACHABLE,		/* 480 Site Unreachable */
	ANS_NO_DIALOG,			/* 481 Call/Transaction Does Not Exist */
	ANS_LOOP_DETECTED,		/* 482 Loop Detected */
	ANS_TOO_MANY_HOPS,		/* 483 Too Many Hops */
	ANS_BUSY_HERE,			/* 486 Busy Here */
	ANS_REQUEST_TERMINATED,		/* 487 Request Terminated */
	ANS_NOT_ACCEPTABLE_HERE,	/* 488 Not Acceptable Here */
	ANS_SERVER_ERROR,		/* 500 Server Internal Error */
	ANS_NOT_IMPLEMENTED,		/* 501 Not Implemented */
	ANS_SERVICE_UNAVAILABLE,	/* 503 Service Unavailable */
	ANS_MESSAGE_TOO_LARGE,		/* 513 Message Too Large */
	ANS_DECLINE,			/* 603 Decline */
	ANS_EXTERNAL_LIMIT,		/* 403 External Call Limit Reached */
	ANS_DESTINATION_NOT_ALLOWED,	/* 403 Destination Not Allowed */
	ANS_STORAGE_FAILED,		/* 500 Cannot Store Change */
	ANS_MAX
};

int		 sip_answer_code(enum sip_answer);
const char	*sip_answer_reason(enum sip_answer);
/* The standard phrase for any code (RFC 3261 21), for relayed codes. */
const char	*sip_reason_default(int code);

#endif
