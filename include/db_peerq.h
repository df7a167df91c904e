/*
 * Remote hot desking state in SQLite (db_peerq.c, beside db.c):
 *
 * - the outbound peer queue: frames for a peer site (SETTINGS, LOGOUT)
 *   kept until that site acknowledges them, so a change a user made on a
 *   host reaches their home even across a link cut or a host restart
 *   (DESIGN.md R7, F2);
 * - per home user, the generation and the remote host home recorded, so
 *   that a home restart alone does not pull a remote user back (F3).
 */
#ifndef DB_PEERQ_H
#define DB_PEERQ_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct db_peerq_item {
	int64_t		 id;		/* increasing: the delivery order */
	const char	*peer;
	int		 type;		/* enum peer_type */
	const char	*user;
	uint64_t	 generation;
	const void	*frame;		/* the whole encoded frame */
	size_t		 len;
	time_t		 created;
};

struct db_rloc {
	const char	*user;
	uint64_t	 generation;	/* home's counter for the user */
	const char	*site;		/* remote host, NULL: not away */
	const char	*ext;		/* extension there */
	uint64_t	 settings_gen;	/* generation of the last settings */
};

/* Append a frame for peer; the new row id, or -1. */
int64_t	db_peerq_add(const char *peer, int type, const char *user,
	    uint64_t generation, const void *frame, size_t len);
int	db_peerq_del(int64_t id);
/* Items for peer (NULL: every peer) in queue order; strings and frame
 * live only during the callback. */
int	db_peerq_foreach(const char *peer,
	    void (*)(const struct db_peerq_item *, void *), void *);
/* Items waiting for peer (NULL: all), or -1. */
int	db_peerq_count(const char *peer);

int	db_rloc_put(const struct db_rloc *);
int	db_rloc_del(const char *user);
int	db_rloc_foreach(void (*)(const struct db_rloc *, void *), void *);

#endif
