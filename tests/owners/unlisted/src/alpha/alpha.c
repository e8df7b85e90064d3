/* Fixture for scripts/check-owners --self-test: alpha writes only its own
 * table (lower-case prose is not SQL; DO UPDATE SET is not a table). */
static const char *const sql[] = {
        "INSERT INTO apples(id) VALUES (?) ON CONFLICT(id) DO UPDATE SET id = "
        "excluded.id",
        "CREATE TEMP TABLE IF NOT EXISTS scratch(x)", "INSERT INTO temp.scratch(x) VALUES (1)",
        "please update pears later", "DELETE "
                                     "FROM apples WHERE id = ?",
};
