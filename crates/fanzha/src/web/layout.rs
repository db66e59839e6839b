//! The page shell: what every page knows (language, user, CSRF token, unread count, navigation),
//! and the error page.

use askama::Template;

use super::context::User;
use super::i18n::Lang;
use super::AppState;
use crate::auth::model::Role;
use crate::auth::policy::{self, Action};

pub struct NavItem {
    pub href: &'static str,
    pub label: String,
    pub active: bool,
}

/// Common data of every signed-in page.
pub struct PageCtx {
    pub lang: Lang,
    pub display_name: String,
    pub roles: String,
    pub csrf: String,
    pub unread: i64,
    pub nav: Vec<NavItem>,
    pub tz: chrono_tz::Tz,
    pub path: String,
}

impl PageCtx {
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }
    pub fn ta(&self, key: &str, args: &[(&str, String)]) -> String {
        self.lang.ta(key, args)
    }
    /// A message with one argument (templates cannot build argument lists).
    pub fn ta1(&self, key: &str, name: &str, value: &str) -> String {
        self.lang.ta(key, &[(name, value.to_string())])
    }
    pub fn duty(&self, d: &crate::org::model::Duty) -> String {
        self.lang.t(&format!("duty-{}", d.as_str()))
    }
    /// A UTC millisecond time in the viewer's zone.
    pub fn time(&self, ms: &i64) -> String {
        fmt_time(*ms, self.tz)
    }
    pub fn time_opt(&self, ms: &Option<i64>) -> String {
        ms.map(|m| fmt_time(m, self.tz)).unwrap_or_default()
    }
    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }
    /// The name of a fraud type (its id or Chinese name) in the viewer's language.
    pub fn fraud_type(&self, id: &str) -> String {
        fraud_type_name(self.lang, id)
    }
    /// An amount in fen as people read it ("12,345.67").
    pub fn money(&self, cents: &i64) -> String {
        crate::kernel::money::yuan(*cents)
    }
    pub fn asset_version(&self) -> &'static str {
        super::assets::VERSION
    }
}

pub use crate::i18n::fraud_type_name;

pub fn fmt_time(ms: i64, tz: chrono_tz::Tz) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// Builds the page context for a signed-in user; the navigation lists only features that exist
/// and that one of the user's roles may use.
pub async fn page_ctx(st: &AppState, u: &User) -> PageCtx {
    let p = &u.p;
    let lang = u.ctx.lang;
    let unread = st.unread_count(&p.recipients()).await.unwrap_or(0);
    let has = |a: Action| !policy::scopes_for(p, a).is_empty();
    let path = u.ctx.path.split('?').next().unwrap_or("/").to_string();
    let mut items: Vec<(&'static str, &'static str)> = vec![("/", "nav-home")];
    if has(Action::ViewUnits) {
        items.push(("/org", "nav-org"));
    }
    if has(Action::ImportRoster) {
        items.push(("/org/import", "nav-import"));
    }
    if has(Action::ViewCases) || has(Action::ManageCases) {
        items.push(("/cases", "nav-cases"));
    }
    if has(Action::ViewAudit) {
        items.push(("/audit", "nav-audit"));
    }
    items.push(("/check", "nav-check"));
    if has(Action::CurateIntel) {
        items.push(("/intel", "nav-intel"));
    }
    // A partner issues warnings through the API and gets receipts; the console is not for it.
    let partner_only = p.roles().iter().all(|r| *r == Role::Partner);
    // A student reads the warnings about themself there.
    let student = p.has_role(Role::Student) && p.student_id.is_some();
    if student || has(Action::ViewWarnings) || (has(Action::IssueWarning) && !partner_only) {
        items.push(("/warnings", "nav-warnings"));
    }
    if has(Action::ViewWarnings) || has(Action::ViewCases) {
        items.push(("/mules", "nav-mules"));
    }
    if has(Action::ViewReach) {
        items.push(("/campaigns", "nav-campaigns"));
    }
    // Everyone files and follows reports except a partner organisation's account (banks and
    // platforms use the API; a person reports as themself).
    if p.roles().iter().any(|r| *r != Role::Partner) {
        items.push(("/reports", "nav-reports"));
        items.push(("/contests", "nav-contests"));
    }
    if student || has(Action::ViewLearning) || has(Action::ManageLearning) {
        items.push(("/learning", "nav-learning"));
    }
    if p.roles().iter().any(|r| *r != Role::Partner) {
        items.push(("/volunteers", "nav-volunteers"));
    }
    items.push(("/inbox", "nav-inbox"));
    items.push(("/account", "nav-account"));
    if p.roles()
        .iter()
        .any(|r| r.is_staff() || *r == Role::Partner)
    {
        items.push(("/api/docs", "nav-api"));
    }
    let current = items
        .iter()
        .map(|(href, _)| *href)
        .filter(|href| {
            if *href == "/" {
                path == "/"
            } else {
                path.starts_with(href)
            }
        })
        .max_by_key(|href| href.len());
    let nav = items
        .into_iter()
        .map(|(href, key)| NavItem {
            href,
            label: lang.t(key),
            active: Some(href) == current,
        })
        .collect();
    let roles = p
        .roles()
        .iter()
        .map(|r| lang.t(&format!("role-{}", r.as_str())))
        .collect::<Vec<_>>()
        .join(" · ");
    let csrf = u.ctx.csrf.clone();
    PageCtx {
        lang,
        display_name: p.display_name.clone(),
        roles,
        csrf,
        unread,
        nav,
        tz: p.time_zone,
        path,
    }
}

#[derive(Template)]
#[template(path = "web/error.html")]
pub struct ErrorPage {
    pub lang: Lang,
    pub status: u16,
    pub message: String,
    pub details: Vec<String>,
    pub signed_in: bool,
}

impl ErrorPage {
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }
}
