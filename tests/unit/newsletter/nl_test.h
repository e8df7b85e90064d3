/* nl_test.h — small helpers shared by the newsletter unit tests. */
#ifndef NL_TEST_H
#define NL_TEST_H

#include "db/db.h"
#include "newsletter/newsletter.h"
#include "../site/site_testdb.h" /* q_int, exec_ok */

/* Creates a list; fields: company (text, required), interest (select),
 * agree (checkbox) when with_fields. */
static inline int64_t make_list(struct db *db, const char *slug, bool dbl, const char *welcome,
                                bool with_fields)
{
	struct nl_list_input in = {.slug = slug,
	                           .name = "人脈通信",
	                           .consent_text = "メルマガの受信に同意します",
	                           .welcome_subject = "ようこそ",
	                           .welcome_md = welcome ? welcome : "",
	                           .double_optin = dbl,
	                           .has_slug = true,
	                           .has_name = true,
	                           .has_consent_text = true,
	                           .has_welcome = true,
	                           .has_double_optin = true};
	struct jm_err err = {0};
	int64_t id = 0;
	if (nl_list_create(db, &in, &id, &err) != JM_OK)
		fail_msg("list create: %s %s", err.field, err.msg);
	if (!with_fields)
		return id;
	static const char *opts[] = {"出版", "採用", "その他"};
	struct nl_field f[3] = {
	        {.key = "company", .label = "会社名", .type = "text", .required = true},
	        {.key = "interest",
	         .label = "興味",
	         .type = "select",
	         .options = opts,
	         .noptions = 3},
	        {.key = "agree", .label = "同意", .type = "checkbox"},
	};
	if (nl_list_set_fields(db, id, f, 3, &err) != JM_OK)
		fail_msg("fields: %s %s", err.field, err.msg);
	return id;
}

#endif
