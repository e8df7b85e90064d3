/* search_test.h — rows written straight with SQL for the search and score
 * tests, so they depend on nothing but the schema and its triggers. */
#ifndef SEARCH_TEST_H
#define SEARCH_TEST_H

#include "db/db.h"

#define T_NOW 1800000000

struct t_person {
	const char *name, *furigana, *email, *company, *title, *offer, *looking, *notes, *stage;
	bool freeloader, blocked;
};

static inline int64_t t_person(struct db *db, const struct t_person *p)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(
	        db, &st,
	        "INSERT INTO people(name, furigana, email, company, title, can_offer, looking_for, "
	        "notes_md, stage, freeloader, blocked, created_at, updated_at) "
	        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
	        "tttttttttiiii", p->name ? p->name : "", p->furigana ? p->furigana : "", p->email,
	        p->company ? p->company : "", p->title ? p->title : "", p->offer ? p->offer : "",
	        p->looking ? p->looking : "", p->notes ? p->notes : "",
	        p->stage ? p->stage : "reader", (int64_t)p->freeloader, (int64_t)p->blocked,
	        (int64_t)T_NOW, (int64_t)T_NOW);
	assert_int_equal(rc, JM_OK);
	assert_int_equal(db_step(st), JM_OK);
	int64_t id = db_col_int(st, 0);
	db_finalize(st);
	return id;
}

static inline int64_t t_message(struct db *db, int64_t pid, const char *category,
                                const char *subject, const char *body, int64_t at)
{
	struct db_stmt *st = NULL;
	assert_int_equal(db_preparef(db, &st,
	                             "INSERT INTO messages(person_id, category, subject, body, "
	                             "msgid, created_at, updated_at) VALUES (?, ?, ?, ?, "
	                             "'<' || random() || '@test>', ?, ?) RETURNING id",
	                             "itttii", pid, category, subject, body, at, at),
	                 JM_OK);
	assert_int_equal(db_step(st), JM_OK);
	int64_t id = db_col_int(st, 0);
	db_finalize(st);
	return id;
}

static inline void t_tag(struct db *db, int64_t pid, const char *tag)
{
	assert_int_equal(db_execf(db, "INSERT INTO person_tags(person_id, tag) VALUES (?, ?)", "it",
	                          pid, tag),
	                 JM_OK);
}

static inline void t_field(struct db *db, int64_t pid, const char *key, const char *val)
{
	assert_int_equal(db_execf(db,
	                          "INSERT INTO person_fields(person_id, key, value) "
	                          "VALUES (?, ?, ?)",
	                          "itt", pid, key, val),
	                 JM_OK);
}

static inline void t_interaction(struct db *db, int64_t pid, const char *kind, int64_t at)
{
	assert_int_equal(db_execf(db,
	                          "INSERT INTO interactions(person_id, kind, happened_at, "
	                          "created_at) VALUES (?, ?, ?, ?)",
	                          "itii", pid, kind, at, at),
	                 JM_OK);
}

#endif
