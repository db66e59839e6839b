//! Types of the campaigns module, each built by parsing so a value that exists is valid.

use std::str::FromStr;

use fanzha_detect::FraudType;
use serde::{Deserialize, Serialize};

/// A refusal of the campaigns domain: a Fluent key (under `camp-err-`) and an optional argument.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{key}")]
pub struct CampError {
    pub key: &'static str,
    pub arg: Option<String>,
}

impl CampError {
    pub fn new(key: &'static str) -> Self {
        CampError { key, arg: None }
    }
    pub fn with(key: &'static str, arg: impl Into<String>) -> Self {
        CampError {
            key,
            arg: Some(arg.into()),
        }
    }
}

pub type CampResult<T> = Result<T, CampError>;

/// What a piece of content is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContentKind {
    Article,
    Video,
    Poster,
    Case,
}

impl ContentKind {
    pub const ALL: [ContentKind; 4] = [
        ContentKind::Article,
        ContentKind::Video,
        ContentKind::Poster,
        ContentKind::Case,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ContentKind::Article => "article",
            ContentKind::Video => "video",
            ContentKind::Poster => "poster",
            ContentKind::Case => "case",
        }
    }
    /// Videos and posters point at a media URL; articles and case write-ups may.
    pub fn needs_media(self) -> bool {
        matches!(self, ContentKind::Video | ContentKind::Poster)
    }
}

impl FromStr for ContentKind {
    type Err = CampError;
    fn from_str(s: &str) -> CampResult<Self> {
        ContentKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| CampError::with("camp-err-kind", s))
    }
}

/// Draft → review → published (and archived when withdrawn).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContentStatus {
    Draft,
    Review,
    Published,
    Archived,
}

impl ContentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ContentStatus::Draft => "draft",
            ContentStatus::Review => "review",
            ContentStatus::Published => "published",
            ContentStatus::Archived => "archived",
        }
    }
    pub const ALL: [ContentStatus; 4] = [
        ContentStatus::Draft,
        ContentStatus::Review,
        ContentStatus::Published,
        ContentStatus::Archived,
    ];
    /// A status id, exactly as stored (anything else is `None`, never a default).
    pub fn parse(s: &str) -> Option<ContentStatus> {
        ContentStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// One or more fraud types (never `normal`), sorted and without repeats. Required on all content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FraudTypes(Vec<FraudType>);

impl FraudTypes {
    pub fn parse<S: AsRef<str>>(items: &[S]) -> CampResult<FraudTypes> {
        let mut v = Vec::new();
        for raw in items
            .iter()
            .flat_map(|s| s.as_ref().split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let t: FraudType = raw
                .parse()
                .map_err(|_| CampError::with("camp-err-fraud-type", raw))?;
            if !t.is_fraud() {
                return Err(CampError::with("camp-err-fraud-type", raw));
            }
            v.push(t);
        }
        if v.is_empty() {
            return Err(CampError::new("camp-err-no-fraud-type"));
        }
        v.sort();
        v.dedup();
        Ok(FraudTypes(v))
    }
    pub fn as_slice(&self) -> &[FraudType] {
        &self.0
    }
    /// Stored as comma-separated ids.
    pub fn to_db(&self) -> String {
        self.0.iter().map(|t| t.id()).collect::<Vec<_>>().join(",")
    }
    pub fn ids(&self) -> Vec<String> {
        self.0.iter().map(|t| t.id().to_string()).collect()
    }
}

/// Parses one fraud type that is a fraud (not `normal`).
pub fn fraud_type(s: &str) -> CampResult<FraudType> {
    match s.trim().parse::<FraudType>() {
        Ok(t) if t.is_fraud() => Ok(t),
        _ => Err(CampError::with("camp-err-fraud-type", s)),
    }
}

/// One question of the optional check after reading: choices and the index of the right one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Question {
    pub q: String,
    pub choices: Vec<String>,
    pub answer: usize,
}

