/* Fixture: beta writes its own table. */
static const char *const sql[] = {"UPDATE pears SET id = id + 1"};
