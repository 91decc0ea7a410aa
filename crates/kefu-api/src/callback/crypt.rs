//! The cryptography of WeChat's message push: the SHA-1 signatures that
//! prove a request knows the token, and the AES-256-CBC envelope of safe and
//! compatible mode, so that kefu can seal what it pushes and a receiver can
//! check and open it exactly as WeChat's own servers and sample code do.
//!
//! The sealed plaintext is `random(16) + msg_len(4, big-endian) + msg + appid`,
//! padded PKCS#7-style to a multiple of 32 bytes, encrypted with AES-256-CBC
//! under the key decoded from the 43-character EncodingAESKey (the IV is the
//! key's first 16 bytes) and sent as standard base64. The `cbc` crate chains
//! the blocks; the 32-byte padding is WeChat's own, so it is added and
//! checked here rather than by the cipher.

use std::fmt;

use aes::cipher::generic_array::GenericArray;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use aes::Aes256;
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::Engine;
use sha1::{Digest, Sha1};

/// Length of an EncodingAESKey in characters.
const KEY_CHARS: usize = 43;
/// The block size of WeChat's PKCS#7 padding (not AES's 16).
const PAD_BLOCK: usize = 32;
/// AES block size.
const AES_BLOCK: usize = 16;
/// Bytes before the message: 16 random bytes and the 4-byte length.
const HEADER: usize = 20;

/// Decodes an EncodingAESKey: WeChat's keys are random characters, so the
/// last one may carry non-zero bits past the 32 bytes.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
);

/// The URL signature of a push (and of the server-check GET):
/// lowercase hex SHA-1 of the three values sorted and concatenated.
pub fn signature(token: &str, timestamp: &str, nonce: &str) -> String {
    sorted_sha1(&mut [token, timestamp, nonce])
}

/// `msg_signature` of an encrypted push or reply: like [`signature`] with
/// the `Encrypt` value as a fourth part.
pub fn msg_signature(token: &str, timestamp: &str, nonce: &str, encrypt: &str) -> String {
    sorted_sha1(&mut [token, timestamp, nonce, encrypt])
}

/// SHA-1 over the parts in byte-wise order, as lowercase hex.
fn sorted_sha1(parts: &mut [&str]) -> String {
    parts.sort_unstable();
    let mut hasher = Sha1::new();
    for part in parts.iter() {
        hasher.update(part.as_bytes());
    }
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The 32-byte AES key of an EncodingAESKey; its `Debug` hides the bytes.
#[derive(Clone)]
pub struct AesKey([u8; 32]);

impl AesKey {
    /// Checks and decodes a 43-character EncodingAESKey
    /// (`base64_decode(key + "=")`).
    pub fn parse(encoding_aes_key: &str) -> Result<AesKey, KeyError> {
        if encoding_aes_key.chars().count() != KEY_CHARS {
            return Err(KeyError::Length);
        }
        if !encoding_aes_key.bytes().all(is_base64_char) {
            return Err(KeyError::Alphabet);
        }
        let bytes = LENIENT
            .decode(format!("{encoding_aes_key}="))
            .map_err(|_| KeyError::Alphabet)?;
        let key = <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| KeyError::Length)?;
        Ok(AesKey(key))
    }

    /// The CBC initialisation vector: the key's first 16 bytes.
    fn iv(&self) -> &[u8] {
        &self.0[..AES_BLOCK]
    }

    /// A CBC encryptor under this key and its IV.
    fn encryptor(&self) -> cbc::Encryptor<Aes256> {
        cbc::Encryptor::new(GenericArray::from_slice(&self.0), GenericArray::from_slice(self.iv()))
    }

    /// A CBC decryptor under this key and its IV.
    fn decryptor(&self) -> cbc::Decryptor<Aes256> {
        cbc::Decryptor::new(GenericArray::from_slice(&self.0), GenericArray::from_slice(self.iv()))
    }
}

impl fmt::Debug for AesKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AesKey(..)")
    }
}

