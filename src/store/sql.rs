//! The few shapes every query takes, written once over a connection (a transaction derefs to
//! one): each names what it was doing for the error, and statements are cached.

use rusqlite::{Connection, OptionalExtension, Params, Row};

use super::{Result, StoreError};

/// Every row of a query, each made by `row`.
pub(super) fn all<T>(
    conn: &Connection,
    doing: &'static str,
    sql: &str,
    params: impl Params,
    row: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql).map_err(StoreError::wrap(doing))?;
    stmt.query_map(params, row).and_then(|rows| rows.collect()).map_err(StoreError::wrap(doing))
}

/// The first row of a query, if there is one.
pub(super) fn opt<T>(
    conn: &Connection,
    doing: &'static str,
    sql: &str,
    params: impl Params,
    row: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Option<T>> {
    let mut stmt = conn.prepare_cached(sql).map_err(StoreError::wrap(doing))?;
    stmt.query_row(params, row).optional().map_err(StoreError::wrap(doing))
}

/// The one row of a query: no row is an error.
pub(super) fn one<T>(
    conn: &Connection,
    doing: &'static str,
    sql: &str,
    params: impl Params,
    row: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<T> {
    let mut stmt = conn.prepare_cached(sql).map_err(StoreError::wrap(doing))?;
    stmt.query_row(params, row).map_err(StoreError::wrap(doing))
}

/// Whether a query has a row.
pub(super) fn exists(conn: &Connection, doing: &'static str, sql: &str, params: impl Params) -> Result<bool> {
    opt(conn, doing, sql, params, |_| Ok(())).map(|found| found.is_some())
}

/// Runs a statement; returns how many rows it changed.
pub(super) fn exec(conn: &Connection, doing: &'static str, sql: &str, params: impl Params) -> Result<usize> {
    let mut stmt = conn.prepare_cached(sql).map_err(StoreError::wrap(doing))?;
    stmt.execute(params).map_err(StoreError::wrap(doing))
}
