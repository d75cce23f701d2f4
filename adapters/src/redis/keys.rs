//! Where every key lives: one layout for a single node and a Redis Cluster.
//!
//! A Lua script or a MULTI on a cluster must name only keys of one hash slot, so every group
//! of keys used together shares a hash tag (the part in braces decides the slot):
//!
//! - **Cache** — split into [`CACHE_BUCKETS`] buckets, `{prefix:cache:B}`, so the cache spreads
//!   over the masters. Each bucket holds its own epoch and catalogue counters (bumped in every
//!   bucket: both change rarely) and the entries stored in it. A value that depends on one
//!   store lives in that store's bucket beside its `store:{id}` counter; one that depends on
//!   stock anywhere lives in the stock bucket beside the `stock` counter; the others (catalogue
//!   only) are spread by a hash of the request. So a lookup's counters and entry share a slot
//!   and stay one script call, and an order's bump touches two buckets, not all of them.
//! - **Rate limit** — one key per client and bucket, used alone: any slot.
//! - **Jobs** — the stream, its retry set and its dead letters share `{prefix:jobs}`: a retry
//!   is promoted into the stream, and a message settled into the dead letters, atomically.
//!
//! On a single node the tags are just part of the names.

use aforro_core::cache::{CacheKey, Scope};

/// How many slots the cache is spread over. Every bucket holds a copy of the epoch and
/// catalogue counters, so a catalogue write bumps this many keys.
pub const CACHE_BUCKETS: u64 = 16;
/// The bucket of values that depend on stock in any store (and its `stock` counter).
const STOCK_BUCKET: u64 = 0;

/// Key names under one deployment's prefix.
#[derive(Debug, Clone)]
pub struct KeyLayout {
    prefix: std::sync::Arc<str>,
}

impl KeyLayout {
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.into(),
        }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn bucket_tag(&self, bucket: u64) -> String {
        format!("{{{}:cache:{bucket}}}", self.prefix)
    }

    /// The bucket a cached value (and so its counters) lives in.
    pub fn bucket_of(key: &CacheKey) -> u64 {
        let store = key.scopes.iter().find_map(|scope| match scope {
            Scope::Store(store) => Some(store.get().unsigned_abs()),
            _ => None,
        });
        match store {
            Some(store) => store % CACHE_BUCKETS,
            None if key.scopes.contains(&Scope::Stock) => STOCK_BUCKET,
            None => fnv1a(key.namespace, &key.request) % CACHE_BUCKETS,
        }
    }

    /// The counter of `scope` in `bucket`.
    pub fn version(&self, scope: &Scope, bucket: u64) -> String {
        let tag = self.bucket_tag(bucket);
        match scope {
            Scope::Catalogue => format!("{tag}:v:catalogue"),
            Scope::Stock => format!("{tag}:v:stock"),
            Scope::Store(store) => format!("{tag}:v:store:{store}"),
        }
    }

    /// Every counter a change of `scope` must bump: the catalogue's copy in every bucket; the
    /// stock and store counters where the values that depend on them live.
    pub fn versions_to_bump(&self, scope: &Scope) -> Vec<String> {
        match scope {
            Scope::Catalogue => (0..CACHE_BUCKETS)
                .map(|bucket| self.version(scope, bucket))
                .collect(),
            Scope::Stock => vec![self.version(scope, STOCK_BUCKET)],
            Scope::Store(store) => {
                vec![self.version(scope, store.get().unsigned_abs() % CACHE_BUCKETS)]
            }
        }
    }

    /// The epoch counter of `bucket`, first in every stamp of the values stored there.
    pub fn epoch(&self, bucket: u64) -> String {
        format!("{}:v:epoch", self.bucket_tag(bucket))
    }

    /// The epoch counters of every bucket: bumping them all orphans the whole cache.
    pub fn epochs(&self) -> Vec<String> {
        (0..CACHE_BUCKETS).map(|bucket| self.epoch(bucket)).collect()
    }

    /// Where the value for `key` is stored (whatever its stamp; the stamp is kept in the value).
    pub fn entry(&self, key: &CacheKey) -> String {
        format!(
            "{}:c:{}:{}",
            self.bucket_tag(Self::bucket_of(key)),
            key.namespace,
            key.request
        )
    }

    /// The run id of the single node the last connection met (single node only: see
    /// `manager`).
    pub fn run_id(&self) -> String {
        format!("{}:v:run_id", self.prefix)
    }

    /// A client's request log for the rate limiter.
    pub fn rate_limit(&self, bucket: &str, client: &str) -> String {
        format!("{}:rl:{bucket}:{client}", self.prefix)
    }

    /// The job stream.
    pub fn jobs(&self) -> String {
        format!("{{{}:jobs}}", self.prefix)
    }

    /// Failed jobs waiting for their next attempt, by due time.
    pub fn jobs_retry(&self) -> String {
        format!("{}:retry", self.jobs())
    }

    /// Jobs given up on.
    pub fn jobs_dead(&self) -> String {
        format!("{}:dead", self.jobs())
    }
}

