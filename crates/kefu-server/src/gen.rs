//! Generated identifiers in WeChat's shapes. Randomness lives here, outside
//! the pure core, and values are passed in.

use rand::distr::{Alphanumeric, SampleString};
use rand::Rng;

const URL_SAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

fn hex(n: usize) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
        .collect()
}

fn url_safe(n: usize) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| URL_SAFE[rng.random_range(0..URL_SAFE.len())] as char)
        .collect()
}

/// `wx` + 16 hex digits.
pub(crate) fn appid() -> String {
    format!("wx{}", hex(16))
}

/// 32 hex digits.
pub(crate) fn secret() -> String {
    hex(32)
}

/// `gh_` + 12 hex digits.
pub(crate) fn original_id() -> String {
    format!("gh_{}", hex(12))
}

/// A WeChat ID for an app that did not choose one: `kf` + 8 hex digits.
pub(crate) fn wechat_id() -> String {
    format!("kf{}", hex(8))
}

/// An openid: `o` + 27 URL-safe characters, 28 in all, like real ones.
pub(crate) fn openid() -> String {
    format!("o{}", url_safe(27))
}

/// An access token: 136 URL-safe characters (SDKs assume more than 32).
pub(crate) fn token() -> String {
    let mut t = Alphanumeric.sample_string(&mut rand::rng(), 8);
    t.push_str(&url_safe(128));
    t
}

/// A media id for a follower's image, voice or video: 64 URL-safe characters.
pub(crate) fn media_id() -> String {
    url_safe(64)
}

/// An `authorizer_refresh_token`: `refreshtoken@@@` + 64 URL-safe characters.
pub(crate) fn refresh_token() -> String {
    format!("refreshtoken@@@{}", url_safe(64))
}

/// A `component_verify_ticket`: `ticket@@@` + 86 URL-safe characters.
pub(crate) fn ticket() -> String {
    format!("ticket@@@{}", url_safe(86))
}
