//! The statements of [`Store::orgs_page`](crate::Store::orgs_page): organisations by id
//! after a cursor, entered through an index (public for the EXPLAIN test).

/// Organisations of one status (`$1`) after id `$2`, at most `$3`.
pub const OF_STATUS: &str = "SELECT * FROM organisations WHERE status = $1 AND id > $2 ORDER BY id LIMIT $3";

/// Organisations of every status after id `$2`, at most `$3` (`$1` is the empty status).
pub const ANY_STATUS: &str = "SELECT * FROM organisations WHERE $1 = '' AND id > $2 ORDER BY id LIMIT $3";
