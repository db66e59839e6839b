//! The `fanzha` binary: see `fanzha --help`.

fn main() -> std::process::ExitCode {
    fanzha::cli::main()
}
