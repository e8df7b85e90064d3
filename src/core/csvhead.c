/*
 * csvhead.c — the one rule for what a CSV header names: the subscriber
 * import (CLI and admin upload) and the people import (CLI and admin) read
 * a header row through jm_csvhead_field, so one file maps the same way
 * everywhere.
 *
 * A header is compared after NFKC_Casefold (jm_fold: ＥＭＡＩＬ → email,
 * ﾒｰﾙ → メール) with spaces (also U+3000), '_', '-', '.', '・' and the
 * brackets of 「氏名（カナ）」 dropped, so "E-mail", "e_mail", "Ｅメール" and
 * "メール アドレス" are the same word. The table below lists the synonyms of
 * each person field in that folded spelling's source form; both sides are
 * folded the same way, so an entry may be written as people type it.
 *
 * Invariants: the result is a static string from the fixed field list (or
 * NULL); folding failures (no ICU) fall back to ASCII lower-casing, so
 * ASCII headers always map.
 */
#include "core/core.h"

#define HEAD_MAX 256 /* bytes of a header cell that are looked at */

struct synonym {
	const char *field;
	const char *const *names;
};

static const char *const email_n[] = {
        "email",  "e-mail",         "mail",    "mail address",    "email address",
        "メール", "メールアドレス", "Eメール", "Eメールアドレス", "電子メール",
        "メアド", "アドレス",       NULL};
static const char *const name_n[] = {"name",   "full name", "氏名",         "名前",
                                     "お名前", "姓名",      "氏名（漢字）", NULL};
static const char *const furigana_n[] = {
        "furigana", "kana",     "フリガナ", "ふりがな",     "よみ",         "読み",
        "よみがな", "読み仮名", "カナ",     "氏名（カナ）", "氏名フリガナ", "お名前（フリガナ）",
        NULL};
static const char *const company_n[] = {"company", "organization", "organisation", "会社",
                                        "会社名",  "勤務先",       "所属",         "企業名",
                                        "社名",    "組織",         "所属先",       NULL};
static const char *const title_n[] = {"title", "job title", "position", "役職",
                                      "肩書",  "肩書き",    "役職名",   NULL};
static const char *const phone_n[] = {"phone",    "tel",  "telephone", "phone number", "電話",
                                      "電話番号", "携帯", "携帯電話",  "携帯番号",     NULL};
static const char *const tags_n[] = {"tags", "tag", "タグ", "ラベル", NULL};
static const char *const stage_n[] = {"stage", "段階", "ステージ", NULL};
static const char *const notes_n[] = {"notes", "note", "memo", "メモ", "備考", NULL};
static const char *const source_n[] = {"source", "経路", "出会った場所", NULL};
static const char *const offer_n[] = {"can offer", "提供できること", NULL};
static const char *const looking_n[] = {"looking for", "探しているもの", NULL};
static const char *const links_n[] = {"links",        "url",          "website", "web",
                                      "ウェブサイト", "ホームページ", "リンク",  NULL};
static const char *const last_n[] = {"last contact", "最終連絡日", "最終連絡", NULL};

static const struct synonym table[] = {
        {"email", email_n},     {"name", name_n},         {"furigana", furigana_n},
        {"company", company_n}, {"title", title_n},       {"phone", phone_n},
        {"tags", tags_n},       {"stage", stage_n},       {"notes", notes_n},
        {"source", source_n},   {"can_offer", offer_n},   {"looking_for", looking_n},
        {"links", links_n},     {"last_contact", last_n},
};

/* True for a code point the comparison ignores. */
static bool ignored(uint32_t cp)
{
	return cp == ' ' || cp == '\t' || cp == '_' || cp == '-' || cp == '.' || cp == 0x30FB ||
	       cp == 0x3000 || cp == '(' || cp == ')' || cp == '[' || cp == ']' || cp == 0x3010 ||
	       cp == 0x3011 || cp == 0x300C || cp == 0x300D || cp == 0xFEFF;
}

/* The folded, squeezed form of s[0..len) into out (reset first). */
static void squeeze(const char *s, size_t len, struct buf *out)
{
	struct buf f = BUF_INIT;
	buf_reset(out);
	if (len > HEAD_MAX)
		len = utf8_truncate(s, len, HEAD_MAX);
	if (jm_fold(s, len, &f) != JM_OK) {
		buf_reset(&f);
		for (size_t i = 0; i < len; i++) {
			char c = s[i];
			if (buf_appendc(&f, c >= 'A' && c <= 'Z' ? (char)(c + 32) : c) != JM_OK)
				break;
		}
	}
	for (size_t i = 0; i < f.len;) {
		uint32_t cp;
		size_t next = jm_utf8_next(f.ptr, f.len, i, &cp);
		if (!ignored(cp) && buf_append(out, f.ptr + i, next - i) != JM_OK)
			break;
		i = next;
	}
	buf_free(&f);
}

bool jm_csvhead_same(const char *a, const char *b)
{
	struct buf x = BUF_INIT, y = BUF_INIT;
	squeeze(a, strlen(a), &x);
	squeeze(b, strlen(b), &y);
	bool same = x.len > 0 && x.len == y.len && memcmp(x.ptr, y.ptr, x.len) == 0;
	buf_free(&x);
	buf_free(&y);
	return same;
}

const char *jm_csvhead_field(const char *header)
{
	struct buf h = BUF_INIT, n = BUF_INIT;
	const char *found = NULL;
	squeeze(header ? header : "", header ? strlen(header) : 0, &h);
	for (size_t t = 0; h.len && !found && t < sizeof(table) / sizeof(table[0]); t++) {
		/* The field's own key ("can_offer") always names it. */
		squeeze(table[t].field, strlen(table[t].field), &n);
		bool hit = n.len == h.len && memcmp(n.ptr, h.ptr, h.len) == 0;
		for (const char *const *s = table[t].names; !hit && *s; s++) {
			squeeze(*s, strlen(*s), &n);
			hit = n.len == h.len && memcmp(n.ptr, h.ptr, h.len) == 0;
		}
		found = hit ? table[t].field : NULL;
	}
	buf_free(&h);
	buf_free(&n);
	return found;
}
