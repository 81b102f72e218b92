//! Rows written many a statement: a row's values ([`Cell`]) and each back end's
//! multi-row `INSERT` ([`insert_sqlite`], [`insert_postgres`]).
//!
//! On SQLite the rows go out as one `VALUES` list a statement. On PostgreSQL each
//! column goes out as one array and the rows are `UNNEST`ed from them, so a table's
//! statement has the same text whatever the number of rows: it is parsed and planned
//! once per connection and kept (sqlx's statement cache), where a `VALUES` list of a
//! new length was a new statement to parse, describe and plan, a round trip more each
//! time, and with every length of every table a statement of its own the cache turned
//! over (bench/README.md, intake).

use sqlx::{PgConnection, SqliteConnection};

use crate::{Result, StoreError};

/// The most rows one SQLite `INSERT` writes (under SQLite's limit of 32,766 bound
/// parameters; PostgreSQL's rows go out as arrays, with no such limit), and the most
/// values a bound `IN` list holds on either back end.
pub(crate) const ROWS_PER_INSERT: usize = 500;

/// A value of a row written with others, bound as its column's type.
#[derive(Debug, Clone)]
pub(crate) enum Cell {
    /// Text.
    Text(String),
    /// Text or `NULL`.
    MaybeText(Option<String>),
    /// An integer.
    Int(i64),
    /// An integer or `NULL`.
    MaybeInt(Option<i64>),
    /// A boolean.
    Bool(bool),
    /// Bytes.
    Bytes(Vec<u8>),
}

impl From<String> for Cell {
    fn from(text: String) -> Cell {
        Cell::Text(text)
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Cell {
        Cell::Text(text.to_owned())
    }
}

impl From<&String> for Cell {
    fn from(text: &String) -> Cell {
        Cell::Text(text.clone())
    }
}

impl From<Option<String>> for Cell {
    fn from(text: Option<String>) -> Cell {
        Cell::MaybeText(text)
    }
}

impl From<Option<&str>> for Cell {
    fn from(text: Option<&str>) -> Cell {
        Cell::MaybeText(text.map(str::to_owned))
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Cell {
        Cell::Int(n)
    }
}

impl From<Option<i64>> for Cell {
    fn from(n: Option<i64>) -> Cell {
        Cell::MaybeInt(n)
    }
}

impl From<bool> for Cell {
    fn from(flag: bool) -> Cell {
        Cell::Bool(flag)
    }
}

impl From<Vec<u8>> for Cell {
    fn from(bytes: Vec<u8>) -> Cell {
        Cell::Bytes(bytes)
    }
}

/// Writes `rows` (each its cells in the statement's column order) with `head`
/// (`INSERT INTO t (columns) `) and `tail` (e.g. an `ON CONFLICT` clause), at most
/// [`ROWS_PER_INSERT`] rows a statement.
pub(crate) async fn insert_sqlite(
    connection: &mut SqliteConnection,
    head: &str,
    tail: &str,
    rows: &[&[Cell]],
) -> Result<()> {
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        sqlx::QueryBuilder::<sqlx::Sqlite>::new(head)
            .push_values(chunk, |mut row, cells| {
                for cell in cells.iter() {
                    match cell {
                        Cell::Text(text) => row.push_bind(text.as_str()),
                        Cell::MaybeText(text) => row.push_bind(text.as_deref()),
                        Cell::Int(n) => row.push_bind(*n),
                        Cell::MaybeInt(n) => row.push_bind(*n),
                        Cell::Bool(flag) => row.push_bind(*flag),
                        Cell::Bytes(bytes) => row.push_bind(bytes.as_slice()),
                    };
                }
            })
            .push(tail)
            .build()
            .execute(&mut *connection)
            .await?;
    }
    Ok(())
}

/// [`insert_sqlite`] on PostgreSQL: every row in one statement, `head` then `SELECT *
/// FROM UNNEST($1::text[], $2::int8[], …)` (a column's array type from its cells)
/// then `tail`.
pub(crate) async fn insert_postgres(
    connection: &mut PgConnection,
    head: &str,
    tail: &str,
    rows: &[&[Cell]],
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let columns = columns_of(rows).ok_or_else(|| {
        StoreError::Database(sqlx::Error::Encode(
            format!("rows of differing columns for `{}`", head.trim()).into(),
        ))
    })?;
    let statement = unnest_statement(head, tail, &columns);
    let mut query = sqlx::query(&statement);
    for column in columns {
        query = match column {
            Column::Text(values) => query.bind(values),
            Column::Int(values) => query.bind(values),
            Column::Bool(values) => query.bind(values),
            Column::Bytes(values) => query.bind(values),
        };
    }
    query.execute(connection).await?;
    Ok(())
}

/// The columns of `rows` (at least one), each the array of its values; `None` when the
/// rows' cells do not agree, column by column, in number and type (a defect of the
/// caller, answered rather than written).
fn columns_of<'a>(rows: &[&'a [Cell]]) -> Option<Vec<Column<'a>>> {
    let mut columns: Vec<Column<'a>> =
        rows.first()?.iter().map(|cell| Column::of(cell, rows.len())).collect();
    for row in rows {
        if row.len() != columns.len() {
            return None;
        }
        for (column, cell) in columns.iter_mut().zip(row.iter()) {
            column.push(cell)?;
        }
    }
    Some(columns)
}

