//! [`JobQueue`] on Redis Streams with a consumer group.
//!
//! Keys (see [`super::keys`]; all three share one hash tag): `{prefix:jobs}` — the stream,
//! read by the group `workers` with XREADGROUP;
//! a message stays in the group's pending list until XACK, so a worker that dies holding it
//! loses nothing: another one takes it over with XAUTOCLAIM once it has been idle long enough.
//! `{prefix:jobs}:retry` — a sorted set of failed jobs by due time, moved back into the stream by
//! [`JobQueue::promote_due`]. `{prefix:jobs}:dead` — a stream of jobs given up on, with the error.
//! Settling a message (ack, retry, dead-letter) is one MULTI: it cannot be half done.

use std::sync::atomic::Ordering;
use std::sync::LazyLock;
use std::time::Duration;

use aforro_core::jobs::{Delivery, Job, JobOrigin, JobQueue, OutboxEntry};
use aforro_core::{Error, Result};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redis::streams::{StreamAutoClaimReply, StreamId, StreamRangeReply, StreamReadReply};

use super::Redis;

const GROUP: &str = "workers";
/// XREADGROUP BLOCK stays below the connection's 500 ms response timeout: idle workers poll
/// a few times a second, busy ones never wait.
const MAX_BLOCK: Duration = Duration::from_millis(300);

/// KEYS: retry set, stream. ARGV: max to move. Members are
/// `outbox_id|attempt|enqueued_ms|trace_id|job json` (either of the middle two may be empty),
/// or `outbox_id|attempt|job json` as written before jobs carried their origin.
static PROMOTE: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
for _, member in ipairs(due) do
  local outbox_id, attempt, enqueued, trace, job = string.match(member, '^(%d+)|(%d+)|(%d*)|(%x*)|({.*)$')
  if outbox_id then
    redis.call('XADD', KEYS[2], '*', 'outbox_id', outbox_id, 'attempt', attempt, 'job', job,
      'enqueued_ms', enqueued, 'trace_id', trace)
  else
    outbox_id, attempt, job = string.match(member, '^(%d+)|(%d+)|(.*)$')
    if outbox_id then
      redis.call('XADD', KEYS[2], '*', 'outbox_id', outbox_id, 'attempt', attempt, 'job', job)
    end
  end
  redis.call('ZREM', KEYS[1], member)
end
return #due
",
    )
});

/// KEYS: retry set. ARGV: delay ms, member. Due time from Redis's clock.
static SCHEDULE_RETRY: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[2])
",
    )
});

impl Redis {
    fn stream_key(&self) -> String {
        self.keys.jobs()
    }

