//! Rows read into tuples by column name: `db::named(&rows, ["id", "name"])` gives
//! `Vec<(StudentId, String)>`. The small-result reads of the stores (pairs, counts per key) use it
//! instead of positional tuple decoding, so a reordered `SELECT` list is an error, not a swap.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::DbResult;

/// A tuple read from a row by the names of its columns, in order.
pub trait Named<const N: usize>: Sized {
    fn read(row: &AnyRow, cols: [&str; N]) -> Result<Self, sqlx::Error>;
}

macro_rules! named_tuple {
    ($n:literal; $($t:ident $i:tt),+) => {
        impl<$($t),+> Named<$n> for ($($t,)+)
        where
            $($t: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>),+
        {
            fn read(row: &AnyRow, cols: [&str; $n]) -> Result<Self, sqlx::Error> {
                Ok(($(row.try_get::<$t, _>(cols[$i])?,)+))
            }
        }
    };
}

named_tuple!(2; A 0, B 1);
named_tuple!(3; A 0, B 1, C 2);
named_tuple!(4; A 0, B 1, C 2, D 3);
named_tuple!(5; A 0, B 1, C 2, D 3, E 4);
named_tuple!(6; A 0, B 1, C 2, D 3, E 4, F 5);
named_tuple!(7; A 0, B 1, C 2, D 3, E 4, F 5, G 6);

/// Every row as a tuple of the named columns.
pub fn named<T: Named<N>, const N: usize>(rows: &[AnyRow], cols: [&str; N]) -> DbResult<Vec<T>> {
    rows.iter()
        .map(|r| T::read(r, cols))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// The row, if any, as a tuple of the named columns.
pub fn named_opt<T: Named<N>, const N: usize>(
    row: Option<&AnyRow>,
    cols: [&str; N],
) -> DbResult<Option<T>> {
    row.map(|r| T::read(r, cols))
        .transpose()
        .map_err(Into::into)
}

/// The row as a tuple of the named columns.
pub fn named_one<T: Named<N>, const N: usize>(row: &AnyRow, cols: [&str; N]) -> DbResult<T> {
    T::read(row, cols).map_err(Into::into)
}
