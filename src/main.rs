//! The `deskmail` command: parses the command line, starts logging, runs one command, and
//! exits with a code cron and systemd understand (0 done, 1 check failed, 75 temporary
//! failure, 78 configuration error).

use clap::Parser;

fn main() {
    let cli = deskmail::cli::Cli::parse();
    deskmail::cli::init_logging(&cli);
    let code = deskmail::cli::run(cli);
    std::process::exit(code);
}
