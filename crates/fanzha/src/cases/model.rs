//! Types of the cases module: channels, statuses, money, local days and months, and the input of a
//! case as it arrives from a form, a CSV line or the API.

use crate::kernel::ids::{AccountId, CaseId, ReportId, StudentId, UnitId};
use chrono::{Datelike, NaiveDate};
use fanzha_detect::FraudType;

/// The zone that defines the day, hour, weekday, month and year of every figure (summaries,
/// analysis, streaks, briefing months, the ranking year): China Standard Time, one definition for
/// every viewer, because the summaries are kept by that day. Asia/Shanghai has been UTC+8 all year
/// since 1991 (checked by a test), so the summaries use the fixed offset.
pub const STATS_TZ: chrono_tz::Tz = chrono_tz::Asia::Shanghai;
pub const TZ_OFFSET_MS: i64 = 8 * 3_600_000;
pub const DAY_MS: i64 = 86_400_000;

/// How the fraudster first reached the victim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Phone,
    Sms,
    Qq,
    Wechat,
    Game,
    Shopping,
    Dating,
    Other,
}

impl Channel {
    pub const ALL: [Channel; 8] = [
        Channel::Phone,
        Channel::Sms,
        Channel::Qq,
        Channel::Wechat,
        Channel::Game,
        Channel::Shopping,
        Channel::Dating,
        Channel::Other,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Phone => "phone",
            Channel::Sms => "sms",
            Channel::Qq => "qq",
            Channel::Wechat => "wechat",
            Channel::Game => "game",
            Channel::Shopping => "shopping",
            Channel::Dating => "dating",
            Channel::Other => "other",
        }
    }
    /// Accepts the ids and the Chinese names used in police spreadsheets.
    pub fn parse(s: &str) -> Option<Channel> {
        let s = s.trim().to_ascii_lowercase();
        Channel::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .or(match s.as_str() {
                "电话" => Some(Channel::Phone),
                "短信" => Some(Channel::Sms),
                "微信" => Some(Channel::Wechat),
                "游戏平台" | "游戏" => Some(Channel::Game),
                "购物平台" | "购物" => Some(Channel::Shopping),
                "婚恋交友" | "交友软件" | "婚恋" => Some(Channel::Dating),
                "其他" => Some(Channel::Other),
                _ => None,
            })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    Open,
    Solved,
    Closed,
}

impl std::fmt::Display for CaseStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl CaseStatus {
    /// A stored status, exactly as written (no defaults, no synonyms).
    pub fn from_stored(s: &str) -> Option<CaseStatus> {
        CaseStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }
    pub const ALL: [CaseStatus; 3] = [CaseStatus::Open, CaseStatus::Solved, CaseStatus::Closed];
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Open => "open",
            CaseStatus::Solved => "solved",
            CaseStatus::Closed => "closed",
        }
    }
    pub fn parse(s: &str) -> Option<CaseStatus> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "open" | "立案" | "侦办中" => Some(CaseStatus::Open),
            "solved" | "已破案" | "破案" => Some(CaseStatus::Solved),
            "closed" | "结案" | "已结案" => Some(CaseStatus::Closed),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VictimRole {
    Student,
    Staff,
    Other,
}

impl VictimRole {
    pub fn as_str(self) -> &'static str {
        match self {
            VictimRole::Student => "student",
            VictimRole::Staff => "staff",
            VictimRole::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Option<VictimRole> {
        match s.trim().to_ascii_lowercase().as_str() {
            "student" | "学生" => Some(VictimRole::Student),
            "staff" | "教职工" | "教师" => Some(VictimRole::Staff),
            "" | "other" | "其他" => Some(VictimRole::Other),
            _ => None,
        }
    }
}

pub use crate::kernel::money::{yuan, Money};

/// The local day number (days since 1970-01-01 in UTC+8) of a UTC millisecond time.
pub fn local_day(ms: i64) -> i64 {
    (ms + TZ_OFFSET_MS).div_euclid(DAY_MS)
}

pub fn date_of_day(day: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + chrono::Duration::days(day)
}

pub fn day_of_date(d: NaiveDate) -> i64 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days()
}