    /// Creates the stream and group if missing (from the stream's start, so jobs published
    /// before any worker existed are delivered). Idempotent.
    async fn ensure_group(&self) -> Result<()> {
        if self.group_ready.load(Ordering::Relaxed) {
            return Ok(());
        }
        let mut conn = self.conn().await?;
        let created: redis::RedisResult<()> = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(self.stream_key())
            .arg(GROUP)
            .arg("0")
            .arg("MKSTREAM")
            .query_async(&mut *conn)
            .await;
        match created {
            Ok(()) => {}
            Err(e) if e.code() == Some("BUSYGROUP") => {}
            Err(e) => return Err(self.error(e)),
        }
        self.group_ready.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// Maps an error of a group read. A Redis that lost its data (restarted without
    /// persistence) lost the group too: it is created again on the next call.
    fn group_read_error(&self, error: redis::RedisError) -> Error {
        if error.code() == Some("NOGROUP") {
            self.group_ready.store(false, Ordering::Relaxed);
        }
        self.error(error)
    }

    /// Turns stream entries into deliveries; entries that cannot be read are dead-lettered
    /// at once (retrying cannot fix them) and skipped.
    async fn deliveries(&self, entries: Vec<StreamId>) -> Result<Vec<Delivery>> {
        let mut deliveries = Vec::with_capacity(entries.len());
        for entry in entries {
            let parsed = (|| {
                let outbox_id: i64 = entry.get("outbox_id")?;
                let attempt: u32 = entry.get("attempt")?;
                let job: String = entry.get("job")?;
                let job: Job = serde_json::from_str(&job).ok()?;
                Some((outbox_id, attempt, job, origin_of(&entry)))
            })();
            match parsed {
                Some((outbox_id, attempt, job, origin)) => deliveries.push(Delivery {
                    id: entry.id,
                    outbox_id,
                    job,
                    attempt,
                    origin,
                }),
                None => {
                    tracing::error!(id = %entry.id, fields = ?entry.map, "unreadable job message; dead-lettered");
                    let mut conn = self.conn().await?;
                    let mut pipe = redis::pipe();
                    self.settle(&mut pipe, &entry.id);
                    pipe.cmd("XADD")
                        .arg(self.keys.jobs_dead())
                        .arg("*")
                        .arg("raw")
                        .arg(format!("{:?}", entry.map))
                        .arg("error")
                        .arg("unreadable message")
                        .ignore();
                    pipe.query_async::<()>(&mut *conn)
                        .await
                        .map_err(|e| self.error(e))?;
                }
            }
        }
        Ok(deliveries)
    }

    /// Messages received by some worker and not yet acknowledged (the group's pending
    /// entries list): jobs being run, or held by a worker that died until one takes them over.
    pub async fn stream_pending(&self) -> Result<u64> {
        let mut conn = self.conn().await?;
        // XPENDING's summary form: [count, first id, last id, consumers].
        let reply: redis::RedisResult<(u64, redis::Value, redis::Value, redis::Value)> =
            redis::cmd("XPENDING")
                .arg(self.stream_key())
                .arg(GROUP)
                .query_async(&mut *conn)
                .await;
        match reply {
            Ok((count, ..)) => Ok(count),
            // No stream or group yet: nothing was ever received.
            Err(e) if e.code() == Some("NOGROUP") => Ok(0),
            Err(e) => Err(self.error(e)),
        }
    }

    /// Acknowledges and deletes message `id` in `pipe`, made atomic (the caller adds the
    /// rest and runs it).
    fn settle(&self, pipe: &mut redis::Pipeline, id: &str) {
        pipe.atomic()
            .cmd("XACK")
            .arg(self.stream_key())
            .arg(GROUP)
            .arg(id)
            .ignore()
            .cmd("XDEL")
            .arg(self.stream_key())
            .arg(id)
            .ignore();
    }
}

/// The origin fields of a message; absent or empty fields (messages from before jobs carried
/// them) are `None`.
fn origin_of(entry: &StreamId) -> JobOrigin {
    let text = |field: &str| entry.get::<String>(field).filter(|v| !v.is_empty());
    JobOrigin {
        trace_id: text("trace_id"),
        enqueued_at: text("enqueued_ms")
            .and_then(|ms| ms.parse::<i64>().ok())
            .and_then(DateTime::<Utc>::from_timestamp_millis),
    }
}

/// The origin as two stream field values: milliseconds since the epoch, and the trace id
/// (empty when unknown).
fn origin_fields(origin: &JobOrigin) -> (String, String) {
    (
        origin
            .enqueued_at
            .map(|at| at.timestamp_millis().to_string())
            .unwrap_or_default(),
        origin.trace_id.clone().unwrap_or_default(),
    )
}

fn encode(job: &Job) -> Result<String> {
    serde_json::to_string(job).map_err(|e| Error::Internal(Box::new(e)))
}

#[async_trait]
impl JobQueue for Redis {
    async fn publish(&self, entries: &[OutboxEntry]) -> Result<()> {
        self.ensure_group().await?;
        let mut pipe = redis::pipe();
        for entry in entries {
            let (enqueued_ms, trace_id) = origin_fields(&entry.origin);
            pipe.cmd("XADD")
                .arg(self.stream_key())
                .arg("*")
                .arg("outbox_id")
                .arg(entry.id)
                .arg("attempt")
                .arg(0)
                .arg("job")
                .arg(encode(&entry.job)?)
                .arg("enqueued_ms")
                .arg(enqueued_ms)
                .arg("trace_id")
                .arg(trace_id)
                .ignore();
        }
        let mut conn = self.conn().await?;
        pipe.query_async::<()>(&mut *conn)
            .await
            .map_err(|e| self.error(e))
    }

    async fn receive(&self, consumer: &str, max: usize, wait: Duration) -> Result<Vec<Delivery>> {
        self.ensure_group().await?;
        let mut conn = self.conn().await?;
        let reply: redis::RedisResult<Option<StreamReadReply>> = redis::cmd("XREADGROUP")
            .arg("GROUP")
            .arg(GROUP)
            .arg(consumer)
            .arg("COUNT")
            .arg(max)
            .arg("BLOCK")
            .arg(wait.min(MAX_BLOCK).as_millis() as u64)
            .arg("STREAMS")
            .arg(self.stream_key())
            .arg(">")
            .query_async(&mut *conn)
            .await;
        drop(conn);
        let reply = reply.map_err(|e| self.group_read_error(e))?;
        let entries = reply
            .map(|r| r.keys.into_iter().flat_map(|k| k.ids).collect())
            .unwrap_or_default();
        self.deliveries(entries).await
    }

    async fn reclaim(&self, consumer: &str, min_idle: Duration, max: usize) -> Result<Vec<Delivery>> {
        self.ensure_group().await?;
        let mut conn = self.conn().await?;
        let reply: redis::RedisResult<StreamAutoClaimReply> = redis::cmd("XAUTOCLAIM")
            .arg(self.stream_key())
            .arg(GROUP)
            .arg(consumer)
            .arg(min_idle.as_millis() as u64)
            .arg("0-0")
            .arg("COUNT")
            .arg(max)
            .query_async(&mut *conn)
            .await;
        drop(conn);
        let reply = reply.map_err(|e| self.group_read_error(e))?;
        if !reply.claimed.is_empty() {
            tracing::warn!(
                count = reply.claimed.len(),
                consumer,
                "took over jobs another worker left unacknowledged"
            );
        }
        self.deliveries(reply.claimed).await
    }

