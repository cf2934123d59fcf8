//! The files that run deskmail as a service: `contrib/deskmail.service` has the keys the
//! daemon relies on (and passes `systemd-analyze verify` where systemd is installed), and
//! `contrib/deskmail.cron` runs one locked pass every 5 minutes.

use std::path::{Path, PathBuf};
use std::process::Command;

fn contrib(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib").join(name)
}

/// A systemd unit file as `(section, key, value)` in file order; repeated keys are kept.
/// Enough of the format for our own file: `[Section]`, `Key=Value`, `#`/`;` comments.
fn parse_unit(text: &str) -> Vec<(String, String, String)> {
    let mut section = String::new();
    let mut entries = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        assert!(!line.ends_with('\\'), "line {}: continuation lines are not expected here", n + 1);
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_string();
            continue;
        }
        let (key, value) =
            line.split_once('=').unwrap_or_else(|| panic!("line {}: not Key=Value: {line}", n + 1));
        assert!(!section.is_empty(), "line {}: {key} outside a section", n + 1);
        entries.push((section.clone(), key.trim().to_string(), value.trim().to_string()));
    }
    entries
}

struct Unit(Vec<(String, String, String)>);

impl Unit {
    fn load() -> Unit {
        let text = std::fs::read_to_string(contrib("deskmail.service")).expect("contrib/deskmail.service");
        Unit(parse_unit(&text))
    }

    /// The value of a key that must appear exactly once in `section`.
    fn get(&self, section: &str, key: &str) -> &str {
        let values: Vec<&str> =
            self.0.iter().filter(|(s, k, _)| s == section && k == key).map(|(_, _, v)| v.as_str()).collect();
        assert_eq!(values.len(), 1, "[{section}] {key}= should appear once, found {values:?}");
        values[0]
    }
}

#[test]
fn unit_has_exactly_the_three_sections() {
    let unit = Unit::load();
    let mut sections: Vec<&str> = unit.0.iter().map(|(s, _, _)| s.as_str()).collect();
    sections.dedup();
    assert_eq!(sections, ["Unit", "Service", "Install"]);
    assert_eq!(unit.get("Install", "WantedBy"), "multi-user.target");
}

#[test]
fn unit_is_a_notify_daemon_with_a_watchdog() {
    let unit = Unit::load();
    assert_eq!(unit.get("Service", "Type"), "notify");
    let watchdog = unit.get("Service", "WatchdogSec");
    assert!(watchdog.parse::<u32>().is_ok_and(|s| s > 0), "WatchdogSec={watchdog}");
}

#[test]
fn unit_runs_the_daemon_with_the_etc_config() {
    let unit = Unit::load();
    let exec: Vec<&str> = unit.get("Service", "ExecStart").split_whitespace().collect();
    assert!(exec[0].starts_with('/') && exec[0].ends_with("/deskmail"), "{exec:?}");
    assert_eq!(&exec[1..], ["run", "--config", "/etc/deskmail/deskmail.toml"], "the daemon, not --once");
    assert_eq!(unit.get("Service", "ExecReload"), "/bin/kill -HUP $MAINPID");
}

#[test]
fn unit_restarts_on_failure_but_not_on_a_configuration_error() {
    let unit = Unit::load();
    assert_eq!(unit.get("Service", "Restart"), "on-failure");
    // 78 is deskmail's exit code for a configuration error (README, cli::Failure).
    assert_eq!(unit.get("Service", "RestartPreventExitStatus"), "78");
}

#[test]
fn unit_runs_as_its_own_user_with_state_and_configuration_directories() {
    let unit = Unit::load();
    assert_eq!(unit.get("Service", "User"), "deskmail");
    assert_eq!(unit.get("Service", "StateDirectory"), "deskmail");
    assert_eq!(unit.get("Service", "ConfigurationDirectory"), "deskmail");
    assert_eq!(unit.get("Service", "ReadWritePaths"), "/var/lib/deskmail");
}

#[test]
fn unit_is_sandboxed() {
    let unit = Unit::load();
    for (key, value) in [
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("NoNewPrivileges", "yes"),
        ("ProtectKernelTunables", "yes"),
        ("ProtectKernelModules", "yes"),
        ("ProtectControlGroups", "yes"),
        ("RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6"),
        ("RestrictNamespaces", "yes"),
        ("LockPersonality", "yes"),
        ("MemoryDenyWriteExecute", "yes"),
        ("SystemCallArchitectures", "native"),
    ] {
        assert_eq!(unit.get("Service", key), value, "{key}");
    }
}

