/*
 * form.c — forms and their fields (forms.h). The kind names here; the
 * rest of a form's life is being built (issue 11).
 */
#include "forms/forms.h"

#include <string.h>

static const char *const KINDS[] = {"ask", "job", "event"};

const char *forms_kind_name(enum forms_kind k)
{
	return (size_t)k < sizeof(KINDS) / sizeof(KINDS[0]) ? KINDS[k] : "";
}

bool forms_kind_parse(const char *s, enum forms_kind *out)
{
	for (size_t i = 0; s && i < sizeof(KINDS) / sizeof(KINDS[0]); i++)
		if (strcmp(s, KINDS[i]) == 0) {
			*out = (enum forms_kind)i;
			return true;
		}
	return false;
}
