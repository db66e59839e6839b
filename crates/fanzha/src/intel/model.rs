//! Types of the indicator store: kinds, statuses, sharing levels, fraud-type sets, parsed once.

use std::fmt;
use std::str::FromStr;

use fanzha_detect::{FraudType, IndicatorKind};

/// The kinds of indicator the store keeps (the value-like kinds of fanzha-detect).
pub const KINDS: [IndicatorKind; 10] = [
    IndicatorKind::Phone,
    IndicatorKind::Url,
    IndicatorKind::Domain,
    IndicatorKind::Ip,
    IndicatorKind::BankCard,
    IndicatorKind::Alipay,
    IndicatorKind::Wechat,
    IndicatorKind::Qq,
    IndicatorKind::App,
    IndicatorKind::OtherAccount,
];

/// A kind the store keeps; parsed from its id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Kind(IndicatorKind);

impl Kind {
    pub fn get(self) -> IndicatorKind {
        self.0
    }
    pub fn id(self) -> &'static str {
        self.0.id()
    }
    /// Position in [`KINDS`], the compact code the index uses.
    pub fn code(self) -> u8 {
        KINDS.iter().position(|k| *k == self.0).unwrap_or(0) as u8
    }
    pub fn all() -> impl Iterator<Item = Kind> {
        KINDS.into_iter().map(Kind)
    }
    /// A detected indicator's kind, when the store keeps that kind.
    pub fn of(k: IndicatorKind) -> Option<Kind> {
        KINDS.contains(&k).then_some(Kind(k))
    }
}

impl FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KINDS
            .into_iter()
            .find(|k| k.id() == s.trim())
            .map(Kind)
            .ok_or_else(|| {
                format!("unknown indicator kind `{s}` (expected one of: phone, url, domain, ip, bank_card, alipay, wechat, qq, app, other_account)")
            })
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A canonical indicator value of a kind: it exists only in canonical form.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IndicatorKey {
    kind: Kind,
    value: String,
}

impl IndicatorKey {
    /// Canonicalises `raw` as `kind` (fanzha_detect::canonicalize); the error explains why not.
    pub fn parse(kind: &str, raw: &str) -> Result<IndicatorKey, String> {
        let kind: Kind = kind.parse()?;
        Self::of(kind, raw)
    }
    pub fn of(kind: Kind, raw: &str) -> Result<IndicatorKey, String> {
        if raw.len() > 2048 {
            return Err("value is longer than 2048 bytes".into());
        }
        let value = kind.0.canonicalize(raw).map_err(|e| e.to_string())?;
        Ok(IndicatorKey { kind, value })
    }
    pub fn kind(&self) -> Kind {
        self.kind
    }
    pub fn value(&self) -> &str {
        &self.value
    }
}

/// Where an indicator stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Reported,
    Suspected,
    Confirmed,
    /// Cleared as a false positive.
    Cleared,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Reported,
        Status::Suspected,
        Status::Confirmed,
        Status::Cleared,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Reported => "reported",
            Status::Suspected => "suspected",
            Status::Confirmed => "confirmed",
            Status::Cleared => "cleared",
        }
    }
    pub fn code(self) -> u8 {
        self as u8
    }
    pub fn from_code(c: u8) -> Status {
        Status::ALL
            .get(c as usize)
            .copied()
            .unwrap_or(Status::Reported)
    }
}

impl FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|x| x.as_str() == s.trim())
            .ok_or_else(|| {
                format!("unknown status `{s}` (one of reported, suspected, confirmed, cleared)")
            })
    }
}

/// Traffic Light Protocol sharing level (TLP 2.0; TLP 1.0's WHITE reads as CLEAR), in the order
/// it tightens. `AmberStrict` is visible only inside the receiving organisation's own units: its
/// sources are for police eyes and it never leaves in an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tlp {
    Clear,
    Green,
    Amber,
    AmberStrict,
    Red,
}

impl Tlp {
    pub const ALL: [Tlp; 5] = [
        Tlp::Clear,
        Tlp::Green,
        Tlp::Amber,
        Tlp::AmberStrict,
        Tlp::Red,
    ];
    /// The id stored and used in forms and URLs (`amber_strict`: a `+` would read as a space in a
    /// query string).
    pub fn as_str(self) -> &'static str {
        match self {
            Tlp::Clear => "clear",
            Tlp::Green => "green",
            Tlp::Amber => "amber",
            Tlp::AmberStrict => "amber_strict",
            Tlp::Red => "red",
        }
    }
    /// The TLP 2.0 name of the level: `clear`, `green`, `amber`, `amber+strict`, `red`.
    pub fn tlp_name(self) -> &'static str {
        match self {
            Tlp::AmberStrict => "amber+strict",
            t => t.as_str(),
        }
    }
    pub fn code(self) -> u8 {
        self as u8
    }
    pub fn from_code(c: u8) -> Tlp {
        Tlp::ALL.get(c as usize).copied().unwrap_or(Tlp::Red)
    }
    /// Sources of amber, amber+strict and red indicators are for police eyes only.
    pub fn sources_public(self) -> bool {
        matches!(self, Tlp::Clear | Tlp::Green)
    }
    /// May leave the organisation in an export (AMBER+STRICT stays inside its own units).
    pub fn exportable(self) -> bool {
        self != Tlp::AmberStrict
    }
}

