//! Accounts from the command line: `user create|reset-password`, `token create`.

use std::io::Read;

use anyhow::anyhow;

use super::args::{TokenCmd, UserCmd};
use super::open_db;
use crate::audit::{self, Actor, Event};
use crate::auth::model::{parse_scopes, Role};
use crate::auth::service::{self as auth_service, AuthError, NewUser};
use crate::auth::store as auth_store;
use crate::clock::Clock;
use crate::config::Config;
use crate::org::store as org_store;
use crate::web::i18n::Lang;

/// `fanzha user …`.
pub(super) async fn user(
    cfg: Config,
    clock: Clock,
    lang: Lang,
    cmd: UserCmd,
) -> anyhow::Result<()> {
    match cmd {
        UserCmd::Create {
            username,
            role,
            unit,
            name,
            person,
            password_stdin,
        } => {
            let db = open_db(&cfg).await?;
            let role: Role = role.parse().map_err(|e| anyhow!("{e}"))?;
            let (password, generated) = read_password(password_stdin)?;
            let id = auth_service::create_user(
                &db,
                &clock,
                &NewUser {
                    username: &username,
                    display_name: &name,
                    password: &password,
                    role,
                    unit_code: &unit,
                    person_no: person.as_deref(),
                },
            )
            .await
            .map_err(|e| auth_message(e, lang))?;
            audit::record(
                &db.pool,
                &clock,
                &Actor::cli("user create"),
                Event {
                    action: "account.created",
                    target_kind: "account",
                    target_id: id.to_string(),
                    unit_path: org_store::unit_by_code(&db, &unit)
                        .await?
                        .map(|u| u.path)
                        .unwrap_or_default(),
                    detail: serde_json::json!({"username": username, "role": role.as_str()}),
                },
            )
            .await?;
            println!("account {username} created (id {id}, role {role} over {unit})");
            if generated {
                println!("password: {password}");
            }
            Ok(())
        }
        UserCmd::ResetPassword {
            username,
            password_stdin,
        } => {
            let db = open_db(&cfg).await?;
            let (password, generated) = read_password(password_stdin)?;
            auth_service::reset_password(&db, &clock, &username, &password)
                .await
                .map_err(|e| auth_message(e, lang))?;
            audit::record(
                &db.pool,
                &clock,
                &Actor::cli("user reset-password"),
                Event {
                    action: "account.password_reset",
                    target_kind: "account",
                    target_id: username.clone(),
                    unit_path: String::new(),
                    detail: serde_json::json!({}),
                },
            )
            .await?;
            println!("password of {username} reset; its sessions were ended");
            if generated {
                println!("password: {password}");
            }
            Ok(())
        }
    }
}

/// `fanzha token …`.
pub(super) async fn token(
    cfg: Config,
    clock: Clock,
    lang: Lang,
    cmd: TokenCmd,
) -> anyhow::Result<()> {
    match cmd {
        TokenCmd::Create {
            username,
            name,
            scopes,
            days,
        } => {
            let db = open_db(&cfg).await?;
            let acc = auth_store::account_by_username(&db, &username)
                .await?
                .ok_or_else(|| anyhow!(lang.t("auth-err-no-user")))?;
            let scopes = parse_scopes(&scopes).map_err(|e| anyhow!("{e}"))?;
            let t = auth_service::create_token(&db, &clock, acc.id, &name, &scopes, days)
                .await
                .map_err(|e| auth_message(e, lang))?;
            audit::record(
                &db.pool,
                &clock,
                &Actor::cli("token create"),
                Event {
                    action: "auth.token_created",
                    target_kind: "api_token",
                    target_id: t.id.to_string(),
                    unit_path: String::new(),
                    detail: serde_json::json!({"username": username, "name": name}),
                },
            )
            .await?;
            println!("{}", t.token);
            Ok(())
        }
    }
}

fn read_password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if from_stdin {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        Ok((s.trim_end_matches(['\r', '\n']).to_string(), false))
    } else {
        Ok((
            crate::auth::password::random_token()[..16].to_string(),
            true,
        ))
    }
}

fn auth_message(e: AuthError, lang: Lang) -> anyhow::Error {
    match e {
        AuthError::Invalid(key) => anyhow!(lang.t(key)),
        AuthError::ScopeBeyondRoles(s) => anyhow!(lang.ta(
            "auth-err-token-scope-role",
            &[("scope", s.as_str().to_string())]
        )),
        other => anyhow!(other),
    }
}