    async fn ack(&self, delivery: &Delivery) -> Result<()> {
        let mut pipe = redis::pipe();
        self.settle(&mut pipe, &delivery.id);
        let mut conn = self.conn().await?;
        pipe.query_async::<()>(&mut *conn)
            .await
            .map_err(|e| self.error(e))
    }

    async fn ack_all(&self, deliveries: &[Delivery]) -> Result<()> {
        if deliveries.is_empty() {
            return Ok(());
        }
        // One XACK and one XDEL naming every message, in one MULTI.
        let ids: Vec<&str> = deliveries.iter().map(|d| d.id.as_str()).collect();
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("XACK")
            .arg(self.stream_key())
            .arg(GROUP)
            .arg(&ids)
            .ignore()
            .cmd("XDEL")
            .arg(self.stream_key())
            .arg(&ids)
            .ignore();
        let mut conn = self.conn().await?;
        pipe.query_async::<()>(&mut *conn)
            .await
            .map_err(|e| self.error(e))
    }

    async fn retry_later(&self, delivery: &Delivery, delay: Duration) -> Result<()> {
        let (enqueued_ms, trace_id) = origin_fields(&delivery.origin);
        let member = format!(
            "{}|{}|{enqueued_ms}|{trace_id}|{}",
            delivery.outbox_id,
            delivery.attempt + 1,
            encode(&delivery.job)?
        );
        let mut conn = self.conn().await?;
        // Scheduled first: if the ack below fails the message is delivered again by reclaim,
        // and also once by the retry — a duplicate, which idempotent jobs absorb; never a loss.
        SCHEDULE_RETRY
            .key(self.keys.jobs_retry())
            .arg(delay.as_millis() as u64)
            .arg(member)
            .invoke_async::<()>(&mut *conn)
            .await
            .map_err(|e| self.error(e))?;
        let mut pipe = redis::pipe();
        self.settle(&mut pipe, &delivery.id);
        pipe.query_async::<()>(&mut *conn)
            .await
            .map_err(|e| self.error(e))
    }

    async fn dead_letter(&self, delivery: &Delivery, error: &str) -> Result<()> {
        let mut pipe = redis::pipe();
        self.settle(&mut pipe, &delivery.id);
        pipe.cmd("XADD")
            .arg(self.keys.jobs_dead())
            .arg("*")
            .arg("outbox_id")
            .arg(delivery.outbox_id)
            .arg("attempt")
            .arg(delivery.attempt)
            .arg("job")
            .arg(encode(&delivery.job)?)
            .arg("trace_id")
            .arg(origin_fields(&delivery.origin).1)
            .arg("error")
            .arg(error)
            .ignore();
        let mut conn = self.conn().await?;
        pipe.query_async::<()>(&mut *conn)
            .await
            .map_err(|e| self.error(e))
    }

    async fn promote_due(&self) -> Result<usize> {
        let mut conn = self.conn().await?;
        let moved: i64 = PROMOTE
            .key(self.keys.jobs_retry())
            .key(self.stream_key())
            .arg(100)
            .invoke_async(&mut *conn)
            .await
            .map_err(|e| self.error(e))?;
        Ok(usize::try_from(moved).unwrap_or(0))
    }

    async fn oldest_queued(&self) -> Result<Option<DateTime<Utc>>> {
        // Acknowledged messages are deleted: the first entry is the oldest not yet settled.
        // Its id is `<Redis time in ms>-<sequence>`.
        let mut conn = self.conn().await?;
        let reply: StreamRangeReply = redis::cmd("XRANGE")
            .arg(self.stream_key())
            .arg("-")
            .arg("+")
            .arg("COUNT")
            .arg(1)
            .query_async(&mut *conn)
            .await
            .map_err(|e| self.error(e))?;
        let Some(first) = reply.ids.first() else {
            return Ok(None);
        };
        let millis = first
            .id
            .split('-')
            .next()
            .and_then(|ms| ms.parse::<i64>().ok())
            .and_then(DateTime::from_timestamp_millis)
            .ok_or_else(|| Error::internal(format!("unexpected stream id {:?}", first.id)))?;
        Ok(Some(millis))
    }

    async fn backlog(&self) -> Result<u64> {
        // Acknowledged messages are deleted (see `settle`): what the stream holds is the backlog.
        let mut conn = self.conn().await?;
        redis::cmd("XLEN")
            .arg(self.stream_key())
            .query_async(&mut *conn)
            .await
            .map_err(|e| self.error(e))
    }
}
