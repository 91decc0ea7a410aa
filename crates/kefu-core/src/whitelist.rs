//! IP whitelists: which addresses may ask for an app's token (40164) or a
//! component's token (61004). An entry is an address or a CIDR range; an
//! empty list allows everyone.

use std::net::IpAddr;

/// One parsed entry: a network and its prefix length.
fn parse(entry: &str) -> Option<(IpAddr, u8)> {
    let (addr, prefix) = match entry.split_once('/') {
        Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
        None => (entry, None),
    };
    let ip: IpAddr = addr.trim().parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let prefix = prefix.unwrap_or(max);
    (prefix <= max).then_some((ip, prefix))
}

/// Whether an entry is an address or a CIDR range.
pub fn valid_entry(entry: &str) -> bool {
    parse(entry).is_some()
}

/// An IPv4-mapped IPv6 address as the IPv4 address it carries.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn bits(ip: IpAddr) -> (u128, u8) {
    match ip {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32),
        IpAddr::V6(v6) => (u128::from(v6), 128),
    }
}

fn contains(net: IpAddr, prefix: u8, ip: IpAddr) -> bool {
    let ((n, width), (a, other)) = (bits(canonical(net)), bits(canonical(ip)));
    if width != other {
        return false;
    }
    let shift = u32::from(width - prefix.min(width));
    let mask = if shift >= 128 { 0 } else { u128::MAX << shift };
    let keep = if width == 32 { mask & u128::from(u32::MAX) } else { mask };
    n & keep == a & keep
}

/// Whether `ip` may call: the list is empty or one entry holds it.
pub fn allows(list: &[String], ip: IpAddr) -> bool {
    list.is_empty()
        || list
            .iter()
            .filter_map(|e| parse(e))
            .any(|(net, prefix)| contains(net, prefix, ip))
}

/// The errmsg of 40164, naming the caller's address as WeChat does:
/// `invalid ip 1.2.3.4 ipv6 ::ffff:1.2.3.4, not in whitelist`.
pub fn denial(ip: IpAddr) -> String {
    match canonical(ip) {
        IpAddr::V4(v4) => format!("invalid ip {v4} ipv6 ::ffff:{v4}, not in whitelist"),
        IpAddr::V6(v6) => format!("invalid ip {v6} ipv6 {v6}, not in whitelist"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(entries: &[&str]) -> Vec<String> {
        entries.iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn an_empty_list_allows_everyone() {
        assert!(allows(&[], "8.8.8.8".parse().unwrap()));
    }

    #[test]
    fn addresses_and_ranges_match() {
        let l = list(&["1.2.3.4", "10.0.0.0/8", "2001:db8::/32"]);
        assert!(allows(&l, "1.2.3.4".parse().unwrap()));
        assert!(allows(&l, "::ffff:1.2.3.4".parse().unwrap()));
        assert!(allows(&l, "10.200.1.1".parse().unwrap()));
        assert!(allows(&l, "2001:db8::1".parse().unwrap()));
        assert!(!allows(&l, "1.2.3.5".parse().unwrap()));
        assert!(!allows(&l, "11.0.0.1".parse().unwrap()));
        assert!(!allows(&l, "2001:db9::1".parse().unwrap()));
        assert!(allows(&list(&["0.0.0.0/0"]), "9.9.9.9".parse().unwrap()));
    }

    #[test]
    fn entries_are_validated() {
        assert!(valid_entry("127.0.0.1"));
        assert!(valid_entry("::1"));
        assert!(valid_entry("192.168.0.0/16"));
        assert!(!valid_entry("192.168.0.0/33"));
        assert!(!valid_entry("example.com"));
    }

    #[test]
    fn the_denial_names_the_address_twice() {
        let ip = "1.2.3.4".parse().unwrap();
        assert_eq!(denial(ip), "invalid ip 1.2.3.4 ipv6 ::ffff:1.2.3.4, not in whitelist");
    }
}
