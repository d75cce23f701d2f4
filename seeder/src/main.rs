//! `seeder`: fills the database with realistic fake data. A placeholder until the seeder
//! issue lands: it only answers `--help`.

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "seeder",
    version,
    about = "aforro fake-data seeder (placeholder: arrives with the seeder issue)"
)]
struct Cli {}

fn main() -> anyhow::Result<()> {
    let _cli = Cli::parse();
    anyhow::bail!("the seeder is not implemented yet; see README.md, section \"Status\"")
}