/// The hash tag of `key` (what decides its slot on a cluster), or the whole key without one.
pub(crate) fn hash_tag(key: &str) -> &str {
    key.find('{')
        .and_then(|open| {
            let rest = &key[open + 1..];
            rest.find('}')
                .filter(|&close| close > 0)
                .map(|close| &rest[..close])
        })
        .unwrap_or(key)
}

/// FNV-1a: a hash that is the same in every process and build (the std hasher's output may
/// change between Rust releases, and two builds of a rolling deploy must agree on buckets).
fn fnv1a(namespace: &str, request: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in namespace.bytes().chain([0]).chain(request.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use aforro_core::StoreId;

    use super::*;

    fn key(scopes: Vec<Scope>, request: &str) -> CacheKey {
        CacheKey {
            namespace: "search",
            request: request.into(),
            scopes,
        }
    }

    #[test]
    fn a_value_shares_its_tag_with_every_counter_its_lookup_reads() {
        let keys = KeyLayout::new("p");
        let store = StoreId::new(21).unwrap();
        for scopes in [
            vec![Scope::Catalogue],
            vec![Scope::Catalogue, Scope::Stock],
            vec![Scope::Catalogue, Scope::Store(store)],
        ] {
            for request in ["q=tea", "q=milk", "q=choc&page=2"] {
                let key = key(scopes.clone(), request);
                let bucket = KeyLayout::bucket_of(&key);
                let entry = keys.entry(&key);
                assert_eq!(hash_tag(&keys.epoch(bucket)), hash_tag(&entry));
                for scope in &scopes {
                    let counter = keys.version(scope, bucket);
                    assert_eq!(hash_tag(&counter), hash_tag(&entry), "{counter} vs {entry}");
                    // What a change of the scope bumps includes the counter this lookup reads.
                    assert!(keys.versions_to_bump(scope).contains(&counter));
                }
            }
        }
    }

    #[test]
    fn catalogue_only_values_spread_over_the_buckets() {
        let buckets: std::collections::BTreeSet<u64> = (0..200)
            .map(|i| KeyLayout::bucket_of(&key(vec![Scope::Catalogue], &format!("q={i}"))))
            .collect();
        assert_eq!(buckets.len() as u64, CACHE_BUCKETS);
    }

    #[test]
    fn the_job_keys_share_one_tag() {
        let keys = KeyLayout::new("aforro");
        assert_eq!(hash_tag(&keys.jobs()), "aforro:jobs");
        assert_eq!(hash_tag(&keys.jobs_retry()), "aforro:jobs");
        assert_eq!(hash_tag(&keys.jobs_dead()), "aforro:jobs");
    }

    #[test]
    fn hash_tags_follow_redis_rules() {
        assert_eq!(hash_tag("{a}:b"), "a");
        assert_eq!(hash_tag("x{a}{b}"), "a");
        assert_eq!(hash_tag("{}a"), "{}a");
        assert_eq!(hash_tag("plain"), "plain");
    }
}
