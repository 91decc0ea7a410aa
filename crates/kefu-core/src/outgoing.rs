//! What an app may send with `message/custom/send`: the message types, which
//! account types may use each, and the per-type checks of the payload.
//!
//! Mini Programs and MiniGames send `text`, `image`, `link` and
//! `miniprogrampage`; Official and Service Accounts send every other type.
//! A type kefu does not know is 40008; a known type the account may not use
//! is 45162.

use crate::app::AccountType;
use crate::errcode::ErrCode;

/// Longest `text.content`, in UTF-8 bytes (45002 above it).
pub const MAX_TEXT_BYTES: usize = 2048;
/// Articles a `news` message may hold (45008 above it).
pub const MAX_NEWS_ARTICLES: usize = 1;

/// A `msgtype` of `message/custom/send`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsgType {
    /// `text`
    Text,
    /// `image`
    Image,
    /// `voice`
    Voice,
    /// `video`
    Video,
    /// `music`
    Music,
    /// `news` (one article)
    News,
    /// `mpnews`
    MpNews,
    /// `mpnewsarticle`
    MpNewsArticle,
    /// `msgmenu`
    MsgMenu,
    /// `wxcard`
    WxCard,
    /// `miniprogrampage`
    MiniProgramPage,
    /// `link` (Mini Programs and MiniGames)
    Link,
}

const TYPES: [(MsgType, &str); 12] = [
    (MsgType::Text, "text"),
    (MsgType::Image, "image"),
    (MsgType::Voice, "voice"),
    (MsgType::Video, "video"),
    (MsgType::Music, "music"),
    (MsgType::News, "news"),
    (MsgType::MpNews, "mpnews"),
    (MsgType::MpNewsArticle, "mpnewsarticle"),
    (MsgType::MsgMenu, "msgmenu"),
    (MsgType::WxCard, "wxcard"),
    (MsgType::MiniProgramPage, "miniprogrampage"),
    (MsgType::Link, "link"),
];

impl MsgType {
    /// Parses a `msgtype`; `None` when WeChat has no such type.
    pub fn parse(raw: &str) -> Option<MsgType> {
        TYPES.iter().find(|(_, name)| *name == raw).map(|(t, _)| *t)
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        TYPES.iter().find(|(t, _)| *t == self).map_or("", |(_, name)| name)
    }

    /// Whether an account type may send this type.
    pub fn allowed_for(self, account_type: AccountType) -> bool {
        let mini = matches!(
            self,
            MsgType::Text | MsgType::Image | MsgType::Link | MsgType::MiniProgramPage
        );
        match account_type {
            AccountType::MiniProgram | AccountType::MiniGame => mini,
            AccountType::OfficialAccount | AccountType::ServiceAccount => self != MsgType::Link,
        }
    }
}

/// The fields of the message's type object that kefu checks; a missing field
/// is empty (zero for counts).
#[derive(Debug, Clone, Copy, Default)]
pub struct Fields<'a> {
    /// `text.content`
    pub content: &'a str,
    /// `media_id` of image, voice, video, mpnews
    pub media_id: &'a str,
    /// `thumb_media_id` of music and miniprogrampage
    pub thumb_media_id: &'a str,
    /// `mpnewsarticle.article_id`
    pub article_id: &'a str,
    /// `wxcard.card_id`
    pub card_id: &'a str,
    /// `miniprogrampage.pagepath`
    pub pagepath: &'a str,
    /// `link.title`
    pub title: &'a str,
    /// `link.url`
    pub url: &'a str,
    /// `news.articles` length
    pub articles: usize,
    /// `msgmenu.list` length
    pub menu_items: usize,
}

