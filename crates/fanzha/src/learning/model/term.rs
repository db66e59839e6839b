//! The school calendar's terms.

use super::{problem, Problems};
use crate::clock::Millis;
use crate::kernel::ids::UnitId;

/// A term of a school's calendar: academic year (2026 = 2026–2027) and semester, from its first
/// day to the day after its last (China Standard Time midnights, stored UTC).
#[derive(Clone, Debug, serde::Serialize)]
pub struct Term {
    pub id: i64,
    pub school_id: UnitId,
    pub academic_year: i64,
    /// 1 autumn, 2 spring, 3 summer.
    pub semester: i64,
    pub starts_at: Millis,
    pub ends_at: Millis,
}

const CST: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

impl Term {
    /// "2026-2027-1", as academic affairs write it (and the export's file name).
    pub fn code(&self) -> String {
        format!(
            "{}-{}-{}",
            self.academic_year,
            self.academic_year + 1,
            self.semester
        )
    }
    /// The first day, "2026-09-01".
    pub fn first_day(&self) -> String {
        day_of(self.starts_at)
    }
    /// The last day (the day before `ends_at`).
    pub fn last_day(&self) -> String {
        day_of(self.ends_at - 1)
    }
}

fn day_of(at: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(at)
        .map(|d| d.with_timezone(&CST).format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// A term as the school admin types it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewTerm {
    pub academic_year: i64,
    pub semester: i64,
    pub starts_at: Millis,
    pub ends_at: Millis,
}

impl NewTerm {
    /// Academic year 2000–2100, semester 1–3, first and last day as "YYYY-MM-DD"; the term starts
    /// in its academic year or the next calendar year, lasts 1 to 250 days.
    pub fn parse(year: &str, semester: &str, first: &str, last: &str) -> Result<NewTerm, Problems> {
        let mut p = Problems::new();
        let academic_year = year
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .unwrap_or_else(|| {
                p.push(problem("err-learning-term-academic-year"));
                0
            });
        let semester = semester
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|s| (1..=3).contains(s))
            .unwrap_or_else(|| {
                p.push(problem("err-learning-term-semester"));
                0
            });
        let starts_at = crate::kernel::time::day_start(first, CST);
        let ends_at = crate::kernel::time::day_start(last, CST).map(|d| d + 86_400_000);
        match (starts_at, ends_at) {
            (Some(s), Some(e)) if p.is_empty() => {
                let days = (e - s) / 86_400_000;
                let start_year: i64 = day_of(s)[..4].parse().unwrap_or_default();
                if !(1..=250).contains(&days) {
                    p.push(problem("err-learning-term-length"));
                } else if start_year != academic_year && start_year != academic_year + 1 {
                    p.push(problem("err-learning-term-year"));
                }
                if p.is_empty() {
                    return Ok(NewTerm {
                        academic_year,
                        semester,
                        starts_at: s,
                        ends_at: e,
                    });
                }
            }
            (Some(_), Some(_)) => {}
            _ => p.push(problem("err-learning-term-dates")),
        }
        Err(p)
    }
}

#[cfg(test)]
mod term_tests {
    use super::*;

    #[test]
    fn a_term_is_read_as_china_dates_and_bad_ones_are_refused() {
        let t = NewTerm::parse("2026", "1", "2026-09-01", "2027-01-17").unwrap();
        assert_eq!(t.ends_at - t.starts_at, 139 * 86_400_000);
        let term = Term {
            id: 1,
            school_id: UnitId(1),
            academic_year: 2026,
            semester: 1,
            starts_at: t.starts_at,
            ends_at: t.ends_at,
        };
        assert_eq!(
            (term.code(), term.first_day(), term.last_day()),
            (
                "2026-2027-1".to_string(),
                "2026-09-01".to_string(),
                "2027-01-17".to_string()
            )
        );
        for (y, s, a, b) in [
            ("2026", "4", "2026-09-01", "2027-01-17"),
            ("2026", "1", "2027-01-17", "2026-09-01"),
            ("2026", "1", "2026-09-01", "2027-12-31"),
            ("2026", "1", "2030-09-01", "2030-12-31"),
            ("2026", "1", "九月", "2027-01-17"),
            ("20x6", "1", "2026-09-01", "2027-01-17"),
        ] {
            assert!(NewTerm::parse(y, s, a, b).is_err(), "{y} {s} {a} {b}");
        }
    }
}
