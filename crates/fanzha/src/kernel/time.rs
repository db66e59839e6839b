//! Times typed by people: a local date and time in the zone of the person typing, read once into
//! UTC milliseconds (times are stored in UTC and shown in the viewer's zone).

use chrono::{NaiveDate, NaiveDateTime};
use chrono_tz::Tz;

/// The zone of an IANA name such as `Asia/Shanghai`; Asia/Shanghai when unknown.
pub fn zone(name: &str) -> Tz {
    name.parse().unwrap_or(chrono_tz::Asia::Shanghai)
}

/// Parses a time: RFC 3339 with an offset ("2025-03-01T14:30:00+08:00"), or a local date and time
/// in `tz`: "2025-03-01 14:30", "2025-03-01T14:30" (a browser's datetime-local field), with or
/// without seconds, "2025/3/1 14:30", or a bare date (local midnight). A local time that falls in a
/// daylight-saving gap is refused; one that occurs twice takes the earlier instant.
pub fn parse_local(s: &str, tz: Tz) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    let s = s.replace('/', "-").replace('T', " ");
    let naive = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&s, f).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })?;
    naive
        .and_local_timezone(tz)
        .earliest()
        .map(|d| d.timestamp_millis())
}

/// A calendar date exactly as the API and date fields write it: "2025-03-01".
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// UTC milliseconds of local midnight starting the date "YYYY-MM-DD" in `tz`.
pub fn day_start(s: &str, tz: Tz) -> Option<i64> {
    let d = parse_date(s)?;
    d.and_hms_opt(0, 0, 0)?
        .and_local_timezone(tz)
        .earliest()
        .map(|t| t.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_follow_the_zone_of_the_person_typing() {
        let sh = zone("Asia/Shanghai");
        let ldn = zone("Europe/London");
        let a = parse_local("2025-03-01 14:30", sh).unwrap();
        assert_eq!(parse_local("2025-03-01T14:30", sh), Some(a));
        assert_eq!(parse_local("2025/3/1 14:30:00", sh), Some(a));
        assert_eq!(parse_local("2025-03-01T14:30:00+08:00", ldn), Some(a));
        assert_eq!(parse_local("2025-03-01 06:30", ldn), Some(a));
        assert_eq!(
            parse_local("2025-03-01", sh),
            parse_local("2025-03-01 00:00", sh)
        );
        // A gap in London's spring-forward hour.
        assert_eq!(parse_local("2025-03-30 01:30", ldn), None);
        for bad in ["", "yesterday", "2025-13-01 10:00", "2025-02-30"] {
            assert_eq!(parse_local(bad, sh), None, "{bad:?}");
        }
        assert_eq!(zone("Nowhere/Else"), chrono_tz::Asia::Shanghai);
        assert!(parse_date("2025-03-01").is_some());
        assert_eq!(parse_date("2025/03/01"), None);
    }
}
