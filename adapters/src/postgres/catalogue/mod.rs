//! The catalogue on PostgreSQL: records one at a time ([`records`], the API's reads and
//! writes) and the seeder's bulk load ([`load`]).

mod load;
mod records;
