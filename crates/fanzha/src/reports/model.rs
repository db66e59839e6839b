//! What a report is made of (channel sections, free description, the loss), and the one
//! validation every entry point (page, API, other modules) goes through. Indicator values come out
//! canonical (`fanzha_detect::canonicalize`), so they join the indicator store by (kind, value).

use fanzha_detect::{Engine, FraudType, IndicatorKind};
use serde::{Deserialize, Serialize};

use crate::error::Msg;
use crate::intel::model::{IndicatorKey, Kind};

/// Largest free description, characters.
pub const MAX_DESCRIPTION: usize = 4000;
/// Largest SMS content, characters.
pub const MAX_CONTENT: usize = 2000;
/// Largest loss that is believed, in cents (10 million yuan); above it the amount is refused as
/// absurd (a typo, or cents entered as yuan).
pub const MAX_AMOUNT_CENTS: i64 = 1_000_000_000;
/// Times may be this far in the future (clock skew of the phone).
pub const FUTURE_SKEW_MS: i64 = 5 * 60_000;
/// Times older than this are refused (a year).
pub const MAX_AGE_MS: i64 = 366 * 24 * 3_600_000;

/// A suspect phone call.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct CallSection {
    /// The number that called, as seen on the phone.
    pub number: String,
    /// When (UTC milliseconds).
    pub time: Option<i64>,
    /// How long, seconds.
    pub duration_seconds: Option<i64>,
}

/// A suspect SMS.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct SmsSection {
    pub sender: String,
    #[serde(default)]
    pub content: String,
    pub time: Option<i64>,
}

/// A link or IP address (screenshots are uploaded as evidence).
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct LinkSection {
    pub address: String,
}

/// A social account: the platform and the account id (not the nickname).
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct SocialSection {
    /// qq, wechat, douyin, weibo, game, alipay, other.
    pub platform: String,
    pub account: String,
}

/// An app the scammer had the victim install.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct AppSection {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub package: String,
    #[serde(default)]
    pub download_link: String,
}

/// Where money went.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct TransactionSection {
    /// bank_card, alipay, wechat, other.
    pub payment_type: String,
    /// The payee account.
    pub account: String,
    #[serde(default)]
    pub bank: String,
    /// Amount paid, cents.
    pub amount_cents: Option<i64>,
    /// When the money was transferred (UTC milliseconds).
    pub time: Option<i64>,
}

/// The channel sections of a report; any may be filled.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Sections {
    pub call: Option<CallSection>,
    pub sms: Option<SmsSection>,
    pub link: Option<LinkSection>,
    pub social: Option<SocialSection>,
    pub app: Option<AppSection>,
    pub transaction: Option<TransactionSection>,
}

/// A report as submitted (page form or `POST /api/v1/reports`).
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ReportInput {
    /// Chosen by the client once per report; a retry with the same key returns the same report.
    /// The API also takes it from the `Idempotency-Key` header.
    #[serde(default)]
    #[schema(max_length = 100)]
    pub idempotency_key: String,
    #[serde(flatten)]
    pub sections: Sections,
    #[serde(default)]
    pub description: String,
    /// A fanzha-detect fraud type id; detected from the text when absent.
    pub fraud_type: Option<String>,
    /// "Did you lose money?": a loss needs the transaction section with amount and time, and
    /// starts a stop-payment request.
    #[serde(default)]
    pub lost_money: bool,
    /// The risk check this report comes from (the student's own).
    pub risk_check_id: Option<i64>,
}

/// One canonical indicator of a report and the section it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReportIndicator {
    pub kind: String,
    pub value: String,
    pub section: String,
}

/// The payee of a loss.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Transfer {
    pub payee_kind: String,
    pub payee_account: String,
    pub bank: String,
    pub amount_cents: i64,
    pub transfer_at: i64,
}

/// A report that passed validation.
#[derive(Clone, Debug)]
pub struct Valid {
    pub sections: Sections,
    pub description: String,
    pub fraud_type: FraudType,
    pub indicators: Vec<ReportIndicator>,
    pub loss: Option<Transfer>,
    pub amount_cents: i64,
}

