//! The `bcfsim` command. Exit codes: 0 done, 1 results could not be written, 2 a mistake in the
//! scenario or the command line, 3 the system is unstable, 4 validation failed (an observed figure
//! lies outside its tolerance), 130 interrupted (Ctrl-C), 143 terminated (SIGTERM).

use std::process::ExitCode;

use clap::Parser;

mod cli;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return ExitCode::from(cli::console::clap(error)),
    };
    match cli::execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            cli::console::notice(&failure.message());
            ExitCode::from(failure.exit_code())
        }
    }
}
