//! The `server` binary's command line: every option is accepted before or after the
//! subcommand (`--help` after the options makes clap check them without serving).

use std::process::Command;

fn server(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_server"))
        .args(args)
        .env_remove("METRICS_BIND_ADDR")
        .output()
        .expect("the server binary runs")
}

#[test]
fn options_are_accepted_after_the_subcommand_as_before_it() {
    for args in [
        &["serve", "--metrics-bind", "127.0.0.1:0", "--help"][..],
        &["--metrics-bind", "127.0.0.1:0", "serve", "--help"],
        &[
            "migrate",
            "--database-url",
            "postgres://x@127.0.0.1:1/x",
            "--help",
        ],
        &[
            "token",
            "list",
            "--database-url",
            "postgres://x@127.0.0.1:1/x",
            "--help",
        ],
    ] {
        let output = server(args);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    // An option no command has is still refused, wherever it is.
    let output = server(&["serve", "--no-such-option", "--help"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn openapi_prints_the_document_without_a_database() {
    let output = server(&["openapi", "--database-url", "postgres://x@127.0.0.1:1/x"]);
    assert!(output.status.success());
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(document["openapi"], "3.1.0");
}
