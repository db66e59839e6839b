//! A school's deadline settings, appraisal weights and the channels that carry its warning
//! notices: read and saved by the school's people in scope.

use super::*;
use crate::kernel::ids::UnitId;

/// Fields of the settings form / body: minutes and weights (0–100).
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct SettingsInput {
    pub high_ack_min: String,
    pub high_contact_min: String,
    pub medium_ack_min: String,
    pub medium_contact_min: String,
    pub low_ack_min: String,
    pub low_contact_min: String,
    pub weight_ack: String,
    pub weight_contact: String,
    pub weight_escalations: String,
    pub weight_victims: String,
    /// Weight of campaign coverage (0–100); absent: the default.
    #[serde(default)]
    pub weight_campaigns: String,
    /// Ids of the school's channels (configured under campaigns) that also carry warning notices
    /// by email / robot webhook; absent: unchanged, `[]`: inbox only.
    #[serde(default)]
    pub channels: Option<Vec<i64>>,
}

impl SettingsInput {
    pub fn fields(&self) -> Vec<(&'static str, &str)> {
        let v: Vec<(&'static str, &str)> = vec![
            ("high_ack_min", &self.high_ack_min),
            ("high_contact_min", &self.high_contact_min),
            ("medium_ack_min", &self.medium_ack_min),
            ("medium_contact_min", &self.medium_contact_min),
            ("low_ack_min", &self.low_ack_min),
            ("low_contact_min", &self.low_contact_min),
            ("weight_ack", &self.weight_ack),
            ("weight_contact", &self.weight_contact),
            ("weight_escalations", &self.weight_escalations),
            ("weight_victims", &self.weight_victims),
        ];
        v.into_iter()
            .chain(
                (!self.weight_campaigns.trim().is_empty())
                    .then_some(("weight_campaigns", self.weight_campaigns.as_str())),
            )
            .collect()
    }
}

/// A school's settings with the channels of its warning notices.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SettingsOut {
    #[serde(flatten)]
    pub settings: Settings,
    /// Ids of the channels (campaign channels of the school) that carry warning notices.
    pub channels: Vec<i64>,
}

/// The school of this code, if the caller may do `action` on it (404 otherwise, audited).
async fn school_to_configure(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    code: &str,
    action: Action,
) -> Result<Unit, WarnError> {
    refuse_partner(p)?;
    let unit = crate::org::store::unit_by_code(db, code)
        .await?
        .ok_or(WarnError::NotFound)?;
    if unit.kind != UnitKind::School {
        return Err(WarnError::NotFound);
    }
    authorize(db, clock, p, actor, action, Target::Unit(&unit.path)).await?;
    Ok(unit)
}

async fn settings_of_school(db: &Db, school_id: UnitId) -> Result<SettingsOut, WarnError> {
    let mut c = db.pool.acquire().await.map_err(DbError::from)?;
    Ok(SettingsOut {
        settings: store::settings_of(&mut c, school_id).await?,
        channels: crate::warnings::notify::channels_of_school(&mut c, school_id)
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect(),
    })
}

/// A school's deadlines (ms), appraisal weights and notice channels.
pub async fn settings(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    code: &str,
) -> Result<SettingsOut, WarnError> {
    let school = school_to_configure(db, clock, p, actor, code, Action::ViewWarnings).await?;
    settings_of_school(db, school.id).await
}

/// Changes a school's deadlines, appraisal weights and notice channels (audited); applies to
/// warnings routed later.
pub async fn save_settings(
    db: &Db,
    clock: &Clock,
    p: &Principal,
    actor: &Actor,
    code: &str,
    i: &SettingsInput,
) -> Result<SettingsOut, WarnError> {
    let school = school_to_configure(db, clock, p, actor, code, Action::ConfigureWarnings).await?;
    let s = parse_settings(&i.fields()).map_err(WarnError::Refused)?;
    if let Some(ids) = &i.channels {
        let mine: Vec<i64> =
            crate::campaigns::store::channels_under(db, std::slice::from_ref(&school.path))
                .await?
                .into_iter()
                .map(|c| c.id)
                .collect();
        let bad: Vec<Msg> = ids
            .iter()
            .filter(|id| !mine.contains(id))
            .map(|id| Msg::new("warn-err-channel").arg("value", *id))
            .collect();
        if !bad.is_empty() {
            return Err(WarnError::Refused(bad));
        }
    }
    let mut tx = db.begin_write().await.map_err(DbError::from)?;
    store::save_settings(&mut tx, school.id, &s, clock.now_ms(), p.account_id).await?;
    if let Some(ids) = &i.channels {
        store::set_channels(&mut tx, db.backend, school.id, ids, clock.now_ms()).await?;
    }
    crate::audit::record(
        &mut *tx,
        clock,
        actor,
        crate::audit::Event {
            action: "warning.settings",
            target_kind: "unit",
            target_id: school.id.to_string(),
            unit_path: school.path.clone(),
            detail: serde_json::json!({"settings": s, "channels": i.channels}),
        },
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    settings_of_school(db, school.id).await
}
