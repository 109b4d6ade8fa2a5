//! `grip`: parses the command line, loads configuration, and runs the chosen command.

use std::process::ExitCode;

fn main() -> ExitCode {
    server::cli::main()
}