fn trimmed(s: &str) -> String {
    s.trim().to_string()
}

fn err(key: &str) -> Msg {
    Msg::new(key)
}

fn bad_value(field: &str, reason: impl ToString) -> Msg {
    Msg::new("reports-err-value")
        .arg("field", field)
        .arg("reason", reason)
}

fn check_time(field: &str, t: Option<i64>, now: i64, errors: &mut Vec<Msg>) {
    if let Some(t) = t {
        if t > now + FUTURE_SKEW_MS {
            errors.push(Msg::new("reports-err-future").arg("field", field));
        } else if t < now - MAX_AGE_MS {
            errors.push(Msg::new("reports-err-too-old").arg("field", field));
        }
    }
}

fn push(out: &mut Vec<ReportIndicator>, kind: Kind, value: String, section: &str) {
    if !out.iter().any(|i| i.kind == kind.id() && i.value == value) {
        out.push(ReportIndicator {
            kind: kind.id().to_string(),
            value,
            section: section.to_string(),
        });
    }
}

fn canonical(kind: &str, raw: &str) -> Result<(Kind, String), String> {
    let k = IndicatorKey::parse(kind, raw)?;
    Ok((k.kind(), k.value().to_string()))
}

/// The indicator kind of a payment type.
pub fn payment_kind(t: &str) -> Option<&'static str> {
    Some(match t {
        "bank_card" => "bank_card",
        "alipay" => "alipay",
        "wechat" => "wechat",
        "other" => "other_account",
        _ => return None,
    })
}

/// The platforms of a social account, with the indicator kind of their account ids.
pub const PLATFORMS: [(&str, &str); 7] = [
    ("qq", "qq"),
    ("wechat", "wechat"),
    ("alipay", "alipay"),
    ("douyin", "other_account"),
    ("weibo", "other_account"),
    ("game", "other_account"),
    ("other", "other_account"),
];

/// Parses an amount in yuan as typed ("1,234.50", "１２００") into cents.
pub fn parse_yuan(s: &str) -> Option<i64> {
    crate::kernel::money::Money::parse(s).map(|m| m.cents())
}

