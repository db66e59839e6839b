//! Typed ids of the records passed around most, so an account id can never be handed where a
//! student id is expected. Each is the row's integer key, stored and sent as a plain number
//! (bound with `.get()`, read back with the constructor).

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash,
            serde::Serialize, serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.trim().parse().map($name)
            }
        }

        impl From<$name> for i64 {
            fn from(v: $name) -> i64 {
                v.0
            }
        }
    };
}

id_type!(
    /// `accounts.id`: a person or service that signs in.
    AccountId
);
id_type!(
    /// `students.id`: a student on a school's roster.
    StudentId
);
id_type!(
    /// `units.id`: a unit of the tree (province, city, station, school, college, class).
    UnitId
);
id_type!(
    /// `reports.id`: a report filed by a student or staff member.
    ReportId
);
id_type!(
    /// `warnings.id`: an early warning about a person.
    WarningId
);
id_type!(
    /// `cases.id`: a recorded fraud case.
    CaseId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_and_show_as_numbers() {
        let a: AccountId = " 42 ".parse().unwrap();
        assert_eq!(a, AccountId(42));
        assert_eq!(a.to_string(), "42");
        assert_eq!(serde_json::to_string(&StudentId(7)).unwrap(), "7");
        assert_eq!(serde_json::from_str::<CaseId>("9").unwrap(), CaseId(9));
        assert!("x".parse::<ReportId>().is_err());
    }
}
