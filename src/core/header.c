/*
 * header.c — the one rule for a value that may reach a mail header: a
 * person's name and company (merge fields in subjects and From names), a
 * list's name, a broadcast's subject, a contact form's name and subject.
 * Domain validators call it at input, so a stored value can never make a
 * message fail to build later (RFC 5322 §2.2: a header body is one line
 * of printable characters; RFC 2047 §5: an encoded word is the encoder's,
 * never the user's).
 *
 * Refused: invalid UTF-8; every C0 control (CR, LF and tab included) and
 * DEL; C1 controls U+0080–U+009F (U+0085 NEXT LINE among them); U+2028
 * LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR; and a literal encoded
 * word "=?…?=", which a mail reader would decode into something else.
 */
#include "core/core.h"

/* True when p[0..len) holds "=?" followed, later, by "?=". */
static bool has_encoded_word(const char *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (p[i] != '=' || p[i + 1] != '?')
			continue;
		for (size_t j = i + 2; j + 1 < len; j++)
			if (p[j] == '?' && p[j + 1] == '=')
				return true;
		return false;
	}
	return false;
}

bool jm_header_value_ok(const char *p, size_t len)
{
	if (!p)
		return true;
	if (!utf8_valid(p, len) || has_encoded_word(p, len))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c < 0x20 || c == 0x7F)
			return false;
		/* U+0080–U+009F are C2 80–C2 9F in UTF-8. */
		if (c == 0xC2 && i + 1 < len && (unsigned char)p[i + 1] <= 0x9F)
			return false;
		/* U+2028 and U+2029 are E2 80 A8 and E2 80 A9. */
		if (c == 0xE2 && i + 2 < len && (unsigned char)p[i + 1] == 0x80 &&
		    ((unsigned char)p[i + 2] == 0xA8 || (unsigned char)p[i + 2] == 0xA9))
			return false;
	}
	return true;
}