/// Validates a report at `now`. Every problem is listed; nothing is stored on error. The engine
/// (when given) reads the free description and SMS content for the fraud type and for
/// indicators nobody typed into a section.
pub fn validate(input: &ReportInput, now: i64, engine: Option<&Engine>) -> Result<Valid, Vec<Msg>> {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    let mut s = input.sections.clone();
    let key = input.idempotency_key.trim();
    if key.is_empty() || key.len() > 100 || key.chars().any(char::is_control) {
        errors.push(err("reports-err-idempotency"));
    }
    // Blank sections count as absent.
    if s.call
        .as_ref()
        .is_some_and(|c| c.number.trim().is_empty() && c.time.is_none())
    {
        s.call = None;
    }
    if s.sms
        .as_ref()
        .is_some_and(|c| c.sender.trim().is_empty() && c.content.trim().is_empty())
    {
        s.sms = None;
    }
    if s.link.as_ref().is_some_and(|c| c.address.trim().is_empty()) {
        s.link = None;
    }
    if s.social
        .as_ref()
        .is_some_and(|c| c.account.trim().is_empty())
    {
        s.social = None;
    }
    if s.app.as_ref().is_some_and(|c| {
        c.name.trim().is_empty() && c.package.trim().is_empty() && c.download_link.trim().is_empty()
    }) {
        s.app = None;
    }
    if s.transaction.as_ref().is_some_and(|c| {
        c.account.trim().is_empty() && c.amount_cents.is_none() && c.time.is_none()
    }) {
        s.transaction = None;
    }
    if s == Sections::default() {
        errors.push(err("reports-err-no-section"));
    }
    if let Some(c) = &mut s.call {
        c.number = trimmed(&c.number);
        match canonical("phone", &c.number) {
            Ok((k, v)) => {
                push(&mut out, k, v.clone(), "call");
                c.number = v;
            }
            Err(e) => errors.push(bad_value("call.number", e)),
        }
        check_time("call.time", c.time, now, &mut errors);
        if c.duration_seconds
            .is_some_and(|d| !(0..=86_400).contains(&d))
        {
            errors.push(bad_value("call.duration_seconds", "0 – 86400"));
        }
    }
    if let Some(c) = &mut s.sms {
        c.sender = trimmed(&c.sender);
        c.content = trimmed(&c.content);
        if c.content.chars().count() > MAX_CONTENT {
            errors.push(
                Msg::new("reports-err-too-long")
                    .arg("field", "sms.content")
                    .arg("max", MAX_CONTENT),
            );
        }
        // A message pasted without its sender is still worth reporting.
        if !c.sender.is_empty() {
            // Senders are numbers, or short service names (106xxxx, "【银行】").
            match canonical("phone", &c.sender) {
                Ok((k, v)) => {
                    push(&mut out, k, v.clone(), "sms");
                    c.sender = v;
                }
                Err(_)
                    if c.sender.chars().count() <= 64
                        && !c.sender.chars().any(char::is_control) => {}
                Err(e) => errors.push(bad_value("sms.sender", e)),
            }
        }
        check_time("sms.time", c.time, now, &mut errors);
    }
    if let Some(c) = &mut s.link {
        c.address = trimmed(&c.address);
        let found = ["ip", "url", "domain"]
            .iter()
            .find_map(|k| canonical(k, &c.address).ok());
        match found {
            Some((k, v)) => {
                push(&mut out, k, v.clone(), "link");
                c.address = v;
            }
            None => errors.push(bad_value("link.address", "not a web address or IP address")),
        }
    }
    if let Some(c) = &mut s.social {
        c.platform = trimmed(&c.platform).to_lowercase();
        c.account = trimmed(&c.account);
        match PLATFORMS.iter().find(|(p, _)| *p == c.platform) {
            None => errors.push(bad_value(
                "social.platform",
                "qq, wechat, alipay, douyin, weibo, game, other",
            )),
            Some((p, kind)) => {
                let raw = if *kind == "other_account" {
                    format!("{p}:{}", c.account)
                } else {
                    c.account.clone()
                };
                match canonical(kind, &raw) {
                    Ok((k, v)) => push(&mut out, k, v, "social"),
                    Err(e) => errors.push(bad_value("social.account", e)),
                }
            }
        }
    }
    if let Some(c) = &mut s.app {
        c.name = trimmed(&c.name);
        c.package = trimmed(&c.package);
        c.download_link = trimmed(&c.download_link);
        for (field, raw) in [
            ("app.name", c.name.clone()),
            ("app.package", c.package.clone()),
        ] {
            if !raw.is_empty() {
                match canonical("app", &raw) {
                    Ok((k, v)) => push(&mut out, k, v, "app"),
                    Err(e) => errors.push(bad_value(field, e)),
                }
            }
        }
        if !c.download_link.is_empty() {
            match canonical("url", &c.download_link) {
                Ok((k, v)) => {
                    push(&mut out, k, v.clone(), "app");
                    c.download_link = v;
                }
                Err(e) => errors.push(bad_value("app.download_link", e)),
            }
        }
    }
    let mut loss = None;
    let mut amount_cents = 0;
    if let Some(c) = &mut s.transaction {
        c.payment_type = trimmed(&c.payment_type);
        c.account = trimmed(&c.account);
        c.bank = trimmed(&c.bank);
        if let Err(e) = crate::text::name(&c.bank) {
            errors.push(bad_value("transaction.bank", e));
        }
        if c.bank.chars().count() > 64 {
            errors.push(
                Msg::new("reports-err-too-long")
                    .arg("field", "transaction.bank")
                    .arg("max", 64),
            );
        }
        let mut ok = true;
        match payment_kind(&c.payment_type) {
            None => {
                ok = false;
                errors.push(bad_value(
                    "transaction.payment_type",
                    "bank_card, alipay, wechat, other",
                ));
            }
            Some(kind) => match canonical(kind, &c.account) {
                Ok((k, v)) => {
                    push(&mut out, k, v.clone(), "transaction");
                    c.account = v;
                }
                Err(e) => {
                    ok = false;
                    errors.push(bad_value("transaction.account", e));
                }
            },
        }
        if let Some(a) = c.amount_cents {
            if a <= 0 {
                ok = false;
                errors.push(err("reports-err-amount-positive"));
            } else if a > MAX_AMOUNT_CENTS {
                ok = false;
                errors
                    .push(Msg::new("reports-err-amount-absurd").arg("max", MAX_AMOUNT_CENTS / 100));
            } else {
                amount_cents = a;
            }
        }
        let before = errors.len();
        check_time("transaction.time", c.time, now, &mut errors);
        ok &= errors.len() == before;
        if input.lost_money {
            match (c.amount_cents, c.time) {
                (Some(a), Some(t)) if ok => {
                    loss = Some(Transfer {
                        payee_kind: payment_kind(&c.payment_type)
                            .unwrap_or("other_account")
                            .to_string(),
                        payee_account: c.account.clone(),
                        bank: c.bank.clone(),
                        amount_cents: a,
                        transfer_at: t,
                    })
                }
                (None, _) | (_, None) => errors.push(err("reports-err-loss-needs")),
                _ => {}
            }
        }
    } else if input.lost_money {
        errors.push(err("reports-err-loss-needs"));
    }
    let description = trimmed(&input.description);
    if description.chars().count() > MAX_DESCRIPTION {
        errors.push(
            Msg::new("reports-err-too-long")
                .arg("field", "description")
                .arg("max", MAX_DESCRIPTION),
        );
    }
    if let Err(e) = crate::text::multiline(&description) {
        errors.push(bad_value("description", e));
    }
    let chosen = match input
        .fraud_type
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        None => None,
        Some(t) => match t.parse::<FraudType>() {
            Ok(t) => Some(t),
            Err(e) => {
                errors.push(bad_value("fraud_type", e));
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    // The engine reads what the person wrote: the fraud type when none was chosen, and
    // indicators in the text nobody put into a section.
    let mut detected = FraudType::OtherFraud;
    if let Some(engine) = engine {
        let text = [
            description.as_str(),
            s.sms.as_ref().map_or("", |m| m.content.as_str()),
        ]
        .join("\n");
        if !text.trim().is_empty() {
            let v = engine.analyze_brief(&text);
            if v.fraud_type.is_fraud() {
                detected = v.fraud_type;
            }
            for i in &v.indicators {
                if let Some(k) = Kind::of(i.kind) {
                    if let Ok((k, val)) = canonical(k.id(), &i.value) {
                        push(&mut out, k, val, "text");
                    }
                }
            }
        }
    }
    let fraud_type = chosen.unwrap_or(detected);
    Ok(Valid {
        sections: s,
        description,
        fraud_type,
        indicators: out,
        loss,
        amount_cents,
    })
}

/// Sections pre-filled from a pasted text (or the text of a risk check): the indicators
/// fanzha-detect finds, each put into the section it belongs to. The person edits them.
pub fn prefill(engine: &Engine, text: &str) -> (Sections, Option<FraudType>) {
    let v = engine.analyze_brief(text);
    let mut s = Sections::default();
    for i in &v.indicators {
        let val = i.value.clone();
        if val == "<masked>" {
            continue;
        }
        match i.kind {
            IndicatorKind::Phone if s.call.is_none() => {
                s.call = Some(CallSection {
                    number: val,
                    ..Default::default()
                })
            }
            IndicatorKind::Url | IndicatorKind::Domain | IndicatorKind::Ip if s.link.is_none() => {
                s.link = Some(LinkSection { address: val })
            }
            IndicatorKind::Qq | IndicatorKind::Wechat if s.social.is_none() => {
                s.social = Some(SocialSection {
                    platform: i.kind.id().to_string(),
                    account: val,
                })
            }
            IndicatorKind::App if s.app.is_none() => {
                s.app = Some(AppSection {
                    name: val,
                    ..Default::default()
                })
            }
            IndicatorKind::BankCard | IndicatorKind::Alipay if s.transaction.is_none() => {
                s.transaction = Some(TransactionSection {
                    payment_type: i.kind.id().to_string(),
                    account: val,
                    ..Default::default()
                })
            }
            _ => {}
        }
    }
    let t = v.fraud_type.is_fraud().then_some(v.fraud_type);
    (s, t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_amounts() {
        assert_eq!(parse_yuan("1,234.5"), Some(123_450));
        assert_eq!(parse_yuan("１２００元"), Some(120_000));
        assert_eq!(parse_yuan("0.01"), Some(1));
        assert_eq!(parse_yuan("1.234"), None);
        assert_eq!(parse_yuan("-5"), None);
        assert_eq!(parse_yuan("abc"), None);
    }

    fn base() -> ReportInput {
        ReportInput {
            idempotency_key: "k1".into(),
            ..Default::default()
        }
    }

    #[test]
    fn nothing_filled_is_refused() {
        let e = validate(&base(), 0, None).unwrap_err();
        assert!(e.iter().any(|m| m.key == "reports-err-no-section"));
    }

    #[test]
    fn loss_rules() {
        let now = 1_740_787_200_000;
        let mut i = base();
        i.lost_money = true;
        i.sections.transaction = Some(TransactionSection {
            payment_type: "bank_card".into(),
            account: "6222021234567890128".into(),
            bank: "工商银行".into(),
            amount_cents: Some(0),
            time: Some(now + 3_600_000),
        });
        let e = validate(&i, now, None).unwrap_err();
        let keys: Vec<_> = e.iter().map(|m| m.key.as_str()).collect();
        assert!(keys.contains(&"reports-err-amount-positive"), "{keys:?}");
        assert!(keys.contains(&"reports-err-future"), "{keys:?}");
    }
}

/// Where a report stands. Stored as its id (`new`, `confirmed`, …); a value read back that is not
/// one of these is an error, not a default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    New,
    Confirmed,
    NotFraud,
    Merged,
    CaseOpened,
}

impl ReportStatus {
    pub const ALL: [ReportStatus; 5] = [
        ReportStatus::New,
        ReportStatus::Confirmed,
        ReportStatus::NotFraud,
        ReportStatus::Merged,
        ReportStatus::CaseOpened,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ReportStatus::New => "new",
            ReportStatus::Confirmed => "confirmed",
            ReportStatus::NotFraud => "not_fraud",
            ReportStatus::Merged => "merged",
            ReportStatus::CaseOpened => "case_opened",
        }
    }
    /// A status id, exactly as stored.
    pub fn parse(s: &str) -> Option<ReportStatus> {
        ReportStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }
    /// Closed to further triage: dismissed as not fraud, or merged into another report.
    pub fn is_closed(self) -> bool {
        matches!(self, ReportStatus::NotFraud | ReportStatus::Merged)
    }
}

impl std::fmt::Display for ReportStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a stop-payment request stands. Stored as its id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopStatus {
    Open,
    BankContacted,
    Frozen,
    Failed,
}

impl StopStatus {
    pub const ALL: [StopStatus; 4] = [
        StopStatus::Open,
        StopStatus::BankContacted,
        StopStatus::Frozen,
        StopStatus::Failed,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            StopStatus::Open => "open",
            StopStatus::BankContacted => "bank_contacted",
            StopStatus::Frozen => "frozen",
            StopStatus::Failed => "failed",
        }
    }
    /// A status id, exactly as stored.
    pub fn parse(s: &str) -> Option<StopStatus> {
        StopStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }
    /// Still racing the money: nobody has frozen it or given up.
    pub fn is_pending(self) -> bool {
        matches!(self, StopStatus::Open | StopStatus::BankContacted)
    }
}

impl std::fmt::Display for StopStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