/// Checks a message before any state is read: 40008 unknown type, 45162 a
/// type the account may not send, then the type's own fields: 44004 empty
/// text, 45002 text over [`MAX_TEXT_BYTES`], 40007 a missing media id, 44003
/// no article, 45008 too many, 47001 any other required field missing.
pub fn check(msgtype: &str, account_type: AccountType, f: &Fields<'_>) -> Result<MsgType, ErrCode> {
    let t = MsgType::parse(msgtype).ok_or(ErrCode::InvalidMessageType)?;
    if !t.allowed_for(account_type) {
        return Err(ErrCode::InvalidType);
    }
    let need = |v: &str, code: ErrCode| if v.is_empty() { Err(code) } else { Ok(()) };
    match t {
        MsgType::Text => {
            need(f.content, ErrCode::EmptyContent)?;
            if f.content.len() > MAX_TEXT_BYTES {
                return Err(ErrCode::ContentSizeOutOfLimit);
            }
        }
        MsgType::Image | MsgType::Voice | MsgType::Video | MsgType::MpNews => {
            need(f.media_id, ErrCode::InvalidMediaId)?
        }
        MsgType::Music => need(f.thumb_media_id, ErrCode::InvalidMediaId)?,
        MsgType::News if f.articles == 0 => return Err(ErrCode::EmptyNewsData),
        MsgType::News if f.articles > MAX_NEWS_ARTICLES => return Err(ErrCode::ArticleSizeOutOfLimit),
        MsgType::News => {}
        MsgType::MpNewsArticle => need(f.article_id, ErrCode::DataFormatError)?,
        MsgType::MsgMenu if f.menu_items == 0 => return Err(ErrCode::DataFormatError),
        MsgType::MsgMenu => {}
        MsgType::WxCard => need(f.card_id, ErrCode::DataFormatError)?,
        MsgType::MiniProgramPage => {
            need(f.thumb_media_id, ErrCode::InvalidMediaId)?;
            need(f.pagepath, ErrCode::DataFormatError)?
        }
        MsgType::Link => {
            need(f.title, ErrCode::DataFormatError)?;
            need(f.url, ErrCode::DataFormatError)?
        }
    }
    Ok(t)
}

/// The `text` a chat record shows for a message: the text itself, or the
/// type in brackets (`[image]`, `[voice]`, `[video]`, `[news]`, ...).
pub fn record_text(msgtype: &str, content: &str) -> String {
    if msgtype == "text" {
        content.to_owned()
    } else {
        format!("[{msgtype}]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SA: AccountType = AccountType::ServiceAccount;
    const MP: AccountType = AccountType::MiniProgram;

    fn text(content: &str) -> Fields<'_> {
        Fields {
            content,
            ..Fields::default()
        }
    }

    #[test]
    fn unknown_types_are_40008_and_foreign_ones_45162() {
        assert_eq!(check("textt", SA, &text("x")), Err(ErrCode::InvalidMessageType));
        assert_eq!(check("link", SA, &Fields::default()), Err(ErrCode::InvalidType));
        assert_eq!(check("news", MP, &Fields::default()), Err(ErrCode::InvalidType));
        assert_eq!(check("text", MP, &text("hi")), Ok(MsgType::Text));
    }

    #[test]
    fn text_must_be_present_and_at_most_2048_bytes() {
        assert_eq!(check("text", SA, &text("")), Err(ErrCode::EmptyContent));
        let max = "字".repeat(682) + "ab";
        assert_eq!(max.len(), 2048);
        assert_eq!(check("text", SA, &text(&max)), Ok(MsgType::Text));
        let over = max + "c";
        assert_eq!(check("text", SA, &text(&over)), Err(ErrCode::ContentSizeOutOfLimit));
    }

    #[test]
    fn media_and_articles_are_checked_per_type() {
        let none = Fields::default();
        for t in ["image", "voice", "video", "mpnews", "music"] {
            assert_eq!(check(t, SA, &none), Err(ErrCode::InvalidMediaId), "{t}");
        }
        assert_eq!(check("news", SA, &none), Err(ErrCode::EmptyNewsData));
        let two = Fields { articles: 2, ..none };
        assert_eq!(check("news", SA, &two), Err(ErrCode::ArticleSizeOutOfLimit));
        for t in ["mpnewsarticle", "msgmenu", "wxcard"] {
            assert_eq!(check(t, SA, &none), Err(ErrCode::DataFormatError), "{t}");
        }
        assert_eq!(check("miniprogrampage", MP, &none), Err(ErrCode::InvalidMediaId));
        assert_eq!(check("link", MP, &none), Err(ErrCode::DataFormatError));
    }

    #[test]
    fn records_show_placeholders_for_media() {
        assert_eq!(record_text("text", "hello"), "hello");
        assert_eq!(record_text("image", ""), "[image]");
        assert_eq!(record_text("voice", ""), "[voice]");
        assert_eq!(record_text("video", ""), "[video]");
    }

    #[test]
    fn every_type_round_trips() {
        for (t, name) in TYPES {
            assert_eq!(MsgType::parse(name), Some(t));
            assert_eq!(t.as_str(), name);
        }
    }
}
