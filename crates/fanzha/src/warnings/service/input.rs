//! Checking what people and partners send (a form, a JSON body, a CSV batch, deadline settings)
//! into domain values; every problem is reported, nothing is written.

use super::*;

/// The raw fields of a warning as a form, CSV row or JSON body gives them.
#[derive(Clone, Debug, Default, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
pub struct WarningInput {
    /// A partner's own reference for the warning (up to 100 characters), echoed in its receipt.
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub student_no: Option<String>,
    #[serde(default)]
    pub school_code: Option<String>,
    pub fraud_type: String,
    pub severity: String,
    #[serde(default)]
    pub detail: String,
    #[serde(default)]
    pub source: String,
}

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Checks the fields of a warning; every problem is reported, nothing is written.
pub fn parse_input(i: &WarningInput) -> Result<NewWarning, Vec<Msg>> {
    let mut errs = Vec::new();
    let phone = match nonempty(&i.phone) {
        Some(p) => match WarnPhone::parse(p) {
            Some(p) => Some(p),
            None => {
                errs.push(Msg::new("warn-err-phone").arg("value", p));
                None
            }
        },
        None => None,
    };
    let student_no = match nonempty(&i.student_no) {
        Some(n) => match crate::org::model::PersonNo::parse(n) {
            Some(n) => Some(n),
            None => {
                errs.push(Msg::new("warn-err-student-no").arg("value", n));
                None
            }
        },
        None => None,
    };
    if nonempty(&i.phone).is_none() && nonempty(&i.student_no).is_none() {
        errs.push(Msg::new("warn-err-who"));
    }
    let fraud_type = parse_fraud_type(&i.fraud_type);
    if fraud_type.is_none() {
        errs.push(Msg::new("warn-err-fraud-type").arg("value", i.fraud_type.trim()));
    }
    let severity = Severity::parse(&i.severity);
    if severity.is_none() {
        errs.push(Msg::new("warn-err-severity").arg("value", i.severity.trim()));
    }
    let detail = match crate::text::multiline(&i.detail) {
        Ok(d) => d.to_string(),
        Err(e) => {
            errs.push(Msg::new(e.key()));
            String::new()
        }
    };
    if detail.chars().count() > 2000 {
        errs.push(Msg::new("warn-err-detail"));
    }
    let origin = match crate::text::name(&i.source) {
        Ok(o) => o.to_string(),
        Err(e) => {
            errs.push(Msg::new(e.key()));
            String::new()
        }
    };
    if origin.chars().count() > 200 {
        errs.push(Msg::new("warn-err-source"));
    }
    match (fraud_type, severity) {
        (Some(fraud_type), Some(severity)) if errs.is_empty() => Ok(NewWarning {
            subject: Subject {
                phone,
                student_no,
                school_code: nonempty(&i.school_code).map(str::to_string),
            },
            fraud_type,
            severity,
            detail,
            origin,
            idempotency_key: None,
            kind: WarnKind::Fraud,
        }),
        _ => Err(errs),
    }
}

