//! `worker`: background jobs on the Redis broker (order confirmations, daily inventory
//! summaries). A placeholder until the worker issue lands: it only answers `--help`.

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "worker",
    version,
    about = "aforro background worker (placeholder: jobs arrive with the worker issue)"
)]
struct Cli {}

fn main() -> anyhow::Result<()> {
    let _cli = Cli::parse();
    anyhow::bail!("the worker has no jobs yet; see README.md, section \"Status\"")
}
