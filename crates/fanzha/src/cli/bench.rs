//! `fanzha bench …`: each module's benchmark, run against the configured database.

use super::args::BenchCmd;
use super::open_db;
use crate::config::Config;

/// `fanzha bench …`.
pub(super) async fn bench(cfg: Config, cmd: BenchCmd) -> anyhow::Result<()> {
    match cmd {
        BenchCmd::Detect { messages } => {
            fanzha_detect::cli::run_bench(messages, std::io::stdout())?;
            Ok(())
        }
        BenchCmd::Roster { students } => {
            crate::demo::bench(crate::demo::BenchSpec::Roster { students }, &cfg).await
        }
        BenchCmd::Demo { scale } => {
            crate::demo::bench(crate::demo::BenchSpec::Demo { scale }, &cfg).await
        }
        BenchCmd::Intel {
            indicators,
            lookups,
            data_dir,
        } => {
            let mut cfg = cfg.clone();
            let tmp =
                std::env::temp_dir().join(format!("fanzha-bench-intel-{}", std::process::id()));
            let keep = data_dir.is_some();
            if cfg.database_url.is_none() {
                cfg.data_dir = data_dir.unwrap_or_else(|| tmp.clone());
                std::fs::create_dir_all(&cfg.data_dir)?;
            }
            let db = open_db(&cfg).await?;
            let r = crate::intel::bench::run(&db, indicators, lookups).await;
            if !keep {
                let _ = std::fs::remove_dir_all(&tmp);
            }
            r
        }
        BenchCmd::Warnings { batch, open } => {
            crate::warnings::bench::bench(&cfg, batch, open).await
        }
        BenchCmd::Cases { cases, schools } => crate::cases::bench::run(&cfg, cases, schools).await,
        BenchCmd::Campaigns { scale } => crate::campaigns::bench::run(&scale, &cfg).await,
        BenchCmd::Reports {
            reports,
            concurrency,
        } => crate::reports::bench::bench(&cfg, reports, concurrency).await,
        BenchCmd::Contests {
            voters,
            concurrency,
            log,
        } => crate::contests::bench::bench(&cfg, voters, concurrency, log).await,
        BenchCmd::Volunteers {
            claims,
            clients,
            slots,
            entries,
            schools,
            volunteers,
        } => {
            let spec = crate::volunteers::bench::Spec {
                claims,
                clients,
                slots,
                entries,
                schools,
                volunteers,
            };
            crate::volunteers::bench::bench(&cfg, spec).await
        }
        BenchCmd::Learning { students } => crate::learning::bench::run(&cfg, students).await,
        BenchCmd::Checkin {
            checkins,
            clients,
            seconds,
        } => crate::learning::bench::checkin(&cfg, checkins, clients, seconds).await,
    }
}