/// The statement writing `columns` as rows: `head`, `SELECT * FROM UNNEST($1::text[],
/// …)`, `tail`. Its text depends on the columns' types, never on how many rows.
fn unnest_statement(head: &str, tail: &str, columns: &[Column<'_>]) -> String {
    let arrays: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, column)| format!("${}::{}", i + 1, column.array_type()))
        .collect();
    format!("{head}SELECT * FROM UNNEST({}){tail}", arrays.join(", "))
}

/// One column of rows, as the array PostgreSQL receives.
enum Column<'a> {
    /// `text[]`.
    Text(Vec<Option<&'a str>>),
    /// `int8[]`.
    Int(Vec<Option<i64>>),
    /// `bool[]`.
    Bool(Vec<bool>),
    /// `bytea[]`.
    Bytes(Vec<&'a [u8]>),
}

impl<'a> Column<'a> {
    /// An empty column of `cell`'s type, room for `rows` values.
    fn of(cell: &Cell, rows: usize) -> Column<'a> {
        match cell {
            Cell::Text(_) | Cell::MaybeText(_) => Column::Text(Vec::with_capacity(rows)),
            Cell::Int(_) | Cell::MaybeInt(_) => Column::Int(Vec::with_capacity(rows)),
            Cell::Bool(_) => Column::Bool(Vec::with_capacity(rows)),
            Cell::Bytes(_) => Column::Bytes(Vec::with_capacity(rows)),
        }
    }

    /// Adds `cell`'s value; `None` if it is not of the column's type.
    fn push(&mut self, cell: &'a Cell) -> Option<()> {
        match (self, cell) {
            (Column::Text(values), Cell::Text(text)) => values.push(Some(text)),
            (Column::Text(values), Cell::MaybeText(text)) => values.push(text.as_deref()),
            (Column::Int(values), Cell::Int(n)) => values.push(Some(*n)),
            (Column::Int(values), Cell::MaybeInt(n)) => values.push(*n),
            (Column::Bool(values), Cell::Bool(flag)) => values.push(*flag),
            (Column::Bytes(values), Cell::Bytes(bytes)) => values.push(bytes),
            _ => return None,
        }
        Some(())
    }

    /// The array's PostgreSQL type, as the statement casts its parameter.
    fn array_type(&self) -> &'static str {
        match self {
            Column::Text(_) => "text[]",
            Column::Int(_) => "int8[]",
            Column::Bool(_) => "bool[]",
            Column::Bytes(_) => "bytea[]",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, n: Option<i64>, flag: bool) -> Vec<Cell> {
        vec![id.into(), Cell::MaybeInt(n), flag.into(), Cell::Bytes(id.as_bytes().to_vec())]
    }

    #[test]
    fn a_postgresql_statement_is_the_same_text_for_any_number_of_rows() {
        let (one, three) = (
            vec![row("a", Some(1), true)],
            vec![row("a", None, false), row("b", Some(2), true), row("c", None, true)],
        );
        let text = |rows: &[Vec<Cell>]| {
            let rows: Vec<&[Cell]> = rows.iter().map(Vec::as_slice).collect();
            unnest_statement(
                "INSERT INTO t (id, n, flag, body) ",
                " ON CONFLICT DO NOTHING",
                &columns_of(&rows).expect("columns"),
            )
        };
        assert_eq!(text(&one), text(&three));
        assert_eq!(
            text(&one),
            "INSERT INTO t (id, n, flag, body) SELECT * FROM UNNEST($1::text[], $2::int8[], $3::bool[], $4::bytea[]) ON CONFLICT DO NOTHING"
        );
    }

    #[test]
    fn rows_that_disagree_in_a_columns_type_or_their_number_are_refused() {
        let good = row("a", Some(1), true);
        let mut other_type = row("b", Some(2), true);
        other_type[1] = "2".into();
        let shorter = vec![Cell::from("c")];
        assert!(columns_of(&[good.as_slice(), other_type.as_slice()]).is_none());
        assert!(columns_of(&[good.as_slice(), shorter.as_slice()]).is_none());
        let columns = columns_of(&[good.as_slice(), good.as_slice()]).expect("columns");
        assert!(matches!(&columns[1], Column::Int(values) if values == &[Some(1), Some(1)]));
    }
}