/// Zero to three questions, each with 2–6 choices and a valid answer.
pub fn parse_quiz(qs: Vec<Question>) -> CampResult<Vec<Question>> {
    if qs.len() > 3 {
        return Err(CampError::new("camp-err-quiz"));
    }
    for q in &qs {
        let ok = !q.q.trim().is_empty()
            && (2..=6).contains(&q.choices.len())
            && q.choices.iter().all(|c| !c.trim().is_empty())
            && q.answer < q.choices.len();
        if !ok {
            return Err(CampError::new("camp-err-quiz"));
        }
    }
    Ok(qs)
}

/// An http(s) URL without spaces or quotes (media links, webhooks).
pub fn parse_url(s: &str) -> CampResult<String> {
    let s = s.trim();
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    match rest {
        Some(r)
            if !r.is_empty()
                && s.len() <= 2000
                && !s.chars().any(|c| c.is_whitespace() || "\"'<>`".contains(c)) =>
        {
            Ok(s.to_string())
        }
        _ => Err(CampError::with("camp-err-url", s)),
    }
}

/// Who a campaign is for. Empty lists mean "any"; `units` are org-unit codes inside the
/// campaign's unit; `roles` are `student` (default) and staff roles holding a role in the units.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AudienceSpec {
    #[serde(default)]
    pub units: Vec<String>,
    #[serde(default)]
    pub enrollment_years: Vec<i64>,
    #[serde(default)]
    pub genders: Vec<String>,
    #[serde(default)]
    pub majors: Vec<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    /// "Top N % most exposed to `fraud_type`": only students, ranked by exposure score.
    #[serde(default)]
    pub top_exposed_percent: Option<f64>,
    /// Only students weak on one of these fraud types in the learning module's assessments
    /// (under 60 % of their answers of the type right).
    #[serde(default)]
    pub weak_on: Vec<String>,
}

/// A delivery channel a campaign may use besides the inbox (always on).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Email,
    Dingtalk,
    Wecom,
    Feishu,
    Webhook,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 5] = [
        ChannelKind::Email,
        ChannelKind::Dingtalk,
        ChannelKind::Wecom,
        ChannelKind::Feishu,
        ChannelKind::Webhook,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Email => "email",
            ChannelKind::Dingtalk => "dingtalk",
            ChannelKind::Wecom => "wecom",
            ChannelKind::Feishu => "feishu",
            ChannelKind::Webhook => "webhook",
        }
    }
    /// Default messages per minute: the robots' published limits (DingTalk 20/min, WeCom 20/min,
    /// Feishu 100/min), email relays are commonly limited near 60/min.
    pub fn default_rate(self) -> i64 {
        match self {
            ChannelKind::Email => 60,
            ChannelKind::Dingtalk | ChannelKind::Wecom => 20,
            ChannelKind::Feishu => 100,
            ChannelKind::Webhook => 120,
        }
    }
}

impl FromStr for ChannelKind {
    type Err = CampError;
    fn from_str(s: &str) -> CampResult<Self> {
        ChannelKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| CampError::with("camp-err-channel-kind", s))
    }
}

/// Checks a channel's URL and secret against what its kind needs; a malformed secret is refused.
/// DingTalk secrets are `SEC` + 40–100 hex/alphanumerics; Feishu secrets 16–64 alphanumerics;
/// WeCom carries its key in the URL (`key=`) and takes no secret; the generic webhook needs a
/// secret of 16–200 visible ASCII characters; email's URL is `smtp://host:port`.
pub fn check_channel(kind: ChannelKind, url: &str, secret: Option<&str>) -> CampResult<String> {
    let secret = secret.map(str::trim).filter(|s| !s.is_empty());
    let alnum = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric());
    let url = match kind {
        ChannelKind::Email => {
            let u = url.trim();
            let hp = u
                .strip_prefix("smtp://")
                .ok_or_else(|| CampError::with("camp-err-url", u))?;
            let (h, p) = hp
                .rsplit_once(':')
                .ok_or_else(|| CampError::with("camp-err-url", u))?;
            if h.is_empty() || p.parse::<u16>().is_err() {
                return Err(CampError::with("camp-err-url", u));
            }
            u.to_string()
        }
        _ => parse_url(url)?,
    };
    let ok = match kind {
        ChannelKind::Dingtalk => secret.is_some_and(|s| {
            s.len() >= 43 && s.len() <= 103 && s.starts_with("SEC") && alnum(&s[3..])
        }),
        ChannelKind::Feishu => secret.is_some_and(|s| (16..=64).contains(&s.len()) && alnum(s)),
        ChannelKind::Wecom => secret.is_none() && url.contains("key="),
        ChannelKind::Webhook => secret.is_some_and(|s| {
            (16..=200).contains(&s.len()) && s.chars().all(|c| c.is_ascii_graphic())
        }),
        ChannelKind::Email => secret.is_none(),
    };
    if ok {
        Ok(url)
    } else {
        Err(CampError::new("camp-err-secret"))
    }
}

