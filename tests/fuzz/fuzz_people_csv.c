/*
 * fuzz_people_csv.c — libFuzzer target for the people CSV reader
 * (parse_csv and decode in src/network/io.c, included to reach them: the
 * header synonyms, libcsv strict quoting, the formula guard, tags and
 * links cells), without a database: every record goes to a checker.
 *
 * Invariants: every string of a record is non-NULL valid UTF-8; line
 * numbers only grow; counts stay within the caps; a refusal carries a
 * message.
 */
#include <stdint.h>

#include "../../src/network/io.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	int64_t last_line;
};

static void check_str(const char *s)
{
	if (!s || !utf8_valid(s, strlen(s)))
		abort();
}

static enum jm_rc each_rec(struct net_io_rec *r, void *user)
{
	struct seen *sn = user;
	const char *strs[] = {r->email,       r->name,  r->furigana,         r->company,
	                      r->title,       r->stage, r->source,           r->can_offer,
	                      r->looking_for, r->notes, r->last_contact_text};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		check_str(strs[i]);
	if (r->ntags > NET_IO_TAGS_MAX || r->nlinks > NET_IO_LINKS_MAX || r->line < sn->last_line)
		abort();
	for (size_t i = 0; i < r->ntags; i++)
		check_str(r->tags[i]);
	sn->last_line = r->line;
	return JM_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new(4096);
	struct net_import_report rep = {0};
	struct jm_err err = {0};
	struct seen sn = {0};
	const char *text = NULL;
	size_t n = 0;
	if (decode(a, (const char *)data, size, &text, &n, &err, &rep.fail) == JM_OK) {
		enum jm_rc rc = parse_csv(text, n, each_rec, &sn, &rep, &err);
		if (rc == JM_INVALID && !err.msg[0])
			abort();
	}
	arena_free(a);
	return 0;
}
