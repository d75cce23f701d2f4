//! Progress: an indicatif bar per phase on a terminal (hidden otherwise), and a log line per phase.

use std::sync::Mutex;
use std::time::Instant;

use aforro_core::catalogue::{SeedPhase, SeedProgress};
use indicatif::{ProgressBar, ProgressStyle};

/// Bars on stderr; indicatif draws nothing when stderr is not a terminal.
#[derive(Default)]
pub struct Bars {
    current: Mutex<Option<(ProgressBar, Instant)>>,
}

fn label(phase: SeedPhase) -> &'static str {
    match phase {
        SeedPhase::Categories => "categories",
        SeedPhase::Products => "products",
        SeedPhase::Stores => "stores",
        SeedPhase::Inventory => "inventory",
        SeedPhase::Commit => "commit",
    }
}

impl SeedProgress for Bars {
    fn start(&self, phase: SeedPhase, total: u64) {
        let bar = ProgressBar::new(total);
        if let Ok(style) =
            ProgressStyle::with_template("{prefix:>11} [{bar:40}] {human_pos}/{human_len} {per_sec} {eta}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(label(phase));
        if let Ok(mut current) = self.current.lock() {
            *current = Some((bar, Instant::now()));
        }
    }

    fn advance(&self, rows: u64) {
        if let Ok(current) = self.current.lock() {
            if let Some((bar, _)) = current.as_ref() {
                bar.inc(rows);
            }
        }
    }

    fn finish(&self, phase: SeedPhase) {
        if let Ok(mut current) = self.current.lock() {
            if let Some((bar, started)) = current.take() {
                bar.finish();
                tracing::info!(
                    phase = label(phase),
                    rows = bar.position(),
                    seconds = started.elapsed().as_secs_f64(),
                    "phase done"
                );
            }
        }
    }
}