/// `systemd-analyze verify` on the unit, where systemd is installed.
///
/// The unit names `/usr/bin/deskmail`, which does not exist on a build machine, and
/// verify rejects an ExecStart= that is not executable. Rather than tolerating that error
/// (which would also hide a real typo in the path), the test verifies a copy whose
/// ExecStart= names the binary cargo just built: everything else, /bin/kill in ExecReload=
/// included, is checked as shipped. `User=deskmail` need not exist: verify does not
/// resolve users (newer systemd versions may warn about it; such a line is tolerated).
/// Complaints about other units on this machine (verify loads the dependencies too) are
/// printed but are not ours to fix; any line naming our unit fails the test.
#[test]
fn unit_passes_systemd_analyze_verify() {
    verify_unit("deskmail.service", "deskmail.service");
}

/// The template unit, verified as an instance (a template alone cannot be loaded).
#[test]
fn template_unit_passes_systemd_analyze_verify_as_an_instance() {
    let text = std::fs::read_to_string(contrib("deskmail@.service")).unwrap();
    assert!(text.contains("ExecStart=/usr/bin/deskmail run --config /etc/deskmail/%i.toml"), "{text}");
    assert!(text.contains("StateDirectory=deskmail/%i"), "{text}");
    verify_unit("deskmail@.service", "deskmail@billing.service");
}

fn verify_unit(file: &str, unit_name: &str) {
    let Ok(probe) = Command::new("systemd-analyze").arg("--version").output() else {
        eprintln!("note: systemd-analyze is not on PATH; skipping `systemd-analyze verify`");
        return;
    };
    assert!(probe.status.success(), "systemd-analyze --version failed");

    let text = std::fs::read_to_string(contrib(file)).unwrap();
    let built = env!("CARGO_BIN_EXE_deskmail");
    assert!(!built.contains(char::is_whitespace), "cannot put {built:?} in ExecStart= unquoted");
    let copy = text.replace("ExecStart=/usr/bin/deskmail ", &format!("ExecStart={built} "));
    assert_ne!(copy, text, "ExecStart= not found");
    let dir = tempfile::tempdir().unwrap();
    // The file name is the unit name.
    let path = dir.path().join(unit_name);
    std::fs::write(&path, copy).unwrap();

    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&path)
        .env("SYSTEMD_LOG_COLOR", "0")
        .output()
        .expect("systemd-analyze runs");
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let ours = |line: &str| line.contains(unit_name) || line.contains(&*path.to_string_lossy());
    let user_missing = |line: &str| {
        let line = line.to_ascii_lowercase();
        line.contains("user")
            && ["does not exist", "not found", "unknown", "failed to resolve"]
                .iter()
                .any(|s| line.contains(s))
    };
    let problems: Vec<&str> = report.lines().filter(|l| ours(l) && !user_missing(l)).collect();
    for line in report.lines().filter(|l| !ours(l)) {
        eprintln!("note: systemd-analyze, about another unit on this machine: {line}");
    }
    assert!(problems.is_empty(), "systemd-analyze verify:\n{}", problems.join("\n"));
    if !out.status.success() {
        eprintln!("note: systemd-analyze verify exited {} with nothing about {unit_name}", out.status);
    }
}

#[test]
fn cron_runs_one_locked_pass_every_five_minutes() {
    let text = std::fs::read_to_string(contrib("deskmail.cron")).expect("contrib/deskmail.cron");
    let jobs: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.contains('='))
        .collect();
    assert_eq!(jobs.len(), 2, "the pass and the daily purge: {jobs:?}");
    let purge: Vec<&str> = jobs[1].split_whitespace().collect();
    assert_eq!(
        &purge[5..],
        ["deskmail", "/usr/bin/deskmail", "purge", "--config", "/etc/deskmail/deskmail.toml"]
    );
    let fields: Vec<&str> = jobs[0].split_whitespace().collect();
    // /etc/cron.d format: five time fields, the user, the command.
    assert_eq!(&fields[..6], ["*/5", "*", "*", "*", "*", "deskmail"]);
    let command = fields[6..].join(" ");
    assert!(command.starts_with("/usr/bin/flock -n "), "{command}");
    assert!(command.ends_with("/usr/bin/deskmail run --once --config /etc/deskmail/deskmail.toml"));
    assert!(!command.contains('%'), "cron turns % into a newline");
    // The comments explain the exit codes an operator will see mailed.
    for code in ["75", "78"] {
        assert!(text.lines().any(|l| l.starts_with('#') && l.contains(code)), "exit code {code} explained");
    }
}
