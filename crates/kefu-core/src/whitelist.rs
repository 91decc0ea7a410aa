//! IP whitelists: which addresses may ask for an app's token (40164) or a
//! component's token (61004). An entry is an address or a CIDR range; an
//! empty list allows everyone.

use ipnet::IpNet;
use std::net::IpAddr;

/// A parsed whitelist: each entry as given (so it reads back the same) and
/// the network it stands for. Parsed once, when it is set or loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Whitelist {
    entries: Vec<(String, IpNet)>,
}

/// One entry: an address (a network of one) or a CIDR range.
fn parse_entry(entry: &str) -> Option<IpNet> {
    let entry = entry.trim();
    if entry.contains('/') {
        return entry.parse().ok();
    }
    entry.parse::<IpAddr>().ok().map(IpNet::from)
}

impl Whitelist {
    /// Parses entries; the first that is neither an address nor a range is
    /// the error.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Whitelist, String> {
        let entries = entries
            .iter()
            .map(|e| {
                let e = e.as_ref();
                parse_entry(e)
                    .map(|net| (e.trim().to_owned(), net))
                    .ok_or_else(|| e.to_owned())
            })
            .collect::<Result<_, _>>()?;
        Ok(Whitelist { entries })
    }

    /// The entries as given.
    pub fn entries(&self) -> Vec<String> {
        self.entries.iter().map(|(e, _)| e.clone()).collect()
    }

    /// Whether `ip` may call: the list is empty or one entry holds it.
    pub fn allows(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.entries.is_empty() || self.entries.iter().any(|(_, net)| net.contains(&ip))
    }
}

/// Whether an entry is an address or a CIDR range.
pub fn valid_entry(entry: &str) -> bool {
    parse_entry(entry).is_some()
}

/// An IPv4-mapped IPv6 address as the IPv4 address it carries.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
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

    fn list(entries: &[&str]) -> Whitelist {
        Whitelist::parse(entries).unwrap()
    }

    fn allows(l: &Whitelist, ip: IpAddr) -> bool {
        l.allows(ip)
    }

    #[test]
    fn an_empty_list_allows_everyone() {
        assert!(allows(&Whitelist::default(), "8.8.8.8".parse().unwrap()));
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
        assert_eq!(Whitelist::parse(&["1.2.3.4", "nope"]), Err("nope".to_owned()));
        assert_eq!(list(&[" 1.2.3.4", "10.0.0.0/8"]).entries(), ["1.2.3.4", "10.0.0.0/8"]);
    }

    #[test]
    fn the_denial_names_the_address_twice() {
        let ip = "1.2.3.4".parse().unwrap();
        assert_eq!(denial(ip), "invalid ip 1.2.3.4 ipv6 ::ffff:1.2.3.4, not in whitelist");
    }
}
