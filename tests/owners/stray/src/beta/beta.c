/* Fixture: beta writes alpha's table, split over two literals — a stray
 * writer check-owners must report. */
static const char *const sql[] = {"UPDATE pears SET id = id + 1", "DELETE FROM "
                                                                  "apples WHERE id = 1"};
