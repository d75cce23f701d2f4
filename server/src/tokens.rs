//! `server token create | list | revoke`: staff token management on the command line, through
//! the same core use-cases the HTTP server authenticates with.

use aforro_core::auth::{self, StaffToken, TokenRepository};
use aforro_core::stores::StoreRepository;
use anyhow::Context;
use chrono::{DateTime, SecondsFormat, Utc};
use clap::Subcommand;

/// What to do with tokens.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make a token and print it once (only its SHA-256 is stored). Without `--store` it is a
    /// catalogue token (every write); with `--store` ids it may adjust and read the stock of
    /// those stores only.
    Create {
        /// Unique name of the holder (`backroom-tablet-3`): letters, digits, `.`, `_`, `-`.
        #[arg(long)]
        name: String,
        /// A store whose stock the token may touch; repeat for several.
        #[arg(long = "store", value_name = "STORE_ID")]
        stores: Vec<i64>,
    },
    /// List every token: name, scope, created, last used (to a minute), revoked.
    List,
    /// Revoke the active token with this name; it stops working at once.
    Revoke {
        /// The token's name.
        name: String,
    },
}

/// Runs one token command against the token store and the stores.
pub async fn run<R>(command: TokenCommand, repo: &R) -> anyhow::Result<()>
where
    R: TokenRepository + StoreRepository,
{
    match command {
        TokenCommand::Create { name, stores } => {
            // rand's thread RNG is a CSPRNG seeded from the operating system.
            let (token, secret) = auth::create_token(repo, repo, &name, &stores, rand::random())
                .await
                .context("cannot create the token")?;
            eprintln!(
                "created token '{}' ({}); it is shown only now:",
                token.name,
                token.scope.describe()
            );
            println!("{}", secret.reveal());
        }
        TokenCommand::List => {
            let tokens = auth::list_tokens(repo).await.context("cannot list tokens")?;
            print!("{}", table(&tokens));
        }
        TokenCommand::Revoke { name } => {
            auth::revoke_token(repo, &name, Utc::now())
                .await
                .context("cannot revoke the token")?;
            eprintln!("revoked token '{name}'");
        }
    }
    Ok(())
}

fn when(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(
        || "-".to_owned(),
        |at| at.to_rfc3339_opts(SecondsFormat::Secs, true),
    )
}

/// Tokens as an aligned text table with a header line.
pub fn table(tokens: &[StaffToken]) -> String {
    let mut rows = vec![[
        "NAME".to_owned(),
        "SCOPE".to_owned(),
        "CREATED".to_owned(),
        "LAST USED".to_owned(),
        "REVOKED".to_owned(),
    ]];
    for t in tokens {
        rows.push([
            t.name.to_string(),
            t.scope.describe(),
            when(Some(t.created_at)),
            when(t.last_used_at),
            when(t.revoked_at),
        ]);
    }
    let widths: Vec<usize> = (0..5)
        .map(|c| rows.iter().map(|r| r[c].len()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}