/// Parses a CSV batch (header: 手机号/phone, 学号/student_no, 学校代码/school_code, 诈骗类型/fraud_type,
/// 级别/severity, 情况/detail, 来源/source). Errors carry line numbers; nothing is written.
pub fn parse_csv(bytes: &[u8]) -> Result<Vec<(usize, NewWarning)>, LineErrors> {
    let text = match std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)) {
        Ok(t) => t,
        Err(_) => return Err(vec![(1, Msg::new("warn-err-csv-encoding"))]),
    };
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(_) => return Err(vec![(1, Msg::new("warn-err-csv-header"))]),
    };
    let col = |names: &[&str]| headers.iter().position(|h| names.contains(&h));
    let c_phone = col(&["手机号", "phone"]);
    let c_no = col(&["学号", "student_no"]);
    let c_school = col(&["学校代码", "school_code"]);
    let c_type = col(&["诈骗类型", "fraud_type"]);
    let c_sev = col(&["级别", "severity"]);
    let c_detail = col(&["情况", "detail"]);
    let c_source = col(&["来源", "source"]);
    let (Some(c_type), Some(c_sev)) = (c_type, c_sev) else {
        return Err(vec![(1, Msg::new("warn-err-csv-header"))]);
    };
    if c_phone.is_none() && c_no.is_none() {
        return Err(vec![(1, Msg::new("warn-err-csv-header"))]);
    }
    let mut out = Vec::new();
    let mut errs = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(_) => {
                errs.push((line, Msg::new("warn-err-csv-row")));
                continue;
            }
        };
        if rec.iter().all(|f| f.is_empty()) {
            continue;
        }
        let get = |c: Option<usize>| c.and_then(|c| rec.get(c)).map(str::to_string);
        let input = WarningInput {
            phone: get(c_phone),
            student_no: get(c_no),
            school_code: get(c_school),
            fraud_type: get(Some(c_type)).unwrap_or_default(),
            severity: get(Some(c_sev)).unwrap_or_default(),
            detail: get(c_detail).unwrap_or_default(),
            source: get(c_source).unwrap_or_default(),
            reference: None,
        };
        match parse_input(&input) {
            Ok(w) => out.push((line, w)),
            Err(ms) => errs.extend(ms.into_iter().map(|m| (line, m))),
        }
        if out.len() > 20_000 {
            return Err(vec![(line, Msg::new("warn-err-csv-too-many"))]);
        }
    }
    if out.is_empty() && errs.is_empty() {
        errs.push((1, Msg::new("warn-err-csv-empty")));
    }
    if errs.is_empty() {
        Ok(out)
    } else {
        Err(errs)
    }
}

/// Validated deadline settings from minutes/hours text.
pub fn parse_settings(fields: &[(&str, &str)]) -> Result<Settings, Vec<Msg>> {
    let mut s = Settings::default();
    let mut errs = Vec::new();
    for (k, v) in fields {
        let n: Option<i64> = v.trim().parse().ok().filter(|n: &i64| *n >= 0);
        let Some(n) = n else {
            errs.push(Msg::new("warn-err-setting").arg("field", k));
            continue;
        };
        let min = n * 60_000;
        match *k {
            "high_ack_min" => s.high.ack_ms = min,
            "high_contact_min" => s.high.contact_ms = min,
            "medium_ack_min" => s.medium.ack_ms = min,
            "medium_contact_min" => s.medium.contact_ms = min,
            "low_ack_min" => s.low.ack_ms = min,
            "low_contact_min" => s.low.contact_ms = min,
            "weight_ack" => s.weights.ack = n,
            "weight_contact" => s.weights.contact = n,
            "weight_escalations" => s.weights.escalations = n,
            "weight_victims" => s.weights.victims = n,
            "weight_campaigns" => s.weights.campaigns = n,
            _ => {}
        }
    }
    for w in [s.high, s.medium, s.low] {
        if w.ack_ms < 60_000 || w.contact_ms < w.ack_ms || w.contact_ms > 30 * 24 * 3_600_000 {
            errs.push(Msg::new("warn-err-windows"));
            break;
        }
    }
    let ws = s.weights;
    if [ws.ack, ws.contact, ws.escalations, ws.victims, ws.campaigns]
        .iter()
        .any(|w| *w > 100)
        || ws.ack + ws.contact + ws.escalations + ws.victims + ws.campaigns == 0
    {
        errs.push(Msg::new("warn-err-weights"));
    }
    if errs.is_empty() {
        Ok(s)
    } else {
        Err(errs)
    }
}

#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ContactInput {
    /// phone, in_person or via_classmate.
    #[schema(pattern = "^(phone|in_person|via_classmate)$")]
    pub method: String,
    /// When contact was made (ms since epoch); default now.
    #[serde(default)]
    pub at: Option<i64>,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub notes: String,
}

