//! Who the client is, for rate limiting: the socket peer, unless the peer is a trusted proxy;
//! then the right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
//!
//! Right-most, not left-most: every proxy appends the address it saw, so only entries added by
//! our own proxies can be believed; anything to their left was written by the client and may be
//! forged to dodge the limit.

use std::net::{IpAddr, SocketAddr};

use actix_web::HttpRequest;

use crate::config::TrustedProxies;

impl TrustedProxies {
    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }
}

/// IPv4 peers on a dual-stack socket arrive as `::ffff:a.b.c.d`.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// One `X-Forwarded-For` entry: an address, maybe with a port (`1.2.3.4:80`, `[::1]:80`).
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(canonical)
}

/// The client address of `peer` given the `X-Forwarded-For` values received.
pub fn resolve(peer: IpAddr, forwarded_for: &[&str], trusted: &TrustedProxies) -> IpAddr {
    let peer = canonical(peer);
    if !trusted.trusts(peer) {
        return peer;
    }
    let mut client = peer;
    let entries = forwarded_for.iter().flat_map(|value| value.split(','));
    for entry in entries.collect::<Vec<_>>().into_iter().rev() {
        match parse_entry(entry) {
            // An untrusted hop: the client as our proxies saw it.
            Some(ip) if !trusted.trusts(ip) => return ip,
            Some(ip) => client = ip,
            // Not an address: nothing left of it can be believed; the last trusted hop stands.
            None => return client,
        }
    }
    client
}

/// The rate-limit key of a client address: an IPv4 address as it is, an IPv6 address by its
/// /64 network. One subscriber is usually given a whole /64 and can pick any address in it, so
/// a key per IPv6 address could be rotated to escape the limit.
pub fn rate_limit_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let network = u128::from(v6) & !(u128::MAX >> 64);
            format!("{}/64", std::net::Ipv6Addr::from(network))
        }
    }
}

/// The client of a request, as a rate-limit key ([`rate_limit_key`] of its address).
pub fn client_ip(req: &HttpRequest, trusted: &TrustedProxies) -> String {
    let Some(peer) = req.peer_addr() else {
        return "unknown".to_owned();
    };
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|value| value.to_str().ok())
        .collect();
    rate_limit_key(resolve(peer.ip(), &forwarded, trusted))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn proxies(nets: &[&str]) -> TrustedProxies {
        TrustedProxies(nets.iter().map(|n| n.parse().unwrap()).collect())
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let trusted = proxies(&["10.0.0.0/8"]);
        assert_eq!(
            resolve(ip("203.0.113.9"), &["1.1.1.1"], &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(
            resolve(ip("203.0.113.9"), &[], &TrustedProxies::default()),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_entry_is_the_client() {
        let trusted = proxies(&["10.0.0.0/8"]);
        // The client forged "6.6.6.6"; our proxies appended what they saw.
        let xff = ["6.6.6.6, 198.51.100.7", "10.1.2.3"];
        assert_eq!(resolve(ip("10.9.9.9"), &xff, &trusted), ip("198.51.100.7"));
        assert_eq!(
            resolve(ip("10.9.9.9"), &["198.51.100.7:4711"], &trusted),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64_network() {
        assert_eq!(rate_limit_key(ip("2001:db8:1:2::7")), "2001:db8:1:2::/64");
        assert_eq!(
            rate_limit_key(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            rate_limit_key(ip("2001:db8:1:2::7")),
            "addresses of one /64 share a limit"
        );
        assert_ne!(
            rate_limit_key(ip("2001:db8:1:3::7")),
            rate_limit_key(ip("2001:db8:1:2::7"))
        );
        assert_eq!(rate_limit_key(ip("203.0.113.9")), "203.0.113.9");
        assert_eq!(
            rate_limit_key(resolve(ip("::ffff:203.0.113.9"), &[], &TrustedProxies::default())),
            "203.0.113.9"
        );
    }

    #[test]
    fn odd_headers_fall_back_to_the_last_trusted_hop() {
        let trusted = proxies(&["10.0.0.0/8"]);
        assert_eq!(resolve(ip("10.9.9.9"), &[], &trusted), ip("10.9.9.9"));
        assert_eq!(
            resolve(ip("10.9.9.9"), &["junk, 10.1.1.1"], &trusted),
            ip("10.1.1.1")
        );
        assert_eq!(resolve(ip("::ffff:10.9.9.9"), &["::1"], &trusted), ip("::1"));
    }
}