/// UTC milliseconds of local midnight starting `d`.
pub fn ms_of_date(d: NaiveDate) -> i64 {
    day_of_date(d) * DAY_MS - TZ_OFFSET_MS
}

pub fn local_date(ms: i64) -> NaiveDate {
    date_of_day(local_day(ms))
}

/// A viewer's zone from the account's `time_zone` (Asia/Shanghai when unknown).
pub fn zone(name: &str) -> chrono_tz::Tz {
    name.parse().unwrap_or(STATS_TZ)
}

/// "YYYY-MM-DD HH:MM" in the zone `tz` (the viewer's).
pub fn fmt_local(ms: i64, tz: chrono_tz::Tz) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// The calendar date of a UTC millisecond time in the zone `tz` (the viewer's "today").
pub fn date_in(ms: i64, tz: chrono_tz::Tz) -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.with_timezone(&tz).date_naive())
        .unwrap_or_else(|| local_date(ms))
}

pub use crate::kernel::time::{parse_date, parse_local as parse_local_time};

/// A calendar month, "YYYY-MM".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    pub fn parse(s: &str) -> Option<Month> {
        let (y, m) = s.trim().split_once('-')?;
        let (year, month) = (y.parse().ok()?, m.parse().ok()?);
        ((1900..=9999).contains(&year) && (1..=12).contains(&month))
            .then_some(Month { year, month })
    }
    pub fn of(d: NaiveDate) -> Month {
        Month {
            year: d.year(),
            month: d.month(),
        }
    }
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("valid month")
    }
    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }
    pub fn index(self) -> i64 {
        self.year as i64 * 12 + self.month as i64 - 1
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// The same date one year earlier (29 February becomes 28 February).
pub fn year_before(d: NaiveDate) -> NaiveDate {
    d.with_year(d.year() - 1)
        .or_else(|| NaiveDate::from_ymd_opt(d.year() - 1, d.month(), 28))
        .expect("valid date")
}

/// One indicator named on a case, as given (canonicalised by the service).
#[derive(Clone, Debug, Default, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
pub struct IndicatorIn {
    pub kind: String,
    pub value: String,
}

/// A case as typed on the form, read from a CSV line, or posted to the API. Every field is text so
/// all three paths share one parser and one set of messages.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CaseInput {
    /// Code of the victim's school, or of a college/class in it.
    pub unit: String,
    /// Student number of the victim (links the person; grade, major and gender come from the roster).
    pub student_no: String,
    /// Staff number of the victim (links the person).
    pub staff_no: String,
    /// student | staff | other (when no person is linked).
    pub victim_role: String,
    /// Year of enrolment (grade) when no student is linked.
    pub enroll_year: String,
    pub major: String,
    /// male | female | unknown (or 男/女).
    pub gender: String,
    /// fanzha-detect fraud type id, e.g. `rebate_task`.
    pub fraud_type: String,
    /// phone | sms | qq | wechat | game | shopping | dating | other.
    pub channel: String,
    /// Local time in the time zone of the account entering the case, "2025-02-14 21:30"
    /// (Asia/Shanghai by default), or RFC 3339 with an offset, "2025-02-14T21:30:00+08:00".
    pub occurred_at: String,
    /// Yuan, e.g. "12000.50".
    pub amount_lost: String,
    pub amount_recovered: String,
    /// open | solved | closed.
    pub status: String,
    /// Anonymised account of the case, used in briefings.
    pub narrative: String,
    pub indicators: Vec<IndicatorIn>,
    /// The person's role: victim (default), suspect (of 帮信 / 两卡: lent, rented or sold an
    /// account) or both.
    pub person_role: String,
    /// For a suspect: the kind of account lent (bank_card, phone_card, im_account,
    /// payment_account).
    pub lent_account: String,
}