pub fn parse_contact(i: &ContactInput, now: Millis) -> Result<Act, WarnError> {
    let method = ContactMethod::parse(&i.method).ok_or_else(|| {
        WarnError::Refused(vec![
            Msg::new("warn-err-method").arg("value", i.method.trim())
        ])
    })?;
    if let Err(e) = crate::text::multiline(&i.notes) {
        return Err(WarnError::Refused(vec![Msg::new(e.key())]));
    }
    if i.notes.chars().count() > 2000 {
        return Err(WarnError::Refused(vec![Msg::new("warn-err-detail")]));
    }
    Ok(Act::Contact {
        method,
        at: i.at.unwrap_or(now),
        notes: i.notes.trim().to_string(),
    })
}

#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct OutcomeInput {
    /// dissuaded, not_fraud, could_not_reach or already_lost; for a mule-risk warning stopped,
    /// card_closed, refused or referred_to_police.
    #[schema(
        pattern = "^(dissuaded|not_fraud|could_not_reach|already_lost|stopped|card_closed|refused|referred_to_police)$"
    )]
    pub outcome: String,
    /// Money already lost, in yuan (required for already_lost).
    #[serde(default)]
    pub loss_yuan: Option<String>,
    /// Estimate of the money protected, in yuan.
    #[serde(default)]
    pub protected_yuan: Option<String>,
    #[serde(default)]
    pub notes: String,
    /// already_lost: how the money was paid (bank_card, alipay, wechat, other); the stop-payment
    /// request is filed with it.
    #[serde(default)]
    pub payment_type: Option<String>,
    /// already_lost: the payee account (card number, Alipay/WeChat account).
    #[serde(default)]
    pub payee_account: Option<String>,
    /// already_lost: the payee's bank.
    #[serde(default)]
    pub bank: Option<String>,
    /// already_lost: when the money was transferred (UTC milliseconds).
    #[serde(default)]
    pub transfer_at: Option<i64>,
    /// already_lost: what happened, for the loss report (the warning's own text when empty).
    #[serde(default)]
    pub description: Option<String>,
}

/// Checks an outcome; `deadlines` are the server's stop-payment deadlines.
pub fn parse_outcome(
    i: &OutcomeInput,
    deadlines: Option<crate::reports::service::Deadlines>,
) -> Result<Act, WarnError> {
    let mut errs = Vec::new();
    let outcome = Outcome::parse(&i.outcome);
    if outcome.is_none() {
        errs.push(Msg::new("warn-err-outcome").arg("value", i.outcome.trim()));
    }
    let mut money = |v: &Option<String>| match v.as_deref().map(str::trim).filter(|s| !s.is_empty())
    {
        None => None,
        Some(s) => {
            let c = Money::parse(s);
            if c.is_none() {
                errs.push(Msg::new("warn-err-amount").arg("value", s));
            }
            c
        }
    };
    let loss = money(&i.loss_yuan);
    let protected = money(&i.protected_yuan);
    if let Err(e) = crate::text::multiline(&i.notes) {
        errs.push(Msg::new(e.key()));
    }
    if i.notes.chars().count() > 2000 {
        errs.push(Msg::new("warn-err-detail"));
    }
    match outcome {
        Some(outcome) if errs.is_empty() => Ok(Act::Outcome {
            outcome,
            loss,
            protected,
            notes: i.notes.trim().to_string(),
            transfer: (outcome == Outcome::AlreadyLost).then(|| LossTransfer {
                payment_type: i.payment_type.clone().unwrap_or_default(),
                payee_account: i.payee_account.clone().unwrap_or_default(),
                bank: i.bank.clone().unwrap_or_default(),
                transfer_at: i.transfer_at,
                description: i.description.clone().unwrap_or_default(),
                deadlines,
            }),
        }),
        _ => Err(WarnError::Refused(errs)),
    }
}

/// The student to attach to an unmatched warning.
#[derive(Clone, Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct IdentifyInput {
    pub student_no: String,
}