/// One of `A-Z a-z 0-9 + /`.
fn is_base64_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

/// Why an EncodingAESKey was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyError {
    /// Not exactly 43 characters.
    Length,
    /// A character outside `A-Z a-z 0-9 + /`.
    Alphabet,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyError::Length => "EncodingAESKey must be 43 characters",
            KeyError::Alphabet => "EncodingAESKey must use only the characters A-Z, a-z, 0-9, + and /",
        })
    }
}

impl std::error::Error for KeyError {}

/// Seals `msg` for `appid` with the given 16 random bytes: the `Encrypt`
/// value, standard base64 with padding.
///
/// # Panics
/// If `msg` is 4 GiB or longer (its length must fit the 4-byte field).
pub fn encrypt(key: &AesKey, random: [u8; 16], msg: &[u8], appid: &str) -> String {
    let len = u32::try_from(msg.len()).expect("a pushed message is under 4 GiB");
    let mut data = Vec::with_capacity(HEADER + msg.len() + appid.len() + PAD_BLOCK);
    data.extend_from_slice(&random);
    data.extend_from_slice(&len.to_be_bytes());
    data.extend_from_slice(msg);
    data.extend_from_slice(appid.as_bytes());
    pad(&mut data);
    cbc_encrypt(key, &mut data);
    STANDARD.encode(data)
}

/// What an `Encrypt` value holds once opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// The sender's 16 random bytes.
    pub random: [u8; 16],
    /// The message: the XML or JSON body.
    pub msg: Vec<u8>,
    /// The appid the sender sealed it for.
    pub appid: String,
}

/// Opens an `Encrypt` value without judging its appid.
pub fn decrypt(key: &AesKey, encrypt: &str) -> Result<Opened, CryptError> {
    let mut data = STANDARD.decode(encrypt).map_err(|_| CryptError::Base64)?;
    if data.is_empty() || data.len() % AES_BLOCK != 0 {
        return Err(CryptError::Length);
    }
    cbc_decrypt(key, &mut data);
    unpad(&mut data)?;
    split(&data)
}

/// Opens an `Encrypt` value and checks it was sealed for `appid`: the message.
pub fn open(key: &AesKey, encrypt: &str, appid: &str) -> Result<Vec<u8>, CryptError> {
    let opened = decrypt(key, encrypt)?;
    if opened.appid != appid {
        return Err(CryptError::AppId);
    }
    Ok(opened.msg)
}

/// Why an `Encrypt` value could not be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CryptError {
    /// Not standard base64.
    Base64,
    /// Empty, or not a whole number of AES blocks.
    Length,
    /// The padding byte is outside 1..=32 (wrong key, or damaged).
    Padding,
    /// The length field points past the end, or the appid is not UTF-8.
    Layout,
    /// Sealed for another appid.
    AppId,
}

impl fmt::Display for CryptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CryptError::Base64 => "Encrypt is not valid base64",
            CryptError::Length => "Encrypt is not a whole number of AES blocks",
            CryptError::Padding => "Encrypt has invalid padding (wrong EncodingAESKey?)",
            CryptError::Layout => "Encrypt does not hold random, length, message and appid",
            CryptError::AppId => "Encrypt was sealed for another appid",
        })
    }
}

impl std::error::Error for CryptError {}

/// Appends `32 - len % 32` bytes of that value (1..=32).
fn pad(data: &mut Vec<u8>) {
    let n = PAD_BLOCK - data.len() % PAD_BLOCK;
    data.resize(data.len() + n, n as u8);
}

/// Drops the padding the last byte announces; only that byte is judged, as
/// WeChat's own receivers do.
fn unpad(data: &mut Vec<u8>) -> Result<(), CryptError> {
    let n = usize::from(data.last().copied().unwrap_or(0));
    if !(1..=PAD_BLOCK).contains(&n) || n > data.len() {
        return Err(CryptError::Padding);
    }
    data.truncate(data.len() - n);
    Ok(())
}

