/*
 * field.h — the one field engine: the types, names and rules of a field
 * that a reader fills in, shared by the forms (forms/form.c, answer.c) and
 * the mail-magazine lists' sign-up fields (newsletter/list.c,
 * subscribe.c, csv.c), so a type means the same thing everywhere.
 *
 * Types (the names stored in form_fields.type and list_fields.type):
 *   text      one line, at most JM_FIELD_TEXT_MAX code points
 *   textarea  several lines, at most JM_FIELD_TEXTAREA_MAX code points
 *   select    one of the options (or empty)
 *   multi     any number of the options, each given as its own value
 *   checkbox  yes/no, stored "1" or "" (jm_field_checkbox_value spellings)
 *   email     an address (jm_email_normalize's shape)
 *   url       http:// or https:// with a host, no spaces
 *   number    a decimal: -?[0-9]+(.[0-9]+)?
 *   date      YYYY-MM-DD, a real calendar day
 *   tel       digits with + - ( ) . and spaces, at least one digit
 *   file      the id of an uploaded file (answer_files.id), checked by the
 *             form's answer code; here only its shape
 * A definition: key [a-z0-9_]{1,40}, label 1..100 bytes on one line, a
 * known type, 1..100 options of 1..100 bytes each (select, multi only;
 * other types take none), no key twice in one form or list.
 *
 * Everything here is pure (no database, no allocation beyond the caller's
 * out pointers), thread-safe, and returns a reason a caller turns into an
 * error naming the field.
 */
#ifndef JM_FIELD_H
#define JM_FIELD_H

#include "core/core.h"

#define JM_FIELD_KEY_MAX      40
#define JM_FIELD_LABEL_MAX    100   /* bytes of a label or an option */
#define JM_FIELD_OPTIONS_MAX  100   /* options of a select or multi */
#define JM_FIELD_TEXT_MAX     1000  /* code points of a one-line value */
#define JM_FIELD_TEXTAREA_MAX 10000 /* code points of a textarea value */
#define JM_FIELD_URL_MAX      2000  /* bytes of a url */
#define JM_FIELD_TEL_MAX      30    /* bytes of a tel */
#define JM_FIELD_NUMBER_MAX   30    /* bytes of a number */
#define JM_FIELD_EMAIL_MAX    254   /* bytes of an address */

enum jm_field_type {
	JM_FIELD_TEXT,
	JM_FIELD_TEXTAREA,
	JM_FIELD_SELECT,
	JM_FIELD_MULTI,
	JM_FIELD_CHECKBOX,
	JM_FIELD_EMAIL,
	JM_FIELD_URL,
	JM_FIELD_NUMBER,
	JM_FIELD_DATE,
	JM_FIELD_TEL,
	JM_FIELD_FILE,
	JM_FIELD_NTYPES
};
/* A set of types, for a caller that accepts only some (the lists). */
#define JM_FIELD_ALL    ((1u << JM_FIELD_NTYPES) - 1)
#define JM_FIELD_BIT(t) (1u << (t))

/* A field as the engine sees it; forms and lists fill one from their own
 * rows. options may be NULL when noptions is 0. */
struct jm_field {
	const char *key, *label, *type;
	const char *const *options;
	size_t noptions;
	bool required;
};

/* The type's name ("text"…), "" for an out-of-range value. */
const char *jm_field_type_name(enum jm_field_type t);
/* The type named s; false when s (may be NULL) names none. */
bool jm_field_type_parse(const char *s, enum jm_field_type *out);
/* "text, textarea, …" for the types in mask (static storage per mask is
 * not kept: writes into out, at most n bytes). */
void jm_field_types_list(unsigned mask, char *out, size_t n);
/* True when s is [a-z0-9_]{1,40}. */
bool jm_field_key_ok(const char *s);
/* True when the type takes options (select, multi). */
bool jm_field_has_options(enum jm_field_type t);

/* Why the definition f is not a field of the types in mask, or NULL when
 * it is one (an English phrase: "key must be 1 to 40 of a-z, 0-9 and _").
 * Duplicates across fields: jm_field_defs_check. */
const char *jm_field_def_problem(const struct jm_field *f, unsigned mask);
/* Checks n definitions (at most max) and that no key is there twice:
 * JM_OK, or JM_INVALID with err's field set to `field` and a message
 * "field 2 (company): duplicate key". get(i, user) gives the i-th field. */
enum jm_rc jm_field_defs_check(size_t n, size_t max, unsigned mask,
                               void (*get)(size_t i, void *user, struct jm_field *out), void *user,
                               const char *field, struct jm_err *err) JM_WUR;

/* The outcome of checking one value. */
enum jm_field_value {
	JM_FV_OK,
	JM_FV_REQUIRED,     /* a required field left empty */
	JM_FV_TOO_LONG,     /* over the type's length or not on one line */
	JM_FV_NOT_OPTION,   /* select/multi: not one of the options */
	JM_FV_NOT_CHECKBOX, /* checkbox: a spelling jm_field_checkbox_value does not know */
	JM_FV_EMAIL,
	JM_FV_URL,
	JM_FV_NUMBER,
	JM_FV_DATE,
	JM_FV_TEL,
	JM_FV_FILE,
	JM_FV_NCODES
};

/* Checks one value v (NULL reads as "") of field f. Empty is allowed
 * unless f->required. from_form: a checkbox spelling that
 * jm_field_checkbox_value does not know counts as ticked (a browser sends
 * a ticked box's value attribute, whatever it is); otherwise it is
 * JM_FV_NOT_CHECKBOX. Leading and trailing spaces of a one-line value are
 * not trimmed here. On JM_FV_OK *out is the value to store: v itself, or
 * "1"/"" for a checkbox (static strings). A multi field's values are
 * checked one by one with this, and its "required" with
 * jm_field_multi_check. */
enum jm_field_value jm_field_value_check(const struct jm_field *f, const char *v, bool from_form,
                                         const char **out);
/* A multi field's n values: each an option, no option twice, at least
 * one when required. */
enum jm_field_value jm_field_multi_check(const struct jm_field *f, const char *const *v, size_t n);
/* The English message for a value refused with code c, naming the label
 * ("会社名 is required"), into out (n bytes). */
void jm_field_value_msg(const struct jm_field *f, enum jm_field_value c, char *out, size_t n);
/* A stable code for c ("required", "too_long", "not_option", …), for the
 * catalog ("field.err.<code>") and CSV import reports. */
const char *jm_field_value_code(enum jm_field_value c);

/* A checkbox value as a CSV or form spells it: "1" for 1, true, yes, y,
 * on, checked, はい, ✓, ✔, ☑, ○, 〇, １; "" for empty, 0, false, no, n,
 * off, いいえ, ×, ✗, ☐, ０ (ASCII case ignored); NULL for anything else. */
const char *jm_field_checkbox_value(const char *v);

/* Normalises an email in place (trim, lower-case) and checks its shape:
 * 3..254 bytes, one '@' with something before it and a dotted domain
 * after it, no spaces, controls, <>",; — the one address rule
 * (auth_email_normalize is this). */
bool jm_email_normalize(char *email);

/* The options stored one per line (list_fields.options, form_fields.options)
 * as an arena array in *out (NULL-terminated; empty lines skipped); returns
 * how many. s NULL counts as "". */
size_t jm_field_options_split(struct arena *a, const char *s, const char ***out);

#endif
