//! Retention: deleting completed jobs and expired idempotency keys, and folding stock level
//! changes into their counts, a small batch at a time.

use std::time::Duration;

use super::ports::Retention;
use crate::Result;

/// How long things are kept, and how many are deleted per statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// Completed outbox rows are deleted once completed this long ago.
    pub completed_jobs: Duration,
    /// Idempotency keys expire this long after they were first used: a request repeating
    /// one after that is a new order (or adjustment).
    pub idempotency_keys: Duration,
    /// Rows deleted per statement: small, so that no statement holds its locks for long.
    pub batch: usize,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        Self {
            completed_jobs: Duration::from_secs(7 * 24 * 3600),
            idempotency_keys: Duration::from_secs(24 * 3600),
            batch: 1000,
        }
    }
}

/// What one round of [`prune_once`] deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Completed outbox rows.
    pub completed_jobs: usize,
    /// Idempotency keys.
    pub idempotency_keys: usize,
    /// Stock level changes folded into the counts.
    pub stock_level_changes: usize,
}

impl Pruned {
    /// Whether a full batch of either was deleted (more may be waiting).
    pub fn more_may_wait(&self, policy: &RetentionPolicy) -> bool {
        self.completed_jobs >= policy.batch
            || self.idempotency_keys >= policy.batch
            || self.stock_level_changes >= policy.batch
    }
}

/// Deletes one batch of completed jobs and one of expired idempotency keys, and folds one batch
/// of stock level changes. Call it again
/// (after a pause) while [`Pruned::more_may_wait`].
pub async fn prune_once(retention: &dyn Retention, policy: &RetentionPolicy) -> Result<Pruned> {
    let batch = policy.batch.max(1);
    Ok(Pruned {
        completed_jobs: retention
            .delete_completed_jobs(policy.completed_jobs, batch)
            .await?,
        idempotency_keys: retention
            .expire_idempotency_keys(policy.idempotency_keys, batch)
            .await?,
        stock_level_changes: retention.fold_stock_level_changes(batch).await?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::MockRetention;

    #[tokio::test]
    async fn one_round_deletes_a_batch_of_each_with_its_own_window() {
        let policy = RetentionPolicy {
            batch: 10,
            ..RetentionPolicy::default()
        };
        let mut retention = MockRetention::new();
        retention
            .expect_delete_completed_jobs()
            .withf(|age, limit| *age == Duration::from_secs(7 * 86_400) && *limit == 10)
            .times(1)
            .returning(|_, _| Ok(10));
        retention
            .expect_expire_idempotency_keys()
            .withf(|age, limit| *age == Duration::from_secs(86_400) && *limit == 10)
            .times(1)
            .returning(|_, _| Ok(3));
        retention
            .expect_fold_stock_level_changes()
            .withf(|limit| *limit == 10)
            .times(1)
            .returning(|_| Ok(7));
        let pruned = prune_once(&retention, &policy).await.unwrap();
        assert_eq!(
            pruned,
            Pruned {
                completed_jobs: 10,
                idempotency_keys: 3,
                stock_level_changes: 7,
            }
        );
        assert!(pruned.more_may_wait(&policy), "a full batch: look again");
        assert!(!Pruned {
            completed_jobs: 9,
            idempotency_keys: 9,
            stock_level_changes: 9,
        }
        .more_may_wait(&policy));
        assert!(Pruned {
            stock_level_changes: 10,
            ..Pruned::default()
        }
        .more_may_wait(&policy));
    }
}
