//! Types of the mules domain, parsed once from input and from rows.

use crate::error::Msg;
use crate::kernel::ids::WarningId;
use crate::warnings::model::Severity;

/// The kind of account a signal or a case is about (两卡 and what goes with them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// Bank card (银行卡).
    BankCard,
    /// Phone card / SIM (电话卡).
    PhoneCard,
    /// WeChat, QQ or another IM account (即时通讯账号).
    ImAccount,
    /// Alipay, WeChat Pay or another payment account or collection code (支付账户/收款码).
    PaymentAccount,
}

impl AccountKind {
    pub const ALL: [AccountKind; 4] = [
        AccountKind::BankCard,
        AccountKind::PhoneCard,
        AccountKind::ImAccount,
        AccountKind::PaymentAccount,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::BankCard => "bank_card",
            AccountKind::PhoneCard => "phone_card",
            AccountKind::ImAccount => "im_account",
            AccountKind::PaymentAccount => "payment_account",
        }
    }
    /// Accepts the ids and the words banks and police use.
    pub fn parse(s: &str) -> Option<AccountKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "bank_card" | "银行卡" | "借记卡" => Some(AccountKind::BankCard),
            "phone_card" | "电话卡" | "手机卡" => Some(AccountKind::PhoneCard),
            "im_account" | "即时通讯账号" | "微信号" | "qq号" => {
                Some(AccountKind::ImAccount)
            }
            "payment_account" | "支付账户" | "收款码" | "支付宝" => {
                Some(AccountKind::PaymentAccount)
            }
            _ => None,
        }
    }
    /// The Fluent key of its name.
    pub fn key(self) -> String {
        format!("mule-account-{}", self.as_str())
    }
}

/// What the partner saw on the account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pattern {
    /// Large amounts in and straight out again (快进快出).
    LargeFlows,
    /// Frozen as an account involved in fraud (涉诈账户).
    Frozen,
    /// Many unrelated counterparties in a short time.
    ManyCounterparties,
    /// Flows at night, in bursts (跑分 pattern).
    NightFlows,
    /// Logged in from far away or from many devices (account in someone else's hands).
    RemoteLogin,
    Other,
}

impl Pattern {
    pub const ALL: [Pattern; 6] = [
        Pattern::LargeFlows,
        Pattern::Frozen,
        Pattern::ManyCounterparties,
        Pattern::NightFlows,
        Pattern::RemoteLogin,
        Pattern::Other,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Pattern::LargeFlows => "large_flows",
            Pattern::Frozen => "frozen",
            Pattern::ManyCounterparties => "many_counterparties",
            Pattern::NightFlows => "night_flows",
            Pattern::RemoteLogin => "remote_login",
            Pattern::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Option<Pattern> {
        match s.trim().to_ascii_lowercase().as_str() {
            "large_flows" | "快进快出" | "大额进出" => Some(Pattern::LargeFlows),
            "frozen" | "涉诈账户" | "冻结" => Some(Pattern::Frozen),
            "many_counterparties" => Some(Pattern::ManyCounterparties),
            "night_flows" | "跑分" => Some(Pattern::NightFlows),
            "remote_login" | "异地登录" => Some(Pattern::RemoteLogin),
            "other" | "其他" => Some(Pattern::Other),
            _ => None,
        }
    }
    pub fn key(self) -> String {
        format!("mule-pattern-{}", self.as_str())
    }
    /// A frozen account or a 跑分 pattern means money of victims is moving now.
    pub fn severity(self) -> Severity {
        match self {
            Pattern::Frozen | Pattern::NightFlows | Pattern::LargeFlows => Severity::High,
            _ => Severity::Medium,
        }
    }
}

/// The role of the person in a case.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonRole {
    #[default]
    Victim,
    /// Suspect of 帮信 / 两卡 (lent, rented or sold an account).
    Suspect,
    /// Lured into lending an account and lost money too.
    Both,
}

