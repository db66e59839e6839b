//! Typed ids for the rows passed most between modules: an account, a student on a roster, a unit
//! (school, college, class, police station…), a report, a warning and a case.
//!
//! Each is a plain `i64` underneath (the database's key) but cannot be mixed up with another: a
//! function taking a [`CaseId`] does not compile with a [`WarningId`]. They bind and read back as
//! `BIGINT` on both databases, serialise as bare numbers in JSON and in the OpenAPI document, and
//! parse from path segments.
//!
//! ```
//! use fanzha::kernel::ids::{CaseId, WarningId};
//! let case: CaseId = "42".parse().unwrap();
//! assert_eq!(case.get(), 42);
//! assert_eq!(case.to_string(), "42");
//! assert_eq!(serde_json::to_string(&case).unwrap(), "42");
//! assert!("x".parse::<WarningId>().is_err());
//! ```

use sqlx::any::{Any, AnyTypeInfo, AnyValueRef};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::Database;
use sqlx::{Decode, Encode, Type};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
        )]
        #[serde(transparent)]
        #[schema(value_type = i64)]
        pub struct $name(pub i64);

        impl $name {
            /// The key as stored.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl From<i64> for $name {
            fn from(v: i64) -> Self {
                Self(v)
            }
        }

        impl From<$name> for i64 {
            fn from(v: $name) -> i64 {
                v.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map(Self)
            }
        }

        impl Type<Any> for $name {
            fn type_info() -> AnyTypeInfo {
                <i64 as Type<Any>>::type_info()
            }
            fn compatible(ty: &AnyTypeInfo) -> bool {
                <i64 as Type<Any>>::compatible(ty)
            }
        }

        impl<'q> Encode<'q, Any> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut <Any as Database>::ArgumentBuffer<'q>,
            ) -> Result<IsNull, BoxDynError> {
                <i64 as Encode<'q, Any>>::encode_by_ref(&self.0, buf)
            }
        }

        impl<'r> Decode<'r, Any> for $name {
            fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
                <i64 as Decode<'r, Any>>::decode(value).map(Self)
            }
        }
    };
}

id_type!(
    /// An account that signs in (`accounts.id`).
    AccountId
);
id_type!(
    /// A student on a school's roster (`students.id`).
    StudentId
);
id_type!(
    /// A unit of the organisation tree: province, city, police station, school, college, class
    /// (`units.id`).
    UnitId
);
id_type!(
    /// A fraud report filed by a student or staff (`reports.id`).
    ReportId
);
id_type!(
    /// A police early warning (`warnings.id`).
    WarningId
);
id_type!(
    /// A police case (`cases.id`).
    CaseId
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{Db, DbOptions};

    #[tokio::test]
    async fn ids_bind_and_read_back_as_integers() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&DbOptions::sqlite_in(dir.path()))
            .await
            .unwrap();
        let (a, b): (CaseId, i64) = sqlx::query_as("SELECT $1, $2")
            .bind(CaseId(7))
            .bind(WarningId(9))
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(a, CaseId(7));
        assert_eq!(b, 9);
    }
}
