/*
 * The network directory (DESIGN.md R1): every user of every site with
 * name, home site, the site they are logged in at and the generation of
 * that location.  Our own users come from the config and hotdesk; other
 * sites' users from their DIR_SYNC on link up and LOCATION broadcasts.
 * Call routing asks here where a number lives.
 *
 * The directory only keeps and encodes entries; remote.c decides who is
 * told what and when (and is the only writer of our own users' entries
 * after start-up, since home is the authority on its users).
 */
#ifndef DIRECTORY_H
#define DIRECTORY_H

#include <sys/queue.h>

#include <stdint.h>

struct dir_home;
struct json;
struct peer_msg;
struct peer_out;

struct dir_entry {
	char		*number;
	char		*name;
	char		*home;		/* home site name */
	char		*site;		/* logged in at, NULL = logged out */
	char		*ext;		/* extension there, or NULL */
	uint64_t	 generation;	/* of that location (home's counter) */
	int		 local;		/* home is this site */
	int		 seen;		/* private: in the DIR_SYNC under way */
	/* private: the other entries of the same (not our) home site */
	struct dir_home		*hq;
	TAILQ_ENTRY(dir_entry)	 bysite;
};

/* One entry as carried by a DIR_SYNC entry or a LOCATION frame. */
struct dir_update {
	char		 number[32];
	char		 name[256];
	char		 home[32];
	char		 site[32];	/* "" = logged out */
	char		 ext[32];	/* "" = none */
	uint64_t	 generation;
};

void	directory_init(void);
void	directory_shutdown(void);
void	directory_reload(void);
/* The entry of a number anywhere in the network, or NULL. */
const struct dir_entry *directory_lookup(const char *number);
/*
 * Record a location (from hotdesk for our users, LOCATION frames for
 * others).  Older generations than the one held are ignored (a re-sent or
 * late message is harmless); returns 1 when applied.
 */
int	directory_set_location(const char *number, const char *site,
	    const char *ext, uint64_t generation);
/*
 * Apply what another site said of one of its users (creating the entry);
 * our own users are never changed this way.  1 when the entry changed, 0
 * when it was stale, a repeat, or ours.
 */
int	directory_apply(const struct dir_update *);
void	directory_foreach(void (*)(const struct dir_entry *, void *), void *);
/* roamctl directory: list of {number, name, home, site, extension}. */
void	directory_json(struct json *);
char	*directory_table(void);

/* A user's entry attributes (PA_USER first), for DIR_SYNC and LOCATION. */
void	directory_put_entry(struct peer_out *, const struct dir_entry *);
/* Read a LOCATION frame into u; -1 when an attribute is unusable. */
int	directory_read_location(const struct peer_msg *, struct dir_update *);
/*
 * Our home users as DIR_SYNC frames: PF_FULL on the first, PF_MORE on all
 * but the last, each finished (peer_frame_end).  Returns the count; the
 * caller frees each with peer_frame_free and the array with free().
 */
size_t	directory_sync_build(struct peer_out **);
/*
 * Apply one DIR_SYNC chunk from site from; fn (may be NULL) hears of every
 * entry of the chunk after it was applied.  At the last chunk of a full
 * sync, entries of from that it no longer lists are dropped.  Returns 1
 * at the last chunk, 0 before it.
 */
int	directory_sync_apply(const char *from, const struct peer_msg *,
	    void (*fn)(const struct dir_entry *, void *), void *);

#endif
