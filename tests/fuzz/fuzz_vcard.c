/*
 * fuzz_vcard.c — libFuzzer target for the vCard reader (parse_vcard in
 * src/network/vcard.c, included to reach it: RFC 6350 line unfolding,
 * property parameters, escaped values, vCard 2.1 QUOTED-PRINTABLE and
 * CHARSET, BEGIN/END nesting), without a database.
 *
 * Invariants: every string of a record is non-NULL valid UTF-8; counts
 * stay within the caps; a refusal carries a message.
 */
#include <stdint.h>

#include "../../src/network/vcard.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_str(const char *s)
{
	if (!s || !utf8_valid(s, strlen(s)))
		abort();
}

static enum jm_rc each_card(struct net_io_rec *r, void *user)
{
	(void)user;
	const char *strs[] = {r->email,       r->name,  r->furigana,         r->company,
	                      r->title,       r->stage, r->source,           r->can_offer,
	                      r->looking_for, r->notes, r->last_contact_text};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		check_str(strs[i]);
	if (r->ntags > NET_IO_TAGS_MAX || r->nlinks > NET_IO_LINKS_MAX)
		abort();
	for (size_t i = 0; i < r->ntags; i++)
		check_str(r->tags[i]);
	for (size_t i = 0; i < r->nlinks; i++) {
		check_str(r->links[i].kind);
		check_str(r->links[i].url);
	}
	return JM_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct net_import_report rep = {0};
	struct jm_err err = {0};
	enum jm_rc rc = parse_vcard((const char *)data, size, each_card, NULL, &rep, &err);
	if (rc == JM_INVALID && !err.msg[0])
		abort();
	return 0;
}