impl FromStr for Tlp {
    type Err = String;
    /// Reads TLP 1.0 and 2.0 names, with or without `tlp:`, any case: `clear`/`white`, `green`,
    /// `amber`, `amber+strict` (or `amber_strict`), `red`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let l = s.trim().to_ascii_lowercase();
        let l = l.strip_prefix("tlp:").unwrap_or(&l).trim();
        Ok(match l {
            "clear" | "white" => Tlp::Clear,
            "green" => Tlp::Green,
            "amber" => Tlp::Amber,
            "amber+strict" | "amber_strict" => Tlp::AmberStrict,
            "red" => Tlp::Red,
            _ => {
                return Err(format!(
                    "unknown sharing level `{}` (one of clear, green, amber, amber+strict, red)",
                    s.trim()
                ))
            }
        })
    }
}

/// Who set an indicator's status or sharing level. An import never changes what a person set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SetBy {
    /// The default of an indicator seen in reports.
    Report,
    /// A feed's value (the last import that applied).
    Import,
    /// Police decided (console, case, review, merge).
    Person,
}

impl SetBy {
    pub fn as_str(self) -> &'static str {
        match self {
            SetBy::Report => "report",
            SetBy::Import => "import",
            SetBy::Person => "person",
        }
    }
}

impl FromStr for SetBy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "report" => Ok(SetBy::Report),
            "import" => Ok(SetBy::Import),
            "person" => Ok(SetBy::Person),
            _ => Err(format!("unknown setter `{s}`")),
        }
    }
}

/// A set of fraud types (never `normal`), as a bit mask.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FraudTypes(u16);

impl FraudTypes {
    pub fn bits(self) -> u16 {
        self.0
    }
    pub fn from_bits(b: u16) -> Self {
        FraudTypes(b)
    }
    pub fn insert(&mut self, t: FraudType) {
        if t.is_fraud() {
            self.0 |= 1 << t.index();
        }
    }
    pub fn union(self, o: FraudTypes) -> FraudTypes {
        FraudTypes(self.0 | o.0)
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn iter(self) -> impl Iterator<Item = FraudType> {
        FraudType::ALL
            .into_iter()
            .filter(move |t| self.0 & (1 << t.index()) != 0)
    }
    pub fn first(self) -> Option<FraudType> {
        self.iter().next()
    }
    pub fn ids(self) -> Vec<&'static str> {
        self.iter().map(|t| t.id()).collect()
    }
    /// Comma-separated ids, as stored.
    pub fn to_db(self) -> String {
        self.ids().join(",")
    }
    /// Parses ids separated by `,`, `|` or `;`; an unknown id is an error.
    pub fn parse(s: &str) -> Result<FraudTypes, String> {
        let mut out = FraudTypes::default();
        for part in s
            .split([',', '|', ';'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let t: FraudType = part
                .parse()
                .map_err(|e: fanzha_detect::typology::UnknownFraudType| e.to_string())?;
            out.insert(t);
        }
        Ok(out)
    }
    pub fn from_list(v: &[String]) -> Result<FraudTypes, String> {
        FraudTypes::parse(&v.join(","))
    }
}

/// One indicator as stored.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Indicator {
    pub id: i64,
    pub kind: String,
    pub value: String,
    #[schema(value_type = String)]
    pub status: Status,
    pub fraud_types: Vec<String>,
    #[schema(value_type = String)]
    pub tlp: Tlp,
    /// Who set the status: report, import or person.
    #[schema(value_type = String)]
    pub status_by: SetBy,
    /// Who set the sharing level: report, import or person.
    #[schema(value_type = String)]
    pub tlp_by: SetBy,
    pub sightings: i64,
    pub first_seen: i64,
    pub last_seen: i64,
    pub note: String,
}

/// One entry of an import or export: what is shared about an indicator.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Entry {
    pub key: IndicatorKey,
    pub status: Status,
    pub fraud_types: Vec<&'static str>,
    pub tlp: Tlp,
    /// The feed the entry comes from (`stix:<created_by_ref>`, `misp:<org uuid>`, `csv`): with
    /// `entry_id`, what makes a sighting count once.
    pub source: String,
    /// The entry's own id in its feed (STIX indicator id, MISP attribute uuid; for CSV the
    /// canonical `kind:value`).
    pub entry_id: String,
    /// Why a feed withdrew the entry (`revoked`, `expired`, `deleted`): imported as cleared, not live.
    pub withdrawn: Option<&'static str>,
}

impl Entry {
    pub fn types(&self) -> FraudTypes {
        FraudTypes::parse(&self.fraud_types.join(",")).unwrap_or_default()
    }
}
