/*
 * Random bytes for tokens, tags, branches and nonces (rand.c).
 */
#ifndef RAND_H
#define RAND_H

#include <stddef.h>

void	rand_fill(void *, size_t);

#endif
