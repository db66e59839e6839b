//! The unit picker: units chosen from the tree by name instead of typed as codes. It is a plain
//! `<select>` (one unit, or several with `multiple`) listing the units of the caller's scope for
//! an action in tree order, each indented under its parent and named with its kind, so it works
//! without script and with a phone's own picker; `assets/picker.js` adds a search box that
//! narrows the list by name as the person types.

use askama::Template;

use crate::auth::policy::{self, Action};
use crate::org::model::UnitKind;
use crate::org::store as org_store;
use crate::web::context::User;
use crate::web::error::AppResult;
use crate::web::layout::PageCtx;
use crate::web::AppState;

/// One unit offered: its code (the value sent), its name, kind in words and depth below the
/// top of the list.
pub struct Choice {
    pub code: String,
    pub label: String,
    pub depth: usize,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "org/_picker.html")]
struct Picker<'a> {
    ctx: &'a PageCtx,
    id: &'a str,
    name: &'a str,
    label: &'a str,
    multiple: bool,
    required: bool,
    choices: Vec<Choice>,
}

/// What to offer: the action whose scope bounds the list and the kinds of unit that can be
/// picked.
pub struct Spec<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub label: &'a str,
    pub action: Action,
    pub kinds: &'a [UnitKind],
    pub multiple: bool,
    pub required: bool,
}

/// The units the caller may pick for `spec.action`, in tree order.
pub async fn choices(
    st: &AppState,
    u: &User,
    ctx: &PageCtx,
    spec: &Spec<'_>,
    selected: &[String],
) -> AppResult<Vec<Choice>> {
    let mut out: Vec<Choice> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for scope in policy::scopes_for(&u.p, spec.action) {
        let units = org_store::subtree(&st.db, &scope).await?;
        let top = units.first().map_or(0, |t| t.depth);
        for unit in units {
            if !spec.kinds.contains(&unit.kind) || !seen.insert(unit.id) {
                continue;
            }
            out.push(Choice {
                selected: selected.iter().any(|s| s == &unit.code),
                label: format!(
                    "{} · {}",
                    unit.name,
                    ctx.t(&format!("unit-kind-{}", unit.kind.as_str()))
                ),
                depth: (unit.depth - top).max(0) as usize,
                code: unit.code,
            });
        }
    }
    Ok(out)
}

/// The picker's HTML for a form.
pub async fn render(
    st: &AppState,
    u: &User,
    ctx: &PageCtx,
    spec: Spec<'_>,
    selected: &[String],
) -> AppResult<String> {
    let choices = choices(st, u, ctx, &spec, selected).await?;
    Ok(Picker {
        ctx,
        id: spec.id,
        name: spec.name,
        label: spec.label,
        multiple: spec.multiple,
        required: spec.required,
        choices,
    }
    .render()?)
}
