/*
 * people_int.h — what people.c, people_list.c and touch.c share: the
 * column list a person row is read with, and a growable array in an arena.
 * Not for use outside src/network.
 */
#ifndef JM_NETWORK_PEOPLE_INT_H
#define JM_NETWORK_PEOPLE_INT_H

#include "network/network.h"

#include "db/db.h"

/* The columns net_person_row reads, in order, for a table aliased p.
 * Lists leave the notes out ('') so a page never carries 200 long notes. */
#define NET_PERSON_COLS_BASE                                                                       \
	"p.id, COALESCE(p.email, ''), p.name, p.furigana, p.company, p.title, p.stage, "           \
	"p.source, p.can_offer, p.looking_for, "
#define NET_PERSON_COLS_TAIL                                                                       \
	", p.freeloader, p.blocked, p.created_at, p.updated_at, COALESCE(p.stage_at, "             \
	"p.created_at), COALESCE(p.last_contact_at, 0), COALESCE(p.touch_days, 0), "               \
	"p.engagement "
#define NET_PERSON_COLS      NET_PERSON_COLS_BASE "p.notes_md" NET_PERSON_COLS_TAIL
#define NET_PERSON_COLS_LIST NET_PERSON_COLS_BASE "''" NET_PERSON_COLS_TAIL
#define NET_PERSON_NCOLS     19

/* Fills out (zeroed first) from the current row of st, starting at column
 * col; strings are copied into the arena. */
void net_person_row(struct db_stmt *st, int col, struct arena *a, struct net_person *out);

/* Inside the caller's transaction: moves person id to stage (valid)
 * with reason, recording the change; same stage → JM_OK, nothing written;
 * JM_NOT_FOUND for an unknown id. */
enum jm_rc net_stage_apply(struct db *db, int64_t id, const char *stage, const char *reason,
                           int64_t now) JM_WUR;

/* SQL condition: the person in column col is not the owner (who is the
 * "me" of the map and the reports, not one of the people counted). */
#define NET_NOT_OWNER(col)                                                                         \
	col " NOT IN (SELECT person_id FROM users WHERE role = 'owner' AND person_id IS NOT NULL)"

/* Appends s folded (NFKC_Casefold) with every space removed to b; *empty
 * when nothing was appended. "佐藤 健", "佐藤　健" and "佐藤健" fold alike.
 * (merge.c) */
enum jm_rc net_name_fold(const char *s, struct buf *b, bool *empty) JM_WUR;

#endif
