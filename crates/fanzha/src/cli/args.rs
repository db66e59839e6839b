//! The clap argument types: every subcommand and its flags.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "fanzha",
    version,
    about = "fanzha (反诈): police, universities and students fighting telecom and online fraud together"
)]
pub(super) struct Cli {
    #[command(flatten)]
    pub(super) global: Global,
    #[command(subcommand)]
    pub(super) command: Command,
}

#[derive(Args, Clone)]
pub(super) struct Global {
    /// Configuration file (default: ./fanzha.toml when present).
    #[arg(long, global = true)]
    pub(super) config: Option<PathBuf>,
    /// Directory for the SQLite database and uploads [default: ./data].
    #[arg(long, global = true)]
    pub(super) data_dir: Option<PathBuf>,
    /// PostgreSQL URL (postgres://…); without it fanzha uses SQLite in the data directory.
    #[arg(
        long,
        global = true,
        env = "FANZHA_DATABASE_URL",
        hide_env_values = true
    )]
    pub(super) database_url: Option<String>,
}

#[derive(Subcommand)]
pub(super) enum Command {
    /// Run the web server and background workers.
    Serve(ServeArgs),
    /// Seed a demo province (when the database is empty), print logins, then serve.
    Demo(DemoArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Import data from files (rosters, org units).
    #[command(subcommand)]
    Import(ImportCmd),
    /// Export data to files (rosters).
    #[command(subcommand)]
    Export(ExportCmd),
    /// Manage accounts (create, reset password).
    #[command(subcommand)]
    User(UserCmd),
    /// Manage API tokens (create).
    #[command(subcommand)]
    Token(TokenCmd),
    /// Judge messages (JSONL {"id","text"} on stdin) and print one verdict per line.
    Detect(DetectArgs),
    /// Evaluate the detector on labelled JSONL ({"text","label"}) and print its figures.
    Eval(EvalArgs),
    /// Train the fraud-type classifier from labelled JSONL files.
    Train(TrainArgs),
    /// Run a benchmark and print its figures.
    #[command(subcommand)]
    Bench(BenchCmd),
    /// Contests: check an exported ballot log.
    #[command(subcommand)]
    Contests(ContestsCmd),
}

#[derive(Subcommand)]
pub(super) enum ContestsCmd {
    /// Recompute a contest's ballot chain and tally from its export (JSON lines) alone; exits
    /// non-zero naming the first line that does not hold.
    Verify {
        /// The export (`/contests/ID/ballots.jsonl`).
        file: PathBuf,
    },
}

#[derive(Args)]
pub(super) struct EngineArgs {
    /// Rules file (TOML); the built-in starter rules when absent.
    #[arg(long)]
    pub(super) rules: Option<PathBuf>,
    /// Model file; the built-in model when absent.
    #[arg(long)]
    pub(super) model: Option<PathBuf>,
}

#[derive(Args)]
pub(super) struct DetectArgs {
    #[command(flatten)]
    pub(super) engine: EngineArgs,
}

#[derive(Args)]
pub(super) struct EvalArgs {
    #[command(flatten)]
    pub(super) engine: EngineArgs,
    /// Labelled JSONL file.
    #[arg(long)]
    pub(super) data: PathBuf,
    /// Only lines whose `split` field equals this (e.g. test).
    #[arg(long)]
    pub(super) split: Option<String>,
}

#[derive(Args)]
pub(super) struct TrainArgs {
    /// Labelled JSONL files (repeatable): the shared data set, platform exports of confirmed cases.
    #[arg(long, required_unless_present = "from_db")]
    pub(super) data: Vec<PathBuf>,
    /// Where to write the model.
    #[arg(long, required_unless_present = "from_db")]
    pub(super) out: Option<PathBuf>,
    /// Train on the database's police-confirmed examples (plus any --data files), evaluate the
    /// candidate against the model in use and store it for a curator to promote.
    #[arg(long)]
    pub(super) from_db: bool,
    /// With --from-db: the evaluation file (JSONL, never trained on).
    #[arg(long)]
    pub(super) eval: Option<PathBuf>,
    /// Hashed feature bits of the model (default 18).
    #[arg(long)]
    pub(super) bits: Option<u32>,
    /// Training epochs (default 25).
    #[arg(long)]
    pub(super) epochs: Option<u32>,
    #[arg(long, default_value_t = 42)]
    pub(super) seed: u64,
    /// Use only lines whose `split` equals this; lines without a split are always used. `all` uses every line.
    #[arg(long, default_value = "train")]
    pub(super) split: String,
}

#[derive(Args)]
pub(super) struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long)]
    pub(super) listen: Option<std::net::SocketAddr>,
}

#[derive(Args)]
pub(super) struct DemoArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long)]
    pub(super) listen: Option<std::net::SocketAddr>,
    /// `school` (3 schools, ~10,000 students) or `province` (~100 schools, ~1,000,000 students).
    #[arg(long, default_value = "school")]
    pub(super) scale: String,
    /// Seed only; do not serve.
    #[arg(long)]
    pub(super) no_serve: bool,
}

#[derive(Subcommand)]
pub(super) enum ImportCmd {
    /// Import a student or staff roster CSV into a school (all or nothing).
    Roster {
        file: PathBuf,
        /// Code of the school (or police station, for staff).
        #[arg(long)]
        school: String,
        /// `students` or `staff`; detected from the headers when absent.
        #[arg(long)]
        kind: Option<String>,
    },
    /// Import org units from a CSV with columns code,name,kind,parent_code[,jurisdiction]
    /// (jurisdiction: school codes a police station covers, separated by ';').
    Units { file: PathBuf },
}

