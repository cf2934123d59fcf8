//! `deskmail man DIR` and `deskmail completions SHELL`: the man pages (clap_mangen) and
//! shell completions (clap_complete) made from the same clap definitions as `--help`, so
//! they never drift from the program. The Debian package ships both.

use std::path::Path;

use clap::CommandFactory;

use super::Cli;
use super::Failure;
use super::output::outln;

/// Prints the completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> Result<i32, Failure> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "deskmail", &mut script);
    outln!("{}", String::from_utf8_lossy(&script).trim_end());
    Ok(0)
}

/// Writes `deskmail.1` and `deskmail-COMMAND.1` for every command into `dir`.
pub fn man(dir: &Path) -> Result<i32, Failure> {
    let cannot = |e: std::io::Error| {
        Failure::CannotCreate(format!("cannot write the man pages into {}: {e}", dir.display()))
    };
    std::fs::create_dir_all(dir).map_err(cannot)?;
    let command = Cli::command();
    let mut written = 0;
    write_page(dir, "deskmail", command.clone()).map_err(cannot)?;
    written += 1;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("deskmail-{}", sub.get_name());
        write_page(dir, &name, sub.clone().name(name.clone())).map_err(cannot)?;
        written += 1;
    }
    outln!("{written} man pages written to {}", dir.display());
    Ok(0)
}

fn write_page(dir: &Path, name: &str, command: clap::Command) -> std::io::Result<()> {
    let mut page = Vec::new();
    clap_mangen::Man::new(command).render(&mut page)?;
    std::fs::write(dir.join(format!("{name}.1")), page)
}
