//! Background jobs: order confirmation and cancellation emails and daily inventory summaries,
//! delivered at least once and applied exactly once.
//!
//! The path of a job: a row in the **outbox** ([`crate::outbox`], re-exported here) (written in the same transaction as what caused
//! it, so a crash cannot lose it) → the **relay** publishes it to the **queue** → a **worker**
//! runs it, marks the outbox row completed and acknowledges it. Failures are retried with
//! backoff and dead-lettered after a few attempts; rows published long ago and never completed
//! (a queue that lost them) are published again. Every job is idempotent, so a second delivery
//! does no harm. Workers take jobs in batches ([`process_batch`]); the scheduler deletes
//! completed rows and expired idempotency keys ([`prune_once`]).

mod batch;
#[cfg(test)]
mod batch_tests;
#[cfg(test)]
mod cancellation_tests;
mod email;
mod model;
mod ports;
mod retention;
mod summary;
#[cfg(test)]
mod tests;
mod usecases;

pub use crate::outbox::{Job, JobOrigin, Outbox, OutboxEntry};
pub use batch::{process_batch, BatchOutcome};
pub use email::{render_order_cancellation, render_order_confirmation, EmailMessage, MailSettings};
pub use model::{Delivery, RetryPolicy};
pub use ports::{JobQueue, Mailer, Retention, Sent};
pub use retention::{prune_once, Pruned, RetentionPolicy};
pub use summary::{summary_for, InventorySummary, SummaryRepository, DEFAULT_LOW_STOCK_THRESHOLD};
pub use usecases::{process_delivery, relay_outbox, run_job, JobContext, Processed, QUEUE_CLOCK_MARGIN};

#[cfg(any(test, feature = "mock"))]
pub use crate::outbox::MockOutbox;
#[cfg(any(test, feature = "mock"))]
pub use ports::{MockJobQueue, MockMailer, MockRetention};
#[cfg(any(test, feature = "mock"))]
pub use summary::MockSummaryRepository;
