//! The table of the role × operation matrix: one row per operation, one letter per role and target.

/// One row per operation: the targets it is called on (`-`: none, else a sequence of `A`, `B`,
/// `O`) and, per role in the order of [`ROLES`](super::ROLES), one letter per target:
/// `Y` the policy lets the call through (2xx, or 400/409/422 on the probe's input), `R` refused
/// (403 or 404, nothing leaked), `V` refused as invalid input: a unit named in the body that the
/// caller may not use gets the same 422 as one that does not exist. A call without a token is 401
/// everywhere (checked apart). Probes carry valid bodies, so that a 400/422 is not mistaken for
/// the policy letting a call through.
///
/// Scope of each fixture role: student1 is 张三 (SCH1/CLS1A1); counselor1 holds CLS1A1; leader1
/// COL1A (above CLS1A1); admin1 SCH1; police1 station ST1, whose jurisdiction is SCH1; province1
/// the province P1 (SCH1 and SCH2); partner1 is a bank over P1.
pub(super) const TABLE: &[(&str, &str, [&str; 7])] = &[
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