#[derive(Subcommand)]
pub(super) enum ExportCmd {
    /// Export a school's student roster as CSV (UTF-8 with BOM).
    Roster {
        #[arg(long)]
        school: String,
        /// Output file; standard output when absent.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Export the indicator store as CSV, a STIX 2.1 bundle or a MISP event (as the console
    /// does: TLP:AMBER+STRICT indicators never leave; cleared ones are exported revoked).
    Intel {
        /// csv, stix or misp.
        #[arg(long)]
        format: String,
        /// Leave cleared indicators out instead of exporting them revoked.
        #[arg(long)]
        omit_cleared: bool,
        /// Output file; standard output when absent.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub(super) enum UserCmd {
    /// Create an account with one role over one unit; prints a generated password unless one is given.
    Create {
        #[arg(long)]
        username: String,
        /// student, counselor, unit_leader, school_admin, police, province_admin or partner.
        #[arg(long)]
        role: String,
        /// Code of the unit the role is held over.
        #[arg(long)]
        unit: String,
        /// Display name.
        #[arg(long, default_value = "")]
        name: String,
        /// Student or staff number to link the account to.
        #[arg(long)]
        person: Option<String>,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password (unlocks the account and ends its sessions).
    ResetPassword {
        #[arg(long)]
        username: String,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
pub(super) enum TokenCmd {
    /// Create an API token for an account; the token is printed once.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        name: String,
        #[arg(long, help = crate::auth::model::scope_help())]
        scopes: String,
        /// Lifetime in days (none: until revoked).
        #[arg(long)]
        days: Option<i64>,
    },
}

#[derive(Subcommand)]
pub(super) enum BenchCmd {
    /// Throughput, latency, load time and memory of the detection engine on generated messages.
    Detect {
        #[arg(long, default_value_t = 100_000)]
        messages: usize,
    },
    /// Import a generated roster of N students into a fresh database and time it.
    Roster {
        #[arg(long, default_value_t = 100_000)]
        students: usize,
    },
    /// Seed a demo of the given scale into a fresh database and time it.
    Demo {
        #[arg(long, default_value = "province")]
        scale: String,
    },
    /// Fill N indicators, load them into the lookup index, measure load time, memory and lookups.
    /// Uses the configured PostgreSQL if any, else SQLite in --data-dir (kept, so a second run
    /// skips the filling) or a temporary directory.
    Intel {
        #[arg(long, default_value_t = 10_000_000)]
        indicators: i64,
        #[arg(long, default_value_t = 1_000_000)]
        lookups: usize,
        #[arg(long)]
        data_dir: Option<std::path::PathBuf>,
    },
    /// A batch of warnings matched, routed and scheduled, then escalation ticks over many open ones.
    Warnings {
        #[arg(long, default_value_t = 10_000)]
        batch: usize,
        #[arg(long, default_value_t = 100_000)]
        open: usize,
    },
    /// Generate N cases across S schools in a fresh database; time analysis, ranking and writes.
    Cases {
        #[arg(long, default_value_t = 1_000_000)]
        cases: usize,
        #[arg(long, default_value_t = 100)]
        schools: usize,
    },
    /// A campaign to every student of a seeded demo: fan-out time and memory, reach tree time.
    Campaigns {
        #[arg(long, default_value = "province")]
        scale: String,
    },
    /// File N generated reports (indicator extraction, sightings, group commit) from C concurrent
    /// submitters into a fresh database; throughput and latency percentiles. Uses the configured
    /// PostgreSQL if any (a fresh schema), else SQLite in a temporary directory.
    Reports {
        #[arg(long, default_value_t = 20_000)]
        reports: usize,
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
    },
    /// Contests: every student account of the school-scale demo (up to --voters) votes, with a
    /// second try at once, from C concurrent submitters (latency, one counted per person); then a
    /// ballot log of --log ballots is recomputed from its export.
    Contests {
        #[arg(long, default_value_t = 10_000)]
        voters: usize,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        #[arg(long, default_value_t = 1_000_000)]
        log: usize,
    },
    /// Claims from concurrent clients on one task (latency percentiles, exactly the places
    /// accepted), a province leaderboard over a large ledger, balance reads, on a fresh database
    /// (the configured PostgreSQL in a new schema, else SQLite in a temporary directory).
    Volunteers {
        #[arg(long, default_value_t = 1_000)]
        claims: usize,
        #[arg(long, default_value_t = 64)]
        clients: usize,
        #[arg(long, default_value_t = 100)]
        slots: i64,
        #[arg(long, default_value_t = 1_000_000)]
        entries: usize,
        #[arg(long, default_value_t = 100)]
        schools: usize,
        #[arg(long, default_value_t = 10_000)]
        volunteers: usize,
    },
    /// The credit export of a school of N students, each with a certificate, as CSV and .xlsx, in
    /// a fresh database (the configured PostgreSQL if any, else a temporary SQLite file).
    Learning {
        #[arg(long, default_value_t = 100_000)]
        students: usize,
    },
    /// N students check in to one lecture from C concurrent clients (the server-side path of a
    /// check-in), in a fresh database; throughput and latency percentiles.
    Checkin {
        #[arg(long, default_value_t = 3_000)]
        checkins: usize,
        #[arg(long, default_value_t = 64)]
        clients: usize,
        /// Spread the check-ins over this many seconds (0: as fast as the clients go).
        #[arg(long, default_value_t = 60)]
        seconds: u64,
    },
}
