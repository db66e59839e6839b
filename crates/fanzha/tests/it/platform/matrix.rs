//! The role × operation matrix: every `/api/v1` operation, called by every role on a record or
//! unit inside the role's scope (A: school SCH1, class CLS1A1, station ST1, province P1), one
//! outside it (B: school SCH2, class CLS2A1, station ST2, province P2) and, where the role creates
//! such records, one it created itself (O), each answer checked against one table written by hand
//! from the policy (`auth::policy::role_allows`, DESIGN.md's invariants, docs/API.md and the module
//! docs), never from today's answers.
//!
//! The operations come from the OpenAPI document the app serves, and that list must equal the
//! routes the router declares (read from the source), so that an operation without a row here
//! fails the test.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::*;
use fanzha::auth::model::Scope;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The roles, in the order of the table's columns, with the fixture account holding each.
const ROLES: [(&str, &str); 7] = [
    ("student", "student1"),
    ("counselor", "counselor1"),
    ("unit leader", "leader1"),
    ("school admin", "admin1"),
    ("police", "police1"),
    ("province admin", "province1"),
    ("partner", "partner1"),
];

/// One row per operation: the targets it is called on (`-`: none, else a sequence of `A`, `B`,
/// `O`) and, per role in the order of [`ROLES`], one letter per target:
/// `Y` the policy lets the call through (2xx, or 400/409/422 on the probe's input), `R` refused
/// (403 or 404, nothing leaked), `V` refused as invalid input: a unit named in the body that the
/// caller may not use gets the same 422 as one that does not exist. A call without a token is 401
/// everywhere (checked apart). Probes carry valid bodies, so that a 400/422 is not mistaken for
/// the policy letting a call through.
///
/// Scope of each fixture role: student1 is 张三 (SCH1/CLS1A1); counselor1 holds CLS1A1; leader1
/// COL1A (above CLS1A1); admin1 SCH1; police1 station ST1, whose jurisdiction is SCH1; province1
/// the province P1 (SCH1 and SCH2); partner1 is a bank over P1.
const TABLE: &[(&str, &str, [&str; 7])] = &[
    // op, targets, [student, counselor, leader, school admin, police, province admin, partner]
    // ---- org: ViewUnits, ListPeople, ViewPerson, Import/ExportRoster, ManageUnits, ViewAudit
    (
        "GET /api/v1/units",
        "-",
        ["Y", "Y", "Y", "Y", "Y", "Y", "R"],
    ),
    (
        "POST /api/v1/units",
        "AB",
        ["RR", "RR", "RR", "YR", "RR", "YY", "RR"],
    ),
    (
        "GET /api/v1/units/{code}",
        "AB",
        ["RR", "YR", "YR", "YR", "YR", "YY", "RR"],
    ),
    (
        "GET /api/v1/units/{code}/students",
        "AB",
        ["RR", "YR", "YR", "YR", "YR", "RR", "RR"],
    ),
    (
        "GET /api/v1/units/{code}/roster",
        "AB",
        ["RR", "YR", "YR", "YR", "RR", "RR", "RR"],
    ),
    (
        "POST /api/v1/units/{code}/roster",
        "AB",
        ["RR", "RR", "RR", "YR", "RR", "RR", "RR"],
    ),
    // IssueActivationCodes: counselors (own classes), unit leaders, school admins.
    (
        "POST /api/v1/units/{code}/activation-codes",
        "AB",
        ["RR", "YR", "YR", "YR", "RR", "RR", "RR"],
    ),
    // A is 张三, student1's own record.
    (
        "GET /api/v1/students/{id}",
        "AB",
        ["YR", "YR", "YR", "YR", "YR", "RR", "RR"],
    ),
    (
        "GET /api/v1/students/{id}/responsible",
        "AB",
        ["YR", "YR", "YR", "YR", "YR", "RR", "RR"],
    ),
    (
        "GET /api/v1/audit",
        "-",
        ["R", "R", "R", "Y", "Y", "Y", "R"],
    ),
    // ---- every account: its inbox, itself, its tokens (another account's token: refused)
    (
        "GET /api/v1/inbox",
        "-",
        ["Y", "Y", "Y", "Y", "Y", "Y", "Y"],
    ),
    (
        "POST /api/v1/inbox/{id}/read",
        "BO",
        ["RY", "RY", "RY", "RY", "RY", "RY", "RY"],
    ),
    ("GET /api/v1/me", "-", ["Y", "Y", "Y", "Y", "Y", "Y", "Y"]),
    (
        "GET /api/v1/tokens",
        "-",
        ["Y", "Y", "Y", "Y", "Y", "Y", "Y"],
    ),
    (
        "POST /api/v1/tokens/{id}/revoke",
        "BO",
        ["RY", "RY", "RY", "RY", "RY", "RY", "RY"],
    ),
    // ---- risk check: anyone
    (
        "POST /api/v1/risk/check",
        "-",
        ["Y", "Y", "Y", "Y", "Y", "Y", "Y"],
    ),
    // ---- intel import: CurateIntel (police, province admins), with `intel:write`
    (
        "POST /api/v1/intel/import",
        "-",
        ["R", "R", "R", "R", "Y", "Y", "R"],
    ),
    // ---- warnings: IssueWarning (police, partner), ViewWarnings, ActOnWarning, IdentifyWarning,
    // ConfigureWarnings, ViewAppraisal. A partner gets its own receipts only (O), nothing else.
    (
        "POST /api/v1/warnings",
        "-",
        ["R", "R", "R", "R", "Y", "R", "Y"],
    ),
    (
        "POST /api/v1/warnings/batch",
        "-",
        ["R", "R", "R", "R", "Y", "R", "R"],
    ),
    (
        "GET /api/v1/warnings",
        "-",
        ["Y", "Y", "Y", "Y", "Y", "Y", "R"],
    ),
    (
        "GET /api/v1/warnings/mine",
        "-",
        ["Y", "Y", "Y", "Y", "Y", "Y", "R"],
    ),
    // A was issued by police1 about 张三; B by police2 about 钱七 (SCH2); O by each role itself
    // (police1, partner1 — the others cannot issue, so their O is partner1's). A student reads
    // the warnings about themself (A is about student1).
    (
        "GET /api/v1/warnings/{id}",
        "ABO",
        ["YRR", "YRY", "YRY", "YRY", "YRY", "YYY", "RRY"],
    ),
    (
        "POST /api/v1/warnings/{id}/acknowledge",
        "AB",
        ["RR", "YR", "RR", "YR", "RR", "RR", "RR"],
    ),
    (
        "POST /api/v1/warnings/{id}/contact",
        "AB",
        ["RR", "YR", "RR", "YR", "RR", "RR", "RR"],
    ),
    (
        "POST /api/v1/warnings/{id}/outcome",
        "AB",
        ["RR", "YR", "RR", "YR", "RR", "RR", "RR"],
    ),
    (
        "POST /api/v1/warnings/{id}/identify",
        "AB",
        ["RR", "RR", "RR", "YR", "YR", "RR", "RR"],
    ),
    (
        "GET /api/v1/warnings/figures",
        "AB",
        ["RR", "YR", "YR", "YR", "YR", "YY", "RR"],
    ),
    (
        "GET /api/v1/warnings/appraisal",
        "AB",
        ["RR", "RR", "RR", "YR", "YR", "YY", "RR"],
    ),
    (
        "GET /api/v1/warnings/settings/{school}",
        "AB",
        ["RR", "RR", "RR", "YR", "YR", "YY", "RR"],
    ),
    (
        "PUT /api/v1/warnings/settings/{school}",
        "AB",
        ["RR", "RR", "RR", "YR", "RR", "RR", "RR"],
    ),
    // ---- cases: ViewCases (leader, admin, police, province), ManageCases (police),
    // ManageAwards (province). A case in SCH1 was recorded by police1 (its own), B by police2.
    (
        "GET /api/v1/cases",
        "AB",
        ["RR", "RR", "RR", "YR", "YR", "YY", "RR"],
    ),
    // The unit is named in the body: outside the jurisdiction it is refused like a unit that
    // does not exist (422 `cases-err-unit`, V).
    (
        "POST /api/v1/cases",
        "AB",
        ["RR", "RR", "RR", "RR", "YV", "RR", "RR"],
    ),
    (
        "GET /api/v1/cases/{id}",
        "AB",
        ["RR", "RR", "YR", "YR", "YR", "YY", "RR"],
    ),
    (
        "PUT /api/v1/cases/{id}",
        "AB",
        ["RR", "RR", "RR", "RR", "YR", "RR", "RR"],
    ),
    (
        "POST /api/v1/cases/import",
        "-",
        ["R", "R", "R", "R", "Y", "R", "R"],
    ),
    (
        "GET /api/v1/cases/analysis",
        "AB",
        ["RR", "RR", "RR", "YR", "YR", "YY", "RR"],
    ),
    // KPIs are a station's: A is ST1, B ST2.
    (
        "GET /api/v1/cases/kpis",
        "AB",
        ["RR", "RR", "RR", "RR", "YR", "YY", "RR"],
    ),
    (
        "POST /api/v1/cases/kpis",
        "AB",
        ["RR", "RR", "RR", "RR", "YR", "RR", "RR"],
    ),
    (
        "GET /api/v1/cases/briefings",
        "-",
        ["Y", "Y", "Y", "Y", "Y", "Y", "Y"],
    ),
    (
        "POST /api/v1/cases/briefings",
        "AB",
        ["RR", "RR", "RR", "RR", "YR", "RR", "RR"],
    ),
    // A briefing of ST1 (police1's own draft), B of ST2.
    (
        "GET /api/v1/cases/briefings/{id}",
        "AB",
        ["RR", "RR", "RR", "RR", "YR", "YY", "RR"],
    ),
    (
        "POST /api/v1/cases/briefings/{id}/publish",
        "AB",
        ["RR", "RR", "RR", "RR", "YR", "RR", "RR"],
    ),
    // Rankings and awards are a province's: A is P1, B P2. Police, school admins and unit
    // leaders inside a province read its ranking.
    (
        "GET /api/v1/cases/ranking",
        "AB",
        ["RR", "RR", "YR", "YR", "YR", "YR", "RR"],
    ),
    (
        "GET /api/v1/cases/awards",
        "AB",
        ["YY", "YY", "YY", "YY", "YY", "YY", "YY"],
    ),
    (
        "POST /api/v1/cases/awards",
        "AB",
        ["RR", "RR", "RR", "RR", "RR", "YR", "RR"],
    ),
    (
        "POST /api/v1/cases/awards/publish",
        "AB",
        ["RR", "RR", "RR", "RR", "RR", "YR", "RR"],
    ),
    // ---- campaigns: ManageCampaigns (admin, police), ViewReach (staff, police, province).
    (
        "GET /api/v1/campaigns/contents",
        "-",
        ["R", "R", "R", "Y", "Y", "R", "R"],
    ),
    (
        "POST /api/v1/campaigns/contents",
        "AB",
        ["RR", "RR", "RR", "YR", "YR", "RR", "RR"],
    ),
    // A: police1's content for SCH1 (police1's own); B: admin2's for SCH2.
    (
        "GET /api/v1/campaigns/contents/{id}",
        "AB",
        ["RR", "RR", "RR", "YR", "YR", "RR", "RR"],
    ),
    (
        "PUT /api/v1/campaigns/contents/{id}",
        "AB",
        ["RR", "RR", "RR", "YR", "YR", "RR", "RR"],
    ),
    (
        "POST /api/v1/campaigns/contents/{id}/{step}",
        "AB",
        ["RR", "RR", "RR", "YR", "YR", "RR", "RR"],
    ),
    (
        "GET /api/v1/campaigns/channels",
        "-",
        ["R", "R", "R", "Y", "Y", "R", "R"],
    ),
    (
        "POST /api/v1/campaigns/channels",
        "AB",
        ["RR", "RR", "RR", "YR", "YR", "RR", "RR"],
    ),
    (
        "POST /api/v1/campaigns/preview",
        "AB",
        ["RR", "RR", "RR", "YR", "YR", "RR", "RR"],
    ),
    (
        "GET /api/v1/campaigns",
        "-",
        ["R", "Y", "Y", "Y", "Y", "Y", "R"],
    ),
    (
        "POST /api/v1/campaigns",
        "AB",
        ["RR", "RR", "RR", "YR", "YR", "RR", "RR"],
    ),
    // No campaign exists in this fixture: everyone is refused (404) on B, a made-up id.
    (
        "GET /api/v1/campaigns/{id}",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "POST /api/v1/campaigns/{id}/recall",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "GET /api/v1/campaigns/{id}/reach",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "GET /api/v1/campaigns/gaps",
        "AB",
        ["RR", "YR", "YR", "YR", "YR", "YY", "RR"],
    ),
    (
        "GET /api/v1/campaigns/exposure",
        "AB",
        ["RR", "RR", "RR", "YR", "YR", "RR", "RR"],
    ),
    (
        "GET /api/v1/campaigns/deliveries/{id}",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "POST /api/v1/campaigns/deliveries/{id}/ack",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "POST /api/v1/campaigns/deliveries/{id}/quiz",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    // ---- reports: filed by anyone but a partner; ViewReports (staff, police), TriageReports
    // (police). A was filed by student1 (its own), B by student3 (SCH2).
    (
        "POST /api/v1/reports",
        "-",
        ["Y", "Y", "Y", "Y", "Y", "Y", "R"],
    ),
    (
        "GET /api/v1/reports",
        "-",
        ["Y", "Y", "Y", "Y", "Y", "Y", "R"],
    ),
    (
        "POST /api/v1/reports/prefill",
        "-",
        ["Y", "Y", "Y", "Y", "Y", "Y", "R"],
    ),
    (
        "GET /api/v1/reports/{id}",
        "AB",
        ["YR", "YR", "YR", "YR", "YR", "RR", "RR"],
    ),
    (
        "POST /api/v1/reports/{id}/triage",
        "AB",
        ["RR", "RR", "RR", "RR", "YR", "RR", "RR"],
    ),
    // Evidence: the reporter only.
    (
        "POST /api/v1/reports/{id}/evidence",
        "AB",
        ["YR", "RR", "RR", "RR", "RR", "RR", "RR"],
    ),
    (
        "GET /api/v1/reports/{id}/evidence/{eid}",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "GET /api/v1/reports/stop-payments",
        "-",
        ["Y", "Y", "Y", "Y", "Y", "Y", "R"],
    ),
    (
        "POST /api/v1/reports/stop-payments/{id}/actions",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "GET /api/v1/reports/clusters",
        "-",
        ["R", "R", "R", "R", "Y", "R", "R"],
    ),
    (
        "GET /api/v1/reports/figures",
        "-",
        ["R", "R", "R", "R", "Y", "R", "R"],
    ),
    // ---- volunteers: everyone but a partner reads the board and their own ledger (409 for
    // someone who is not a volunteer); students register; police and school admins publish (a
    // province admin has no publishing unit). Calls on a task, claim or reward that does not
    // exist answer 404 to everyone, before any check of the caller's own state.
    (
        "POST /api/v1/volunteers/register",
        "-",
        ["Y", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "GET /api/v1/volunteers/me",
        "-",
        ["Y", "Y", "Y", "Y", "Y", "Y", "R"],
    ),
    (
        "GET /api/v1/volunteers/tasks",
        "-",
        ["Y", "Y", "Y", "Y", "Y", "Y", "R"],
    ),
    (
        "POST /api/v1/volunteers/tasks",
        "-",
        ["R", "R", "R", "Y", "Y", "R", "R"],
    ),
    (
        "GET /api/v1/volunteers/tasks/{id}",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "POST /api/v1/volunteers/tasks/{id}/claim",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "POST /api/v1/volunteers/tasks/{id}/withdraw",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "POST /api/v1/volunteers/tasks/{id}/status",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "GET /api/v1/volunteers/tasks/{id}/code",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "POST /api/v1/volunteers/tasks/{id}/check",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "POST /api/v1/volunteers/tasks/{id}/proof",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "POST /api/v1/volunteers/claims/{id}/review",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "POST /api/v1/volunteers/rewards/{id}/redeem",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    // ---- contests: everyone but a partner lists the contests they may see; every call on a
    // contest that does not exist answers 404, before any check of the caller's standing (which
    // the contests suite checks on real contests: voters, judges, organisers, outsiders).
    (
        "GET /api/v1/contests",
        "-",
        ["Y", "Y", "Y", "Y", "Y", "Y", "R"],
    ),
    (
        "GET /api/v1/contests/{id}",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "GET /api/v1/contests/{id}/entries",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "POST /api/v1/contests/{id}/entries/{eid}/vote",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "POST /api/v1/contests/{id}/entries/{eid}/withdraw",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "POST /api/v1/contests/{id}/entries/{eid}/score",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "POST /api/v1/contests/{id}/votes/change",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "GET /api/v1/contests/{id}/ballots/mine",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "GET /api/v1/contests/{id}/progress",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "GET /api/v1/contests/{id}/anomalies",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "POST /api/v1/contests/{id}/publish",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "GET /api/v1/contests/{id}/results",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "POST /api/v1/contests/{id}/push",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    // Calls for works, the shared library, teams, adjustments, leaderboards: everyone but a
    // partner lists calls, browses the library and reads the leaderboard and their school's or
    // units' teams; police and school admins open calls; school admins form teams; leaving a team
    // one is not in is a 409. Calls, works, items, teams, contests and volunteers that do not
    // exist answer 404 to everyone.
    (
        "GET /api/v1/volunteers/calls",
        "-",
        ["Y", "Y", "Y", "Y", "Y", "Y", "R"],
    ),
    (
        "POST /api/v1/volunteers/calls",
        "-",
        ["R", "R", "R", "Y", "Y", "R", "R"],
    ),
    (
        "GET /api/v1/volunteers/calls/{id}",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "POST /api/v1/volunteers/calls/{id}/close",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "POST /api/v1/volunteers/calls/{id}/works",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "POST /api/v1/volunteers/works/{id}/review",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "POST /api/v1/volunteers/works/{id}/contest",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "GET /api/v1/volunteers/library",
        "-",
        ["Y", "Y", "Y", "Y", "Y", "Y", "R"],
    ),
    (
        "GET /api/v1/volunteers/library/{id}",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "POST /api/v1/volunteers/library/{id}/reuse",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "POST /api/v1/volunteers/library/contests/{id}",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "GET /api/v1/volunteers/teams",
        "-",
        ["Y", "Y", "Y", "Y", "Y", "Y", "R"],
    ),
    (
        "POST /api/v1/volunteers/teams",
        "-",
        ["R", "R", "R", "Y", "R", "R", "R"],
    ),
    (
        "POST /api/v1/volunteers/teams/{id}/join",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "POST /api/v1/volunteers/teams/leave",
        "-",
        ["Y", "Y", "Y", "Y", "Y", "Y", "R"],
    ),
    (
        "POST /api/v1/volunteers/volunteers/{id}/adjust",
        "B",
        ["R", "R", "R", "R", "R", "R", "R"],
    ),
    (
        "GET /api/v1/volunteers/leaderboard",
        "-",
        ["Y", "Y", "Y", "Y", "Y", "Y", "R"],
    ),
    // ---- mules: a partner sends signals and reads its own receipt (A: the partner's warning),
    // nothing else; police read signals about nobody; the figures follow ViewWarnings; facts
    // exist for mule-risk warnings only (A and B here are fraud warnings: 404 to all); a province
    // admin sets its own province's rule.
    (
        "POST /api/v1/mules/signals",
        "-",
        ["R", "R", "R", "R", "R", "R", "Y"],
    ),
    (
        "GET /api/v1/mules/signals/{id}",
        "AB",
        ["RR", "RR", "RR", "RR", "RR", "RR", "YR"],
    ),
    (
        "GET /api/v1/mules/police",
        "-",
        ["R", "R", "R", "R", "Y", "R", "R"],
    ),
    (
        "GET /api/v1/mules/figures",
        "AB",
        ["RR", "YR", "YR", "YR", "YR", "YY", "RR"],
    ),
    (
        "GET /api/v1/mules/warnings/{id}/facts",
        "AB",
        ["RR", "RR", "RR", "RR", "RR", "RR", "RR"],
    ),
    (
        "PUT /api/v1/mules/rules/{province}",
        "AB",
        ["RR", "RR", "RR", "RR", "RR", "YR", "RR"],
    ),
    // The starter content on 两卡: listed for whoever reads campaigns (an empty list for who
    // authors for no school); adopted by who may author the school's campaigns (a province
    // admin's token carries no campaigns:write).
    (
        "GET /api/v1/mules/starter",
        "-",
        ["R", "Y", "Y", "Y", "Y", "Y", "R"],
    ),
    (
        "POST /api/v1/mules/starter",
        "AB",
        ["RR", "RR", "RR", "YR", "YR", "RR", "RR"],
    ),
    // A volunteer's balance, read from the stored total (409 for who is not a volunteer).
    (
        "GET /api/v1/volunteers/balance",
        "-",
        ["Y", "Y", "Y", "Y", "Y", "Y", "R"],
    ),
];

/// Ids of the records the probes aim at.
#[derive(Default)]
struct Records {
    student_a: i64,
    student_b: i64,
    report_a: i64,
    report_b: i64,
    warning_a: i64,
    warning_b: i64,
    warning_partner: i64,
    case_a: i64,
    case_b: i64,
    content_a: i64,
    content_b: i64,
    briefing_a: i64,
    briefing_b: i64,
    /// The last inbox message of each account, and a message of another account.
    inbox_b: i64,
    /// A token of another account.
    token_b: i64,
}

enum Body {
    None,
    Json(Value),
    Csv(&'static str),
    Bytes(Vec<u8>),
}

/// The request of `op` aimed at `target` (A, B, O or `-`); `own` holds the caller's own records
/// and `n`, a number unique to the call (for codes and keys).
fn probe(op: &str, target: char, r: &Records, own: &BTreeMap<&str, i64>) -> (String, Body) {
    let (a_b, school, class, station, province, student, report, warning, case, content, briefing) =
        match target {
            'B' => (
                'B',
                "SCH2",
                "CLS2A1",
                "ST2",
                "P2",
                r.student_b,
                r.report_b,
                r.warning_b,
                r.case_b,
                r.content_b,
                r.briefing_b,
            ),
            _ => (
                'A',
                "SCH1",
                "CLS1A1",
                "ST1",
                "P1",
                r.student_a,
                r.report_a,
                r.warning_a,
                r.case_a,
                r.content_a,
                r.briefing_a,
            ),
        };
    let warning = if target == 'O' {
        own["warning"]
    } else {
        warning
    };
    let no = if a_b == 'A' {
        "2023010101"
    } else {
        "2023510101"
    };
    let phone = if a_b == 'A' {
        "13800001111"
    } else {
        "13900002111"
    };
    let j = Body::Json;
    let (path, body) = match op {
        "GET /api/v1/units" => ("/api/v1/units".into(), Body::None),
        "POST /api/v1/units" => (
            "/api/v1/units".into(),
            j(
                json!({"parent_code": school, "kind": "college", "code": format!("M{a_b}{}", own["n"]), "name": "新学院"}),
            ),
        ),
        "GET /api/v1/units/{code}" => (format!("/api/v1/units/{class}"), Body::None),
        "GET /api/v1/units/{code}/students" => {
            (format!("/api/v1/units/{class}/students"), Body::None)
        }
        "GET /api/v1/units/{code}/roster" => (format!("/api/v1/units/{class}/roster"), Body::None),
        "POST /api/v1/units/{code}/roster" => (
            format!("/api/v1/units/{school}/roster?kind=students"),
            Body::Csv("学号,姓名\n"),
        ),
        "POST /api/v1/units/{code}/activation-codes" => (
            format!("/api/v1/units/{class}/activation-codes"),
            Body::None,
        ),
        "GET /api/v1/students/{id}" => (format!("/api/v1/students/{student}"), Body::None),
        "GET /api/v1/students/{id}/responsible" => (
            format!("/api/v1/students/{student}/responsible"),
            Body::None,
        ),
        "GET /api/v1/audit" => ("/api/v1/audit".into(), Body::None),
        "GET /api/v1/inbox" => ("/api/v1/inbox".into(), Body::None),
        "POST /api/v1/inbox/{id}/read" => {
            let id = if target == 'O' {
                own["inbox"]
            } else {
                r.inbox_b
            };
            (format!("/api/v1/inbox/{id}/read"), Body::None)
        }
        "GET /api/v1/me" => ("/api/v1/me".into(), Body::None),
        "GET /api/v1/tokens" => ("/api/v1/tokens".into(), Body::None),
        "POST /api/v1/tokens/{id}/revoke" => {
            let id = if target == 'O' {
                own["spare_token"]
            } else {
                r.token_b
            };
            (format!("/api/v1/tokens/{id}/revoke"), Body::None)
        }
        "POST /api/v1/risk/check" => (
            "/api/v1/risk/check".into(),
            j(json!({"kind": "phone", "value": "17088886666"})),
        ),
        "POST /api/v1/intel/import" => (
            "/api/v1/intel/import?format=csv&dry_run=true".into(),
            Body::Csv(
                "kind,value,status,fraud_types,tlp\nphone,17012345678,reported,fake_loan,green\n",
            ),
        ),
        "POST /api/v1/warnings" => (
            "/api/v1/warnings".into(),
            j(
                json!({"phone": phone, "fraud_type": "fake_loan", "severity": "low", "detail": "matrix", "source": "96110"}),
            ),
        ),
        "POST /api/v1/warnings/batch" => (
            "/api/v1/warnings/batch".into(),
            Body::Csv("phone,fraud_type,severity\n13800001112,fake_loan,low\n"),
        ),
        "GET /api/v1/warnings" => ("/api/v1/warnings".into(), Body::None),
        "GET /api/v1/warnings/mine" => ("/api/v1/warnings/mine".into(), Body::None),
        "GET /api/v1/warnings/{id}" => (format!("/api/v1/warnings/{warning}"), Body::None),
        "POST /api/v1/warnings/{id}/acknowledge" => (
            format!("/api/v1/warnings/{warning}/acknowledge"),
            Body::None,
        ),
        "POST /api/v1/warnings/{id}/contact" => (
            format!("/api/v1/warnings/{warning}/contact"),
            j(json!({"method": "phone", "notes": "matrix"})),
        ),
        "POST /api/v1/warnings/{id}/outcome" => (
            format!("/api/v1/warnings/{warning}/outcome"),
            j(json!({"outcome": "dissuaded"})),
        ),
        "POST /api/v1/warnings/{id}/identify" => (
            format!("/api/v1/warnings/{warning}/identify"),
            j(json!({"student_no": no})),
        ),
        "GET /api/v1/warnings/figures" => {
            (format!("/api/v1/warnings/figures?unit={class}"), Body::None)
        }
        "GET /api/v1/warnings/appraisal" => (
            format!("/api/v1/warnings/appraisal?unit={school}"),
            Body::None,
        ),
        "GET /api/v1/warnings/settings/{school}" => {
            (format!("/api/v1/warnings/settings/{school}"), Body::None)
        }
        "PUT /api/v1/warnings/settings/{school}" => (
            format!("/api/v1/warnings/settings/{school}"),
            j(
                json!({"high_ack_min": "15", "high_contact_min": "30", "medium_ack_min": "60",
                "medium_contact_min": "1440", "low_ack_min": "1440", "low_contact_min": "4320",
                "weight_ack": "25", "weight_contact": "25", "weight_escalations": "25",
                "weight_victims": "25"}),
            ),
        ),
        "GET /api/v1/cases" => (format!("/api/v1/cases?unit={school}"), Body::None),
        "POST /api/v1/cases" => ("/api/v1/cases".into(), j(case_body(school, no))),
        "GET /api/v1/cases/{id}" => (format!("/api/v1/cases/{case}"), Body::None),
        "PUT /api/v1/cases/{id}" => (format!("/api/v1/cases/{case}"), j(case_body(school, no))),
        "POST /api/v1/cases/import" => ("/api/v1/cases/import".into(), Body::Csv("unit\n")),
        "GET /api/v1/cases/analysis" => {
            (format!("/api/v1/cases/analysis?unit={school}"), Body::None)
        }
        "GET /api/v1/cases/kpis" => (format!("/api/v1/cases/kpis?unit={station}"), Body::None),
        "POST /api/v1/cases/kpis" => (
            "/api/v1/cases/kpis".into(),
            j(json!({"unit": station, "month": "2025-01", "suspects_arrested": 1})),
        ),
        "GET /api/v1/cases/briefings" => ("/api/v1/cases/briefings".into(), Body::None),
        "POST /api/v1/cases/briefings" => (
            "/api/v1/cases/briefings".into(),
            j(json!({"station": station, "month": "2025-01", "title": "一月通报"})),
        ),
        "GET /api/v1/cases/briefings/{id}" => {
            (format!("/api/v1/cases/briefings/{briefing}"), Body::None)
        }
        "POST /api/v1/cases/briefings/{id}/publish" => (
            format!("/api/v1/cases/briefings/{briefing}/publish"),
            Body::None,
        ),
        "GET /api/v1/cases/ranking" => (
            format!("/api/v1/cases/ranking?province={province}&year=2024"),
            Body::None,
        ),
        "GET /api/v1/cases/awards" => (
            format!("/api/v1/cases/awards?province={province}&year=2024"),
            Body::None,
        ),
        "POST /api/v1/cases/awards" => (
            "/api/v1/cases/awards".into(),
            j(json!({"province": province, "year": 2024, "schools": []})),
        ),
        "POST /api/v1/cases/awards/publish" => (
            "/api/v1/cases/awards/publish".into(),
            j(json!({"province": province, "year": 2024})),
        ),
        "GET /api/v1/campaigns/contents" => ("/api/v1/campaigns/contents".into(), Body::None),
        "POST /api/v1/campaigns/contents" => {
            ("/api/v1/campaigns/contents".into(), j(article(school)))
        }
        "GET /api/v1/campaigns/contents/{id}" => {
            (format!("/api/v1/campaigns/contents/{content}"), Body::None)
        }
        "PUT /api/v1/campaigns/contents/{id}" => (
            format!("/api/v1/campaigns/contents/{content}"),
            j(article(school)),
        ),
        "POST /api/v1/campaigns/contents/{id}/{step}" => (
            format!("/api/v1/campaigns/contents/{content}/submit"),
            j(json!({})),
        ),
        "GET /api/v1/campaigns/channels" => ("/api/v1/campaigns/channels".into(), Body::None),
        "POST /api/v1/campaigns/channels" => (
            "/api/v1/campaigns/channels".into(),
            j(
                json!({"unit": school, "kind": "webhook", "name": "hook", "url": "http://127.0.0.1:9/hook", "secret": "s3cret-s3cret-s3cret"}),
            ),
        ),
        "POST /api/v1/campaigns/preview" => (
            "/api/v1/campaigns/preview".into(),
            j(json!({"unit": school, "fraud_type": "rebate_task", "audience": {"units": [class]}})),
        ),
        "GET /api/v1/campaigns" => ("/api/v1/campaigns".into(), Body::None),
        "POST /api/v1/campaigns" => (
            "/api/v1/campaigns".into(),
            j(
                json!({"unit": school, "title": "开学季", "content_id": content, "fraud_type": "rebate_task", "audience": {"units": [class]}}),
            ),
        ),
        "GET /api/v1/campaigns/{id}" => ("/api/v1/campaigns/999999".into(), Body::None),
        "POST /api/v1/campaigns/{id}/recall" => {
            ("/api/v1/campaigns/999999/recall".into(), j(json!({})))
        }
        "GET /api/v1/campaigns/{id}/reach" => ("/api/v1/campaigns/999999/reach".into(), Body::None),
        "GET /api/v1/campaigns/gaps" => {
            (format!("/api/v1/campaigns/gaps?unit={class}"), Body::None)
        }
        "GET /api/v1/campaigns/exposure" => (
            format!("/api/v1/campaigns/exposure?unit={class}&fraud_type=rebate_task"),
            Body::None,
        ),
        "GET /api/v1/campaigns/deliveries/{id}" => {
            ("/api/v1/campaigns/deliveries/999999".into(), Body::None)
        }
        "POST /api/v1/campaigns/deliveries/{id}/ack" => {
            ("/api/v1/campaigns/deliveries/999999/ack".into(), Body::None)
        }
        "POST /api/v1/campaigns/deliveries/{id}/quiz" => (
            "/api/v1/campaigns/deliveries/999999/quiz".into(),
            j(json!({"answers": [0]})),
        ),
        "POST /api/v1/reports" => (
            "/api/v1/reports".into(),
            j(
                json!({"idempotency_key": format!("matrix-{}", own["n"]), "call": {"number": "170 8888 6666"}}),
            ),
        ),
        "GET /api/v1/reports" => ("/api/v1/reports".into(), Body::None),
        "POST /api/v1/reports/prefill" => (
            "/api/v1/reports/prefill".into(),
            j(json!({"text": "加QQ 2847561039 刷单返利"})),
        ),
        "GET /api/v1/reports/{id}" => (format!("/api/v1/reports/{report}"), Body::None),
        "POST /api/v1/reports/{id}/triage" => (
            format!("/api/v1/reports/{report}/triage"),
            j(json!({"decision": "reply", "text": "收到"})),
        ),
        "POST /api/v1/reports/{id}/evidence" => (
            format!("/api/v1/reports/{report}/evidence"),
            Body::Bytes(b"not an image".to_vec()),
        ),
        "GET /api/v1/reports/{id}/evidence/{eid}" => (
            format!("/api/v1/reports/{report}/evidence/999999"),
            Body::None,
        ),
        "GET /api/v1/reports/stop-payments" => ("/api/v1/reports/stop-payments".into(), Body::None),
        "POST /api/v1/reports/stop-payments/{id}/actions" => (
            "/api/v1/reports/stop-payments/999999/actions".into(),
            j(json!({"action": "accept"})),
        ),
        "GET /api/v1/reports/clusters" => ("/api/v1/reports/clusters".into(), Body::None),
        "GET /api/v1/reports/figures" => ("/api/v1/reports/figures".into(), Body::None),
        "POST /api/v1/volunteers/register" => (
            "/api/v1/volunteers/register".into(),
            j(json!({"contact": "inbox", "consent": true})),
        ),
        "GET /api/v1/volunteers/me" => ("/api/v1/volunteers/me".into(), Body::None),
        "GET /api/v1/volunteers/tasks" => ("/api/v1/volunteers/tasks".into(), Body::None),
        "POST /api/v1/volunteers/tasks" => (
            "/api/v1/volunteers/tasks".into(),
            j(
                json!({"title": "食堂反诈宣传", "description": "发传单", "place": "一食堂",
                "starts_at": 1_900_000_000_000i64, "ends_at": 1_900_003_600_000i64,
                "slots": 5, "points": 10, "proof": "text", "targets": []}),
            ),
        ),
        "GET /api/v1/volunteers/tasks/{id}" => {
            ("/api/v1/volunteers/tasks/999999".into(), Body::None)
        }
        "POST /api/v1/volunteers/tasks/{id}/claim" => {
            ("/api/v1/volunteers/tasks/999999/claim".into(), j(json!({})))
        }
        "POST /api/v1/volunteers/tasks/{id}/withdraw" => (
            "/api/v1/volunteers/tasks/999999/withdraw".into(),
            Body::None,
        ),
        "POST /api/v1/volunteers/tasks/{id}/status" => (
            "/api/v1/volunteers/tasks/999999/status".into(),
            j(json!({"status": "closed"})),
        ),
        "GET /api/v1/volunteers/tasks/{id}/code" => {
            ("/api/v1/volunteers/tasks/999999/code".into(), Body::None)
        }
        "POST /api/v1/volunteers/tasks/{id}/check" => (
            "/api/v1/volunteers/tasks/999999/check".into(),
            j(json!({"code": "123456"})),
        ),
        "POST /api/v1/volunteers/tasks/{id}/proof" => (
            "/api/v1/volunteers/tasks/999999/proof".into(),
            j(json!({"text": "发放传单"})),
        ),
        "POST /api/v1/volunteers/claims/{id}/review" => (
            "/api/v1/volunteers/claims/999999/review".into(),
            j(json!({"decision": "approve"})),
        ),
        "POST /api/v1/volunteers/rewards/{id}/redeem" => (
            "/api/v1/volunteers/rewards/999999/redeem".into(),
            j(json!({"key": format!("matrix-{}", own["n"])})),
        ),
        "GET /api/v1/contests" => ("/api/v1/contests".into(), Body::None),
        "GET /api/v1/contests/{id}" => ("/api/v1/contests/999999".into(), Body::None),
        "GET /api/v1/contests/{id}/entries" => {
            ("/api/v1/contests/999999/entries".into(), Body::None)
        }
        "POST /api/v1/contests/{id}/entries/{eid}/vote" => (
            "/api/v1/contests/999999/entries/1/vote".into(),
            j(json!({})),
        ),
        "POST /api/v1/contests/{id}/entries/{eid}/withdraw" => (
            "/api/v1/contests/999999/entries/1/withdraw".into(),
            j(json!({})),
        ),
        "POST /api/v1/contests/{id}/entries/{eid}/score" => (
            "/api/v1/contests/999999/entries/1/score".into(),
            j(json!({"marks": {"主题": 8}})),
        ),
        "POST /api/v1/contests/{id}/votes/change" => (
            "/api/v1/contests/999999/votes/change".into(),
            j(json!({"from": 1, "to": 2})),
        ),
        "GET /api/v1/contests/{id}/ballots/mine" => {
            ("/api/v1/contests/999999/ballots/mine".into(), Body::None)
        }
        "GET /api/v1/contests/{id}/progress" => {
            ("/api/v1/contests/999999/progress".into(), Body::None)
        }
        "GET /api/v1/contests/{id}/anomalies" => {
            ("/api/v1/contests/999999/anomalies".into(), Body::None)
        }
        "POST /api/v1/contests/{id}/publish" => {
            ("/api/v1/contests/999999/publish".into(), j(json!({})))
        }
        "GET /api/v1/contests/{id}/results" => {
            ("/api/v1/contests/999999/results".into(), Body::None)
        }
        "POST /api/v1/contests/{id}/push" => (
            "/api/v1/contests/999999/push".into(),
            j(json!({"fraud_type": "fake_loan"})),
        ),
        "GET /api/v1/volunteers/calls" => ("/api/v1/volunteers/calls".into(), Body::None),
        "POST /api/v1/volunteers/calls" => (
            "/api/v1/volunteers/calls".into(),
            j(
                json!({"title": "标语征集", "theme": "刷单", "rules": "每人五件", "kinds": ["slogan"],
                "fraud_type": "rebate_task", "audience": "students", "licence": "cc_by",
                "points": 10, "closes_at": 1_900_000_000_000i64, "targets": []}),
            ),
        ),
        "GET /api/v1/volunteers/calls/{id}" => {
            ("/api/v1/volunteers/calls/999999".into(), Body::None)
        }
        "POST /api/v1/volunteers/calls/{id}/close" => {
            ("/api/v1/volunteers/calls/999999/close".into(), Body::None)
        }
        "POST /api/v1/volunteers/calls/{id}/works" => (
            "/api/v1/volunteers/calls/999999/works".into(),
            j(json!({"kind": "slogan", "title": "标语", "body": "刷单是诈骗"})),
        ),
        "POST /api/v1/volunteers/works/{id}/review" => (
            "/api/v1/volunteers/works/999999/review".into(),
            j(json!({"decision": "accept"})),
        ),
        "POST /api/v1/volunteers/works/{id}/contest" => (
            "/api/v1/volunteers/works/999999/contest".into(),
            j(json!({"contest_id": 999999})),
        ),
        "GET /api/v1/volunteers/library" => ("/api/v1/volunteers/library".into(), Body::None),
        "GET /api/v1/volunteers/library/{id}" => {
            ("/api/v1/volunteers/library/999999".into(), Body::None)
        }
        "POST /api/v1/volunteers/library/{id}/reuse" => {
            ("/api/v1/volunteers/library/999999/reuse".into(), Body::None)
        }
        "POST /api/v1/volunteers/library/contests/{id}" => (
            "/api/v1/volunteers/library/contests/999999".into(),
            Body::None,
        ),
        "GET /api/v1/volunteers/teams" => ("/api/v1/volunteers/teams".into(), Body::None),
        "POST /api/v1/volunteers/teams" => (
            "/api/v1/volunteers/teams".into(),
            j(json!({"name": format!("宣讲队{}", own["n"])})),
        ),
        "POST /api/v1/volunteers/teams/{id}/join" => {
            ("/api/v1/volunteers/teams/999999/join".into(), Body::None)
        }
        "POST /api/v1/volunteers/teams/leave" => {
            ("/api/v1/volunteers/teams/leave".into(), Body::None)
        }
        "POST /api/v1/volunteers/volunteers/{id}/adjust" => (
            "/api/v1/volunteers/volunteers/999999/adjust".into(),
            j(json!({"points": 5, "reason": "补录", "key": format!("matrix-{}", own["n"])})),
        ),
        "GET /api/v1/volunteers/leaderboard" => {
            ("/api/v1/volunteers/leaderboard".into(), Body::None)
        }
        "GET /api/v1/mules/starter" => ("/api/v1/mules/starter".into(), Body::None),
        "POST /api/v1/mules/starter" => (
            "/api/v1/mules/starter".into(),
            j(json!({"school": school, "item": "article"})),
        ),
        "GET /api/v1/volunteers/balance" => ("/api/v1/volunteers/balance".into(), Body::None),
        "POST /api/v1/mules/signals" => (
            "/api/v1/mules/signals".into(),
            j(
                json!({"reference": format!("matrix-{}", own["n"]), "phone": phone,
                "account_kind": "bank_card", "pattern": "frozen"}),
            ),
        ),
        "GET /api/v1/mules/signals/{id}" => {
            let id = if a_b == 'A' {
                r.warning_partner
            } else {
                r.warning_b
            };
            (format!("/api/v1/mules/signals/{id}"), Body::None)
        }
        "GET /api/v1/mules/police" => ("/api/v1/mules/police".into(), Body::None),
        "GET /api/v1/mules/figures" => (format!("/api/v1/mules/figures?unit={class}"), Body::None),
        "GET /api/v1/mules/warnings/{id}/facts" => (
            format!("/api/v1/mules/warnings/{warning}/facts"),
            Body::None,
        ),
        "PUT /api/v1/mules/rules/{province}" => (
            format!("/api/v1/mules/rules/{province}"),
            j(json!({"max_suspects": 0})),
        ),
        other => panic!("no probe for {other}: add one (and a row of TABLE)"),
    };
    (path, body)
}

fn case_body(school: &str, no: &str) -> Value {
    json!({
        "unit": school, "student_no": no, "fraud_type": "rebate_task", "channel": "qq",
        "occurred_at": "2025-02-14 21:30", "amount_lost": "100", "status": "open",
        "narrative": "刷单返利", "indicators": []
    })
}

fn article(unit: &str) -> Value {
    json!({
        "unit": unit, "kind": "article", "title": "刷单返利防范", "body_md": "别信刷单",
        "fraud_types": ["rebate_task"], "target_hint": "新生",
        "quiz": [{"q": "先垫付吗?", "choices": ["垫付", "拒绝"], "answer": 1}]
    })
}

async fn call(
    app: &TestApp,
    token: Option<&str>,
    op: &str,
    path: &str,
    body: Body,
) -> (StatusCode, String) {
    let method = op.split(' ').next().expect("method");
    let c = client();
    let mut rq = match method {
        "GET" => c.get(app.url(path)),
        "POST" => c.post(app.url(path)),
        "PUT" => c.put(app.url(path)),
        "DELETE" => c.delete(app.url(path)),
        m => panic!("method {m}"),
    };
    if let Some(t) = token {
        rq = rq.bearer_auth(t);
    }
    rq = match body {
        Body::None => rq,
        Body::Json(v) => rq.json(&v),
        Body::Csv(s) => rq.header("content-type", "text/csv").body(s),
        Body::Bytes(b) => rq
            .header("content-type", "application/octet-stream")
            .body(b),
    };
    let r = rq.send().await.expect("request");
    let s = r.status();
    let text: String = r
        .text()
        .await
        .unwrap_or_default()
        .chars()
        .take(160)
        .collect();
    (s, text)
}

/// POSTs JSON with a token and returns the `id` of the answer (panics with the answer otherwise).
async fn create(app: &TestApp, token: &str, path: &str, body: Value) -> i64 {
    let r = client()
        .post(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("POST");
    let s = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    assert!(s.is_success(), "{path}: {s} {v}");
    v["id"]
        .as_i64()
        .or_else(|| v["report_id"].as_i64())
        .or_else(|| v["warning"]["id"].as_i64())
        .unwrap_or_else(|| panic!("{path}: no id in {v}"))
}

/// `METHOD /path` of every operation the router declares under `/api/v1`, read from the source
/// (`.route("/api/v1/…", get(…).post(…))`).
fn router_operations() -> BTreeSet<String> {
    fn walk(dir: &std::path::Path, out: &mut BTreeSet<String>) {
        for e in std::fs::read_dir(dir).expect("src dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text: String = std::fs::read_to_string(&p)
                    .expect("source")
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect();
                for part in text.split(".route(\"").skip(1) {
                    let Some((path, rest)) = part.split_once('"') else {
                        continue;
                    };
                    if !path.starts_with("/api/v1/") {
                        continue;
                    }
                    // The method router: up to the `)` closing `.route(`.
                    let mut depth = 1;
                    let mut end = rest.len();
                    for (i, ch) in rest.char_indices() {
                        match ch {
                            '(' => depth += 1,
                            ')' => {
                                depth -= 1;
                                if depth == 0 {
                                    end = i;
                                    break;
                                }
                            }
                            _ => {}
                        }
                    }
                    let methods = &rest[..end];
                    for m in ["get", "post", "put", "patch", "delete"] {
                        let direct = methods.starts_with(&format!(",{m}("));
                        let chained = methods.contains(&format!(".{m}("));
                        if direct || chained {
                            out.insert(format!("{} {path}", m.to_uppercase()));
                        }
                    }
                }
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut out,
    );
    out
}

#[tokio::test]
async fn every_role_every_operation_inside_and_outside_scope() {
    let app = spawn_seeded().await;

    // The operations: the served document, equal to the router's.
    let doc: Value = client()
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .expect("openapi")
        .json()
        .await
        .expect("openapi json");
    let mut documented = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        for method in ops.as_object().expect("operations").keys() {
            if path.starts_with("/api/v1/") {
                documented.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    let routed = router_operations();
    assert_eq!(
        documented.difference(&routed).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "documented but not routed"
    );
    assert_eq!(
        routed.difference(&documented).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "routed but not in the OpenAPI document"
    );
    let rows: BTreeSet<String> = TABLE.iter().map(|(op, _, _)| op.to_string()).collect();
    assert_eq!(rows.len(), TABLE.len(), "an operation has two rows");
    assert_eq!(
        documented.difference(&rows).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "operations without a row in TABLE"
    );
    assert_eq!(
        rows.difference(&documented).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "rows of TABLE for operations that do not exist"
    );

    // Tokens: every scope, so that only the account's roles and units decide.
    let mut tokens = BTreeMap::new();
    for (_, user) in ROLES {
        tokens.insert(user, app.token(user, &Scope::ALL).await);
    }
    for extra in ["student3", "admin2", "police2"] {
        tokens.insert(extra, app.token(extra, &Scope::ALL).await);
    }

    // The records: in scope (A), out of scope (B), and each role's own.
    let mut rec = Records {
        student_a: app.fx.student("2023010101"),
        student_b: app.fx.student("2023510101"),
        ..Records::default()
    };
    rec.report_a = create(
        &app,
        &tokens["student1"],
        "/api/v1/reports",
        json!({"idempotency_key": "a", "call": {"number": "170 8888 6666"}}),
    )
    .await;
    rec.report_b = create(
        &app,
        &tokens["student3"],
        "/api/v1/reports",
        json!({"idempotency_key": "b", "call": {"number": "170 8888 6667"}}),
    )
    .await;
    let issue = |phone: &str| json!({"phone": phone, "fraud_type": "fake_loan", "severity": "low", "detail": "matrix", "source": "96110"});
    rec.warning_a = create(
        &app,
        &tokens["police1"],
        "/api/v1/warnings",
        issue("13800001111"),
    )
    .await;
    rec.warning_b = create(
        &app,
        &tokens["police2"],
        "/api/v1/warnings",
        issue("13900002111"),
    )
    .await;
    rec.warning_partner = create(
        &app,
        &tokens["partner1"],
        "/api/v1/warnings",
        issue("13800001112"),
    )
    .await;
    rec.case_a = create(
        &app,
        &tokens["police1"],
        "/api/v1/cases",
        case_body("SCH1", "2023010101"),
    )
    .await;
    rec.case_b = create(
        &app,
        &tokens["police2"],
        "/api/v1/cases",
        case_body("SCH2", "2023510101"),
    )
    .await;
    rec.content_a = create(
        &app,
        &tokens["police1"],
        "/api/v1/campaigns/contents",
        article("SCH1"),
    )
    .await;
    rec.content_b = create(
        &app,
        &tokens["admin2"],
        "/api/v1/campaigns/contents",
        article("SCH2"),
    )
    .await;
    rec.briefing_a = create(
        &app,
        &tokens["police1"],
        "/api/v1/cases/briefings",
        json!({"station": "ST1", "month": "2025-01", "title": "一月通报"}),
    )
    .await;
    rec.briefing_b = create(
        &app,
        &tokens["police2"],
        "/api/v1/cases/briefings",
        json!({"station": "ST2", "month": "2025-01", "title": "一月通报"}),
    )
    .await;
    // Whatever runs after the commit (routing, notices) has run before the probes.
    app.runner.run_until_idle().await.expect("jobs");
    rec.token_b = app
        .scalar("SELECT MAX(t.id) FROM api_tokens t JOIN accounts a ON a.id = t.account_id WHERE a.username = 'police2'")
        .await;
    rec.inbox_b = app
        .scalar("SELECT COALESCE(MAX(id), 0) FROM inbox_messages")
        .await
        + 1_000;

    let mut owns = BTreeMap::new();
    for (_, user) in ROLES {
        owns.insert(user, own_of(&app, user, &rec).await);
    }

    let mut failures = Vec::new();
    let mut calls = 0;
    for (op, targets, expect) in TABLE {
        // No token: 401, whoever would call.
        let (path, body) = probe(
            op,
            targets.chars().next().unwrap_or('A'),
            &rec,
            &owns["student1"],
        );
        let (s, _) = call(&app, None, op, &path, body).await;
        if s != StatusCode::UNAUTHORIZED {
            failures.push(format!("{op} without a token: {s}, want 401"));
        }
        for (i, (role, user)) in ROLES.iter().enumerate() {
            let want: Vec<char> = expect[i].chars().collect();
            let targets: Vec<char> = targets.chars().collect();
            assert_eq!(
                want.len(),
                targets.len(),
                "row {op}, {role}: one letter per target"
            );
            for (t, w) in targets.iter().zip(want) {
                calls += 1;
                let mut own = owns[user].clone();
                own.insert("n", calls as i64);
                let (path, body) = probe(op, *t, &rec, &own);
                let (s, text) = call(&app, Some(&tokens[user]), op, &path, body).await;
                let got = match s.as_u16() {
                    200..=299 | 409 => 'Y',
                    400 | 422 if w == 'V' => 'V',
                    // A body the handler refuses after the policy let it through.
                    400 | 413 | 415 | 422 if w == 'Y' => 'Y',
                    403 | 404 => 'R',
                    _ => '?',
                };
                if got != w {
                    failures.push(format!(
                        "{op} as {role} on {t} ({path}): {s}, want {w}: {text}"
                    ));
                }
            }
        }
    }
    assert!(calls > 500, "{calls} calls");
    assert!(
        failures.is_empty(),
        "{} of {calls} answers differ from the policy:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// What a role calls "its own": a message in its inbox, a spare token of its own to revoke, the
/// warning it issued (police1, partner1; the partner's for the roles that cannot issue).
async fn own_of(app: &TestApp, user: &str, rec: &Records) -> BTreeMap<&'static str, i64> {
    use fanzha::inbox::{notify, Notice, Recipient};
    let account = app.fx.account(user);
    let mut m = BTreeMap::new();
    let inbox = notify(
        &app.state.db.pool,
        &app.state.clock,
        &Recipient::Account(account),
        &Notice {
            kind: "system".into(),
            title: "matrix".into(),
            body: "matrix".into(),
            link: None,
        },
    )
    .await
    .expect("notify");
    m.insert("inbox", inbox);
    let _ = app.token(user, &[Scope::InboxRead]).await;
    m.insert(
        "spare_token",
        app.scalar(&format!(
            "SELECT MAX(id) FROM api_tokens WHERE account_id = {account}"
        ))
        .await,
    );
    m.insert(
        "warning",
        if user == "police1" {
            rec.warning_a
        } else {
            rec.warning_partner
        },
    );
    m.insert("n", 0);
    m
}

/// A NUL character reaches the database through a path, a query or a JSON body: SQLite stores or
/// compares it, PostgreSQL refuses it (SQLSTATE 22021). Either way the answer is a 4xx, and on
/// PostgreSQL the one for text it cannot store.
#[tokio::test]
async fn a_nul_character_in_any_input_is_never_a_server_error() {
    let app = spawn_seeded().await;
    let admin = app.token("admin1", &Scope::ALL).await;
    let police = app.token("police1", &Scope::ALL).await;
    let before = app.scalar("SELECT COUNT(*) FROM units").await;
    let probes: [(&str, &str, &str, Option<Value>); 4] = [
        ("GET", &admin, "/api/v1/units/CLS%001A1", None),
        (
            "GET",
            &admin,
            "/api/v1/campaigns/exposure?unit=S%00X&fraud_type=rebate_task",
            None,
        ),
        (
            "POST",
            &admin,
            "/api/v1/units",
            Some(
                json!({"parent_code": "SCH1", "kind": "college", "code": "N\u{0}UL", "name": "新学院"}),
            ),
        ),
        (
            "PUT",
            &police,
            "/api/v1/cases/1",
            Some(case_body("SCH\u{0}1", "2023010101")),
        ),
    ];
    for (method, token, path, body) in probes {
        let c = client();
        let mut rq = match method {
            "GET" => c.get(app.url(path)),
            "POST" => c.post(app.url(path)),
            _ => c.put(app.url(path)),
        }
        .bearer_auth(token);
        if let Some(b) = &body {
            rq = rq.json(b);
        }
        let r = rq.send().await.expect("request");
        let status = r.status();
        assert!(status.is_client_error(), "{method} {path}: {status}");
        let (_, code, _, _) = api_error(r).await;
        if pg_url().is_some() && path.starts_with("/api/v1/units/") {
            assert_eq!(
                (status, code.as_str()),
                (StatusCode::BAD_REQUEST, "bad-text"),
                "{path}"
            );
        }
    }
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM units").await,
        before,
        "nothing written"
    );
}

/// The limits the OpenAPI document states are the ones the server enforces: a value just inside
/// is answered, one just outside is a 400 naming the problem (never a clamp, never a panic).
#[tokio::test]
async fn the_limits_in_the_document_are_enforced() {
    let app = spawn_seeded().await;
    let admin = app.token("admin1", &Scope::ALL).await;
    let police = app.token("police1", &Scope::ALL).await;
    let province = app.token("province1", &Scope::ALL).await;
    let cases: [(&str, &str, &str, &str); 9] = [
        // (token, inside, outside, code of the refusal)
        (
            &admin,
            "/api/v1/reports?limit=1000",
            "/api/v1/reports?limit=0",
            "bad-paging",
        ),
        (
            &admin,
            "/api/v1/reports?status=new",
            "/api/v1/reports?status=lost",
            "reports-err-status",
        ),
        (
            &admin,
            "/api/v1/audit?page=10000",
            "/api/v1/audit?page=0",
            "bad-paging",
        ),
        (
            &admin,
            "/api/v1/inbox?limit=500",
            "/api/v1/inbox?limit=501",
            "bad-paging",
        ),
        (
            &police,
            "/api/v1/cases?unit=SCH1&page=10000",
            "/api/v1/cases?unit=SCH1&page=10001",
            "bad-paging",
        ),
        (
            &police,
            "/api/v1/cases/analysis?unit=SCH1&page=1",
            "/api/v1/cases/analysis?unit=SCH1&page=-1",
            "bad-paging",
        ),
        (
            &police,
            "/api/v1/cases/kpis?unit=ST1&year=9999",
            "/api/v1/cases/kpis?unit=ST1&year=-2147483648",
            "cases-err-period-year",
        ),
        (
            &province,
            "/api/v1/cases/ranking?province=P1&year=1970",
            "/api/v1/cases/ranking?province=P1&year=1969",
            "cases-err-period-year",
        ),
        (
            &admin,
            "/api/v1/campaigns/exposure?unit=SCH1&fraud_type=rebate_task&limit=10000",
            "/api/v1/campaigns/exposure?unit=SCH1&fraud_type=rebate_task&limit=0",
            "bad-paging",
        ),
    ];
    for (token, inside, outside, code) in cases {
        let r = app.api_get(token, inside).await;
        assert_eq!(r.status(), StatusCode::OK, "{inside}");
        let r = app.api_get(token, outside).await;
        let (status, got, _, _) = api_error(r).await;
        assert_eq!(
            (status, got.as_str()),
            (StatusCode::BAD_REQUEST, code),
            "{outside}"
        );
    }
    // A year in a body: the same range.
    let r = client()
        .post(app.url("/api/v1/cases/awards"))
        .bearer_auth(&province)
        .json(&json!({"province": "P1", "year": i32::MIN, "schools": []}))
        .send()
        .await
        .expect("POST");
    let (status, code, _, _) = api_error(r).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "cases-err-period-year")
    );
}
