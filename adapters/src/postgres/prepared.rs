//! Raw SQL that PostgreSQL may keep prepared.
//!
//! `diesel::sql_query` marks itself unsafe to cache, so every execution is parsed and planned
//! again; for the order transaction that doubled the database's work (pgbench of the same
//! statements: 3,024 TPS prepared vs 1,760 unprepared at 8 clients). [`Prepared`] is the same
//! idea — SQL text with bound values — but its text is fixed per call site, so diesel's
//! statement cache keys it by that text and reuses the prepared statement.
//!
//! Use it only for statements whose plan does not depend on the values (the order
//! transaction's primary-key lookups); searches keep `sql_query`, where a generic plan chosen
//! for one word could be wrong for another.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{HasSqlType, Untyped};
use diesel::QueryResult;

/// One bound value of SQL type `ST`.
struct Bound<ST, V> {
    value: V,
    sql_type: std::marker::PhantomData<ST>,
}

impl<ST, V> QueryFragment<Pg> for Bound<ST, V>
where
    Pg: HasSqlType<ST>,
    V: ToSql<ST, Pg>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_bind_param::<ST, V>(&self.value)
    }
}

/// A bound value of any SQL type.
type BoxedBind<'a> = Box<dyn QueryFragment<Pg> + Send + 'a>;

/// SQL text interleaved with bound values (`$1`, `$2`, … are generated in order).
pub(crate) struct Prepared<'a> {
    parts: Vec<(&'static str, Option<BoxedBind<'a>>)>,
}

impl<'a> Prepared<'a> {
    /// Starts with `sql`.
    pub(crate) fn new(sql: &'static str) -> Self {
        Self {
            parts: vec![(sql, None)],
        }
    }

    /// Appends a placeholder bound to `value`.
    pub(crate) fn bind<ST, V>(mut self, value: V) -> Self
    where
        ST: Send + 'a,
        Pg: HasSqlType<ST>,
        V: ToSql<ST, Pg> + Send + 'a,
    {
        self.parts.push((
            "",
            Some(Box::new(Bound::<ST, V> {
                value,
                sql_type: std::marker::PhantomData,
            })),
        ));
        self
    }

    /// Appends SQL text.
    pub(crate) fn sql(mut self, sql: &'static str) -> Self {
        self.parts.push((sql, None));
        self
    }
}

impl QueryFragment<Pg> for Prepared<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        for (sql, bind) in &self.parts {
            out.push_sql(sql);
            if let Some(bind) = bind {
                bind.walk_ast(out.reborrow())?;
            }
        }
        Ok(())
    }
}

impl QueryId for Prepared<'_> {
    type QueryId = ();
    // No static id: the statement cache keys this query by its SQL text instead.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Prepared<'_> {
    type SqlType = Untyped;
}
