//! Figures that tests measure (a lock wait, requests answered during a shutdown), printed in
//! the CI log: `cargo test` shows a passing test's output only with `--nocapture`, so each
//! figure is also appended to the file named by `AFORRO_TEST_FIGURES`, which `scripts/test`
//! sets and prints once the suites have run.

use std::io::Write;

/// The variable naming the file figures are appended to; unset, they are only printed.
pub const FIGURES_FILE_VAR: &str = "AFORRO_TEST_FIGURES";
/// The variable naming the pass of `scripts/test` that runs (the suites run more than once:
/// alone, with reads on the replica, on the Redis Cluster); it prefixes each figure.
pub const PASS_VAR: &str = "AFORRO_TEST_PASS";

/// Prints `line` (seen with `--nocapture` or when the test fails) and appends it to the
/// figures file when one is named. A figure that cannot be written fails the test: a CI log
/// missing its figures would look like a run that measured nothing.
pub fn report(line: &str) {
    let line = match std::env::var(PASS_VAR) {
        Ok(pass) => format!("[{pass}] {line}"),
        Err(_) => line.to_owned(),
    };
    println!("{line}");
    let Ok(path) = std::env::var(FIGURES_FILE_VAR) else {
        return;
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap_or_else(|error| panic!("figures file {path}: {error}"));
    // One write per line: tests running in parallel append whole lines.
    file.write_all(format!("{line}\n").as_bytes())
        .unwrap_or_else(|error| panic!("figures file {path}: {error}"));
}