/// Splits unpadded plaintext into random, message and appid.
fn split(data: &[u8]) -> Result<Opened, CryptError> {
    if data.len() < HEADER {
        return Err(CryptError::Layout);
    }
    let mut random = [0; 16];
    random.copy_from_slice(&data[..16]);
    let len = u32::from_be_bytes([data[16], data[17], data[18], data[19]]) as usize;
    let rest = &data[HEADER..];
    if len > rest.len() {
        return Err(CryptError::Layout);
    }
    let (msg, appid) = rest.split_at(len);
    let appid = String::from_utf8(appid.to_vec()).map_err(|_| CryptError::Layout)?;
    Ok(Opened {
        random,
        msg: msg.to_vec(),
        appid,
    })
}

/// AES-256-CBC encryption in place, without padding (the caller pads);
/// `data` is a whole number of blocks.
fn cbc_encrypt(key: &AesKey, data: &mut [u8]) {
    let mut cipher = key.encryptor();
    for block in data.chunks_exact_mut(AES_BLOCK) {
        cipher.encrypt_block_mut(GenericArray::from_mut_slice(block));
    }
}

/// AES-256-CBC decryption in place, leaving the padding for the caller;
/// `data` is a whole number of blocks.
fn cbc_decrypt(key: &AesKey, data: &mut [u8]) {
    let mut cipher = key.decryptor();
    for block in data.chunks_exact_mut(AES_BLOCK) {
        cipher.decrypt_block_mut(GenericArray::from_mut_slice(block));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> AesKey {
        AesKey::parse(&"A".repeat(43)).unwrap()
    }

    /// Encrypts raw plaintext (already a whole number of blocks), unpadded.
    fn seal_raw(mut data: Vec<u8>) -> String {
        cbc_encrypt(&key(), &mut data);
        STANDARD.encode(data)
    }

    #[test]
    fn a_full_block_gets_a_full_pad() {
        // 20 header bytes + 7 message bytes + 5 appid bytes = 32.
        let sealed = encrypt(&key(), [7; 16], b"message", "wx123");
        let mut data = STANDARD.decode(&sealed).unwrap();
        assert_eq!(data.len(), 64);
        cbc_decrypt(&key(), &mut data);
        assert!(data[32..].iter().all(|&b| b == 32));
        let opened = decrypt(&key(), &sealed).unwrap();
        assert_eq!(
            (opened.msg.as_slice(), opened.appid.as_str()),
            (&b"message"[..], "wx123")
        );
    }

    #[test]
    fn every_length_round_trips() {
        for n in 0..70 {
            let msg = vec![b'x'; n];
            let sealed = encrypt(&key(), [1; 16], &msg, "wxapp");
            assert_eq!(open(&key(), &sealed, "wxapp").unwrap(), msg);
        }
    }

    #[test]
    fn pad_zero_and_thirty_three_are_refused() {
        for last in [0u8, 33] {
            let mut data = vec![0u8; 64];
            data[63] = last;
            assert_eq!(decrypt(&key(), &seal_raw(data)), Err(CryptError::Padding));
        }
    }

    #[test]
    fn a_length_past_the_end_is_refused() {
        let mut data = vec![0u8; 64];
        data[16..20].copy_from_slice(&100u32.to_be_bytes());
        data[63] = 4;
        assert_eq!(decrypt(&key(), &seal_raw(data)), Err(CryptError::Layout));
        let mut short = vec![0u8; 32];
        short[31] = 16;
        assert_eq!(decrypt(&key(), &seal_raw(short)), Err(CryptError::Layout));
    }

    #[test]
    fn bad_base64_and_lengths_are_refused() {
        assert_eq!(decrypt(&key(), "not base64!"), Err(CryptError::Base64));
        assert_eq!(decrypt(&key(), ""), Err(CryptError::Length));
        assert_eq!(decrypt(&key(), &STANDARD.encode([0u8; 20])), Err(CryptError::Length));
    }

    #[test]
    fn debug_hides_the_key() {
        assert_eq!(format!("{:?}", key()), "AesKey(..)");
    }
}