impl PersonRole {
    pub const ALL: [PersonRole; 3] = [PersonRole::Victim, PersonRole::Suspect, PersonRole::Both];
    pub fn as_str(self) -> &'static str {
        match self {
            PersonRole::Victim => "victim",
            PersonRole::Suspect => "suspect",
            PersonRole::Both => "both",
        }
    }
    /// Empty means victim (cases recorded before roles existed are victims).
    pub fn parse(s: &str) -> Option<PersonRole> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "victim" | "受害人" => Some(PersonRole::Victim),
            "suspect" | "嫌疑人" | "帮信" => Some(PersonRole::Suspect),
            "both" | "两者" => Some(PersonRole::Both),
            _ => None,
        }
    }
    pub fn is_suspect(self) -> bool {
        self != PersonRole::Victim
    }
    pub fn is_victim(self) -> bool {
        self != PersonRole::Suspect
    }
    pub fn key(self) -> String {
        format!("mule-role-{}", self.as_str())
    }
}

/// The role and account lent of a case, checked together: a suspect names the kind of account
/// lent, a victim names none.
pub fn parse_case_role(
    role: &str,
    lent: &str,
) -> Result<(PersonRole, Option<AccountKind>), Vec<Msg>> {
    let Some(r) = PersonRole::parse(role) else {
        return Err(vec![Msg::new("mule-err-role").arg("value", role.trim())]);
    };
    let lent = lent.trim();
    match (r.is_suspect(), lent.is_empty()) {
        (true, true) => Err(vec![Msg::new("mule-err-lent-needed")]),
        (false, false) => Err(vec![Msg::new("mule-err-lent-victim")]),
        (false, true) => Ok((r, None)),
        (true, false) => match AccountKind::parse(lent) {
            Some(k) => Ok((r, Some(k))),
            None => Err(vec![Msg::new("mule-err-account").arg("value", lent)]),
        },
    }
}

/// A bank's or payment platform's signal, as posted.
#[derive(Clone, Debug, Default, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[schema(as = MuleSignalInput)]
pub struct SignalInput {
    /// The partner's own reference (1–100 characters), echoed in its receipt. A repeat of a
    /// reference returns the first receipt: one signal, one warning.
    pub reference: String,
    /// Code of the person's school, with `student_no`.
    #[serde(default)]
    pub school_code: Option<String>,
    /// Student number on the school's roster.
    #[serde(default)]
    pub student_no: Option<String>,
    /// Or the phone number on the roster. No ID-card numbers: fanzha keeps none.
    #[serde(default)]
    pub phone: Option<String>,
    /// bank_card, phone_card, im_account or payment_account.
    pub account_kind: String,
    /// large_flows, frozen, many_counterparties, night_flows, remote_login or other.
    pub pattern: String,
    /// What the partner saw, in words (no account numbers needed; up to 2000 characters).
    #[serde(default)]
    pub detail: String,
}

/// A checked signal.
#[derive(Clone, Debug)]
pub struct Signal {
    pub reference: String,
    pub account_kind: AccountKind,
    pub pattern: Pattern,
}

/// The facts of one mule-risk warning.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(as = MuleSignalFacts)]
pub struct SignalFacts {
    pub warning_id: WarningId,
    #[schema(value_type = String, example = "bank_card")]
    pub account_kind: AccountKind,
    #[schema(value_type = String, example = "frozen")]
    pub pattern: Pattern,
    pub created_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kinds_patterns_and_roles() {
        assert_eq!(AccountKind::parse("银行卡"), Some(AccountKind::BankCard));
        assert_eq!(
            AccountKind::parse("PHONE_CARD"),
            Some(AccountKind::PhoneCard)
        );
        assert_eq!(AccountKind::parse("id_card"), None);
        assert_eq!(Pattern::parse("涉诈账户"), Some(Pattern::Frozen));
        assert_eq!(Pattern::Frozen.severity(), Severity::High);
        assert_eq!(Pattern::RemoteLogin.severity(), Severity::Medium);
        assert_eq!(PersonRole::parse(""), Some(PersonRole::Victim));
        assert_eq!(
            parse_case_role("suspect", "bank_card").unwrap(),
            (PersonRole::Suspect, Some(AccountKind::BankCard))
        );
        assert!(parse_case_role("suspect", "").is_err());
        assert!(parse_case_role("victim", "bank_card").is_err());
        assert!(parse_case_role("both", "fax").is_err());
        assert!(parse_case_role("witness", "").is_err());
        assert!(PersonRole::Both.is_suspect() && PersonRole::Both.is_victim());
    }
}
