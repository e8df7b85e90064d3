/*
 * mail_int.h — what the files of mail/ share among themselves and nobody
 * else sees. GMime must be initialised exactly once per process whichever
 * mail/ entry point runs first, so the one-time initialiser lives here.
 */
#ifndef JM_MAIL_INT_H
#define JM_MAIL_INT_H

#include "mail/mail.h"

/* Initialises GMime once (pthread_once); safe from any thread, cheap after
 * the first call. Defined in multipart.c. */
void mail_gmime_init(void);

/* The largest message mail_dkim_sign and mail_smtp_send accept (bytes). */
#define MAIL_MAX_MESSAGE (64u * 1024u * 1024u)

#endif
