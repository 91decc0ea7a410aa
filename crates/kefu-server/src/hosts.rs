//! WeChat's API host names, in one place: the compatibility report notes a
//! request that names one over plain HTTP, the proxy accepts `CONNECT` only
//! to them, and kefu's certificate carries them.

/// Hosts of WeChat's API (the main one and the regional access points).
pub const WECHAT_HOSTS: &[&str] = &[
    "api.weixin.qq.com",
    "api2.weixin.qq.com",
    "sh.api.weixin.qq.com",
    "sz.api.weixin.qq.com",
    "hk.api.weixin.qq.com",
];

/// The names of the machine kefu runs on, which its certificate also carries.
pub const LOCAL_NAMES: &[&str] = &["localhost", "127.0.0.1", "::1"];

/// Whether `host` (with or without a port) is one of WeChat's API hosts.
pub(crate) fn is_wechat_host(host: &str) -> bool {
    let name = host.rsplit_once(':').map_or(host, |(h, _)| h);
    WECHAT_HOSTS.iter().any(|h| h.eq_ignore_ascii_case(name))
}

/// WeChat's API hosts, comma-separated, for refusals that name them.
pub(crate) fn wechat_hosts_text() -> String {
    WECHAT_HOSTS.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wechat_hosts_match_with_or_without_a_port_in_any_case() {
        assert!(is_wechat_host("api.weixin.qq.com"));
        assert!(is_wechat_host("SZ.API.WEIXIN.QQ.COM:443"));
        assert!(!is_wechat_host("weixin.qq.com"));
        assert!(!is_wechat_host("api.weixin.qq.com.example.com"));
    }
}
