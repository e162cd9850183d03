//! The `sms-bcast` binary: a thin command-line layer over the library core.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