/// Parses "phone:13800001111; url:http://x.cn" (also one per line) into indicators.
pub fn parse_indicator_list(s: &str) -> Vec<IndicatorIn> {
    s.split(['\n', ';', '；'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p
                .split_once([':', '：'])
                .map(|(k, v)| (k.trim(), v.trim()))
                .unwrap_or(("", p));
            IndicatorIn {
                kind: k.to_string(),
                value: v.to_string(),
            }
        })
        .collect()
}

/// A stored case.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Case {
    pub id: CaseId,
    pub school_id: UnitId,
    pub school_code: String,
    pub school_name: String,
    pub unit_id: UnitId,
    pub unit_code: String,
    pub unit_path: String,
    pub victim_student_id: Option<StudentId>,
    pub victim_staff_id: Option<i64>,
    pub victim_role: String,
    pub victim_enroll_year: Option<i64>,
    pub victim_major: Option<String>,
    pub victim_gender: Option<String>,
    #[schema(value_type = String, example = "rebate_task")]
    pub fraud_type: FraudType,
    pub channel: String,
    pub occurred_at: i64,
    pub amount_lost_cents: i64,
    pub amount_recovered_cents: i64,
    #[schema(value_type = String, example = "open")]
    pub status: CaseStatus,
    pub narrative: String,
    pub report_id: Option<ReportId>,
    pub created_by: AccountId,
    pub created_at: i64,
    pub updated_at: i64,
    pub indicators: Vec<IndicatorIn>,
    /// victim, suspect or both.
    pub person_role: String,
    /// The kind of account a suspect lent.
    pub lent_account: Option<String>,
}

/// A case checked and resolved against the org tree, ready to store.
#[derive(Clone, Debug)]
pub struct ValidCase {
    pub school_id: UnitId,
    pub unit_id: UnitId,
    pub unit_path: String,
    pub victim_student_id: Option<StudentId>,
    pub victim_staff_id: Option<i64>,
    pub victim_role: VictimRole,
    pub victim_enroll_year: Option<i64>,
    pub victim_major: Option<String>,
    pub victim_gender: Option<String>,
    pub fraud_type: fanzha_detect::FraudType,
    pub channel: Channel,
    pub occurred_at: i64,
    pub amount_lost: Money,
    pub amount_recovered: Money,
    pub status: CaseStatus,
    pub narrative: String,
    pub indicators: Vec<(String, String)>,
    pub person_role: crate::mules::model::PersonRole,
    pub lent_account: Option<crate::mules::model::AccountKind>,
}

// ---- Inputs of pages and API ----

/// A number given as JSON number or text.
fn text_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = <serde_json::Value as serde::Deserialize>::deserialize(d)?;
    Ok(match v {
        serde_json::Value::String(s) => s,
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    })
}

/// The entered KPI of one unit and month: arrests. Solved cases, money frozen, losses avoided and
/// money returned are derived from the records; a non-zero value for them is refused (422).
#[derive(serde::Deserialize, utoipa::ToSchema, Default)]
pub struct KpiInput {
    /// Police unit code (default: your own).
    #[serde(default)]
    pub unit: String,
    /// "YYYY-MM".
    pub month: String,
    #[serde(default, deserialize_with = "text_or_number")]
    pub cases_solved: String,
    #[serde(default, deserialize_with = "text_or_number")]
    pub suspects_arrested: String,
    #[serde(default, deserialize_with = "text_or_number")]
    pub funds_frozen: String,
    #[serde(default, deserialize_with = "text_or_number")]
    pub losses_avoided: String,
    #[serde(default, deserialize_with = "text_or_number")]
    pub funds_returned: String,
}

#[derive(serde::Deserialize, utoipa::ToSchema, Default)]
pub struct BriefingInput {
    /// Police station code (default: your own).
    #[serde(default)]
    pub station: String,
    /// "YYYY-MM".
    pub month: String,
    pub title: String,
    /// What to tell students.
    #[serde(default)]
    pub advice: String,
    /// Ids of the month's typical cases, whose anonymised narratives the briefing shows.
    #[serde(default)]
    pub case_ids: Vec<CaseId>,
}