/// Status of one campaign.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    Scheduled,
    Sending,
    Sent,
    Recalled,
}

impl std::fmt::Display for CampaignStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for ContentStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl CampaignStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignStatus::Scheduled => "scheduled",
            CampaignStatus::Sending => "sending",
            CampaignStatus::Sent => "sent",
            CampaignStatus::Recalled => "recalled",
        }
    }
    pub const ALL: [CampaignStatus; 4] = [
        CampaignStatus::Scheduled,
        CampaignStatus::Sending,
        CampaignStatus::Sent,
        CampaignStatus::Recalled,
    ];
    /// A status id, exactly as stored (anything else is `None`, never a default).
    pub fn parse(s: &str) -> Option<CampaignStatus> {
        CampaignStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fraud_types_are_required_and_parsed() {
        assert_eq!(
            FraudTypes::parse::<&str>(&[]).unwrap_err().key,
            "camp-err-no-fraud-type"
        );
        assert_eq!(
            FraudTypes::parse(&["normal"]).unwrap_err().key,
            "camp-err-fraud-type"
        );
        let t = FraudTypes::parse(&["rebate_task, fake_loan", "rebate_task"]).unwrap();
        assert_eq!(t.to_db(), "rebate_task,fake_loan");
    }

    #[test]
    fn secrets_are_checked_per_kind() {
        let ding = format!("SEC{}", "a1".repeat(32));
        assert!(check_channel(
            ChannelKind::Dingtalk,
            "https://x/robot?access_token=1",
            Some(&ding)
        )
        .is_ok());
        for bad in [
            "",
            "abc",
            "SEC***",
            "XEC0123456789012345678901234567890123456789012",
        ] {
            assert_eq!(
                check_channel(ChannelKind::Dingtalk, "https://x/", Some(bad))
                    .unwrap_err()
                    .key,
                "camp-err-secret",
                "{bad}"
            );
        }
        assert!(check_channel(ChannelKind::Feishu, "https://x/", Some("abcdefghij123456")).is_ok());
        assert!(check_channel(ChannelKind::Feishu, "https://x/", Some("short")).is_err());
        assert!(check_channel(ChannelKind::Wecom, "https://x/send?key=k", None).is_ok());
        assert!(check_channel(ChannelKind::Wecom, "https://x/send?key=k", Some("s")).is_err());
        assert!(check_channel(
            ChannelKind::Webhook,
            "http://127.0.0.1:9/h",
            Some("0123456789abcdef")
        )
        .is_ok());
        assert!(check_channel(
            ChannelKind::Webhook,
            "http://127.0.0.1:9/h",
            Some("has space 0123456789")
        )
        .is_err());
        assert!(check_channel(ChannelKind::Email, "smtp://127.0.0.1:2525", None).is_ok());
        assert_eq!(
            check_channel(ChannelKind::Email, "mail.example", None)
                .unwrap_err()
                .key,
            "camp-err-url"
        );
        assert!(check_channel(
            ChannelKind::Webhook,
            "javascript:alert(1)",
            Some("0123456789abcdef")
        )
        .is_err());
    }

    #[test]
    fn quizzes_have_at_most_three_valid_questions() {
        let q = |a| Question {
            q: "?".into(),
            choices: vec!["a".into(), "b".into()],
            answer: a,
        };
        assert!(parse_quiz(vec![q(0), q(1)]).is_ok());
        assert!(parse_quiz(vec![q(2)]).is_err());
        assert!(parse_quiz(vec![q(0), q(0), q(0), q(0)]).is_err());
    }
}
