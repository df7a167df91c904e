/*
 * Who is logged in where (DESIGN.md H1-H5).  At start every extension's
 * base user is logged in there unless they are force_login (H5).
 */
#ifndef HOTDESK_H
#define HOTDESK_H

void		 hotdesk_init(void);
void		 hotdesk_shutdown(void);
void		 hotdesk_reload(void);
/* Extension the user is logged in at, or NULL. */
const char	*hotdesk_user_ext(const char *user);
/* User logged in at the extension, or NULL (NoUser). */
const char	*hotdesk_ext_user(const char *ext);

#endif
