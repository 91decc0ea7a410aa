//! The developer's push settings (服务器配置): where WeChat calls the
//! developer's server, how it signs, whether it encrypts, and in which format.
//!
//! Only the shape of each setting is decided here; the verification
//! handshake that proves the URL answers is the server's job.

use crate::app::AccountType;
use crate::ids::{AppId, Timestamp};

/// How pushes are protected (消息加解密方式).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// 明文: the body in clear, signed in the URL.
    Plaintext,
    /// 兼容: the clear fields and the ciphertext side by side.
    Compatible,
    /// 安全: the ciphertext only; the developer's replies must be encrypted.
    Safe,
}

impl Mode {
    /// The control API's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Plaintext => "plaintext",
            Mode::Compatible => "compatible",
            Mode::Safe => "safe",
        }
    }

    /// Parses a control-API name.
    pub fn parse(s: &str) -> Option<Mode> {
        [Mode::Plaintext, Mode::Compatible, Mode::Safe]
            .into_iter()
            .find(|m| m.as_str() == s)
    }

    /// Whether pushes carry a ciphertext (`encrypt_type=aes`).
    pub fn encrypts(self) -> bool {
        self != Mode::Plaintext
    }
}

/// The data format of pushes and replies (数据格式).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// XML, every account's default.
    Xml,
    /// JSON, which only Mini Programs and MiniGames may choose.
    Json,
}

impl Format {
    /// The control API's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Xml => "xml",
            Format::Json => "json",
        }
    }

    /// Parses a control-API name.
    pub fn parse(s: &str) -> Option<Format> {
        [Format::Xml, Format::Json].into_iter().find(|f| f.as_str() == s)
    }
}

/// One app's push settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackConfig {
    /// The app (or third-party platform) pushed for.
    pub appid: AppId,
    /// The developer's server, `http://` or `https://`.
    pub url: String,
    /// The Token both sides sign with.
    pub token: String,
    /// The EncodingAESKey (43 characters), needed unless in plaintext mode.
    pub encoding_aes_key: Option<String>,
    /// Plaintext, compatible or safe.
    pub mode: Mode,
    /// XML or JSON.
    pub format: Format,
    /// When the settings were saved.
    pub updated_at: Timestamp,
}

/// Why push settings are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The URL is not an absolute `http://` or `https://` address.
    #[error("url must start with http:// or https:// and name a host")]
    Url,
    /// The Token is not 3-32 letters or digits.
    #[error("token must be 3-32 letters or digits")]
    Token,
    /// The EncodingAESKey is not 43 letters or digits.
    #[error("encoding_aes_key must be 43 letters or digits")]
    AesKey,
    /// Compatible and safe mode need an EncodingAESKey.
    #[error("compatible and safe mode need an encoding_aes_key")]
    AesKeyMissing,
    /// JSON is offered to Mini Programs and MiniGames only.
    #[error("json format is for mini programs and mini games only")]
    Format,
}

/// Checks settings as WeChat's configuration page does.
pub fn check(config: &CallbackConfig, account_type: Option<AccountType>) -> Result<(), ConfigError> {
    let rest = config
        .url
        .strip_prefix("http://")
        .or_else(|| config.url.strip_prefix("https://"))
        .ok_or(ConfigError::Url)?;
    if rest.is_empty() || rest.starts_with('/') || config.url.chars().any(char::is_whitespace) {
        return Err(ConfigError::Url);
    }
    let token_ok = (3..=32).contains(&config.token.len()) && config.token.bytes().all(|b| b.is_ascii_alphanumeric());
    if !token_ok {
        return Err(ConfigError::Token);
    }
    match &config.encoding_aes_key {
        Some(k) if k.len() != 43 || !k.bytes().all(|b| b.is_ascii_alphanumeric()) => return Err(ConfigError::AesKey),
        None if config.mode.encrypts() => return Err(ConfigError::AesKeyMissing),
        _ => {}
    }
    let json_ok = matches!(account_type, Some(AccountType::MiniProgram | AccountType::MiniGame));
    if config.format == Format::Json && !json_ok {
        return Err(ConfigError::Format);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str, token: &str, key: Option<&str>, mode: Mode, format: Format) -> CallbackConfig {
        CallbackConfig {
            appid: AppId::new("wx1"),
            url: url.into(),
            token: token.into(),
            encoding_aes_key: key.map(Into::into),
            mode,
            format,
            updated_at: Timestamp(0),
        }
    }

    #[test]
    fn settings_are_checked_like_the_configuration_page() {
        let key = "A".repeat(43);
        let oa = Some(AccountType::ServiceAccount);
        let ok = |c: &CallbackConfig, t| check(c, t);
        assert_eq!(
            ok(&config("http://x/cb", "tok", None, Mode::Plaintext, Format::Xml), oa),
            Ok(())
        );
        assert_eq!(
            ok(&config("ftp://x", "tok", None, Mode::Plaintext, Format::Xml), oa),
            Err(ConfigError::Url)
        );
        assert_eq!(
            ok(&config("https://", "tok", None, Mode::Plaintext, Format::Xml), oa),
            Err(ConfigError::Url)
        );
        assert_eq!(
            ok(&config("http://x", "to", None, Mode::Plaintext, Format::Xml), oa),
            Err(ConfigError::Token)
        );
        assert_eq!(
            ok(&config("http://x", "t-k", None, Mode::Plaintext, Format::Xml), oa),
            Err(ConfigError::Token)
        );
        assert_eq!(
            ok(&config("http://x", "tok", None, Mode::Safe, Format::Xml), oa),
            Err(ConfigError::AesKeyMissing)
        );
        let short = &key[..42];
        let bad = config("http://x", "tok", Some(short), Mode::Safe, Format::Xml);
        assert_eq!(ok(&bad, oa), Err(ConfigError::AesKey));
        let safe = config("http://x", "tok", Some(&key), Mode::Safe, Format::Json);
        assert_eq!(ok(&safe, oa), Err(ConfigError::Format));
        assert_eq!(ok(&safe, Some(AccountType::MiniProgram)), Ok(()));
    }

    #[test]
    fn names_round_trip() {
        for m in [Mode::Plaintext, Mode::Compatible, Mode::Safe] {
            assert_eq!(Mode::parse(m.as_str()), Some(m));
        }
        assert_eq!(Format::parse("json"), Some(Format::Json));
        assert_eq!(Format::parse("yaml"), None);
    }
}