#[derive(serde::Deserialize, utoipa::ToSchema, Default)]
pub struct AwardInput {
    #[serde(default)]
    pub province: String,
    #[schema(minimum = 1970, maximum = 9999)]
    pub year: i32,
    /// School codes, at most 10, each with zero victims that year.
    #[serde(default)]
    #[schema(max_items = 10)]
    pub schools: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_parses_and_refuses_negatives() {
        assert_eq!(Money::parse_or_zero("1234.5"), Money::from_cents(123_450));
        assert_eq!(
            Money::parse_or_zero("¥1,234.56"),
            Money::from_cents(123_456)
        );
        assert_eq!(Money::parse_or_zero("800元"), Money::from_cents(80_000));
        assert_eq!(Money::parse_or_zero(""), Money::from_cents(0));
        assert_eq!(Money::parse_or_zero("-5"), None);
        assert_eq!(Money::parse_or_zero("1.234"), None);
        assert_eq!(Money::parse_or_zero("abc"), None);
        assert_eq!(yuan(123_456_789), "1,234,567.89");
        assert_eq!(yuan(5), "0.05");
    }

    #[test]
    fn local_times_follow_the_given_zone() {
        let sh = STATS_TZ;
        let ms = parse_local_time("2025-03-01 07:59", sh).unwrap();
        assert_eq!(ms, 1_740_787_140_000);
        assert_eq!(fmt_local(ms, sh), "2025-03-01 07:59");
        assert_eq!(local_date(ms), NaiveDate::from_ymd_opt(2025, 3, 1).unwrap());
        assert_eq!(parse_local_time("yesterday", sh), None);
        assert_eq!(
            parse_local_time("2025-03-01", sh),
            Some(ms_of_date(NaiveDate::from_ymd_opt(2025, 3, 1).unwrap()))
        );
        // London, summer time: 23:30 on 31 March is 06:30 on 1 April in China.
        let london = zone("Europe/London");
        let t = parse_local_time("2025-03-31T23:30", london).unwrap();
        assert_eq!(fmt_local(t, sh), "2025-04-01 06:30");
        assert_eq!(fmt_local(t, london), "2025-03-31 23:30");
        assert_eq!(
            date_in(t, london),
            NaiveDate::from_ymd_opt(2025, 3, 31).unwrap()
        );
        assert_eq!(local_date(t), NaiveDate::from_ymd_opt(2025, 4, 1).unwrap());
        assert_eq!(
            parse_local_time("2025-03-31T23:30:00+01:00", sh),
            Some(t),
            "an explicit offset wins over the zone"
        );
        // 01:30 on 30 March 2025 does not exist in London (clocks go forward).
        assert_eq!(parse_local_time("2025-03-30 01:30", london), None);
        assert_eq!(zone("Not/AZone"), STATS_TZ);
    }

    #[test]
    fn china_standard_time_is_utc_plus_8_all_year() {
        use chrono::{Offset, TimeZone};
        for y in 1992..2040 {
            for m in [1, 4, 7, 10] {
                let d = NaiveDate::from_ymd_opt(y, m, 15)
                    .unwrap()
                    .and_hms_opt(12, 0, 0)
                    .unwrap();
                let off = STATS_TZ
                    .offset_from_utc_datetime(&d)
                    .fix()
                    .local_minus_utc();
                assert_eq!(off as i64 * 1000, TZ_OFFSET_MS);
            }
        }
        assert_eq!(
            year_before(NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()),
            NaiveDate::from_ymd_opt(2023, 2, 28).unwrap()
        );
    }

    #[test]
    fn channels_and_indicator_lists() {
        assert_eq!(Channel::parse("微信"), Some(Channel::Wechat));
        assert_eq!(Channel::parse("QQ"), Some(Channel::Qq));
        assert_eq!(Channel::parse("fax"), None);
        let v = parse_indicator_list("phone:13800001111; url：http://a.cn\nqq:12345");
        assert_eq!(v.len(), 3);
        assert_eq!(v[1].kind, "url");
        assert_eq!(v[1].value, "http://a.cn");
    }
}
