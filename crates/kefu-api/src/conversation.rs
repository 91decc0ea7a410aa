//! Requests and responses of the conversation endpoints: session control,
//! chat records, customer-service messages and typing.
//!
//! Field order follows the official examples; numbers are JSON numbers.

use serde::{Deserialize, Serialize};

/// `GET kfsession/getsession` answer (`kf_account` empty without a session).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KfSessionInfo {
    /// When the session was accepted (0 without one).
    pub createtime: i64,
    /// The serving account.
    pub kf_account: String,
}

/// One item of `getsessionlist`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionItem {
    /// When the session was accepted.
    pub createtime: i64,
    /// The follower.
    pub openid: String,
}

/// `GET kfsession/getsessionlist` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionList {
    /// The account's open sessions.
    pub sessionlist: Vec<SessionItem>,
}

/// One item of `getwaitcase`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WaitCaseItem {
    /// The follower's last message.
    pub latest_time: i64,
    /// The follower.
    pub openid: String,
}

/// `GET kfsession/getwaitcase` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WaitCaseList {
    /// How many wait in all.
    pub count: i64,
    /// The earliest 100, in arrival order.
    pub waitcaselist: Vec<WaitCaseItem>,
}

/// `POST msgrecord/getmsglist` body. Missing numbers read as 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MsgListRequest {
    /// Start (unix seconds).
    #[serde(default)]
    pub starttime: i64,
    /// End (unix seconds), at most 24 hours after the start.
    #[serde(default)]
    pub endtime: i64,
    /// First message id wanted (from 1).
    #[serde(default)]
    pub msgid: i64,
    /// Records per call, 1-10000.
    #[serde(default)]
    pub number: i64,
}

/// One chat record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Record {
    /// The follower.
    pub openid: String,
    /// 2002 the kf sent, 2003 the kf received.
    pub opercode: i64,
    /// The text, or `[image]`, `[voice]`, `[video]`, ...
    pub text: String,
    /// When (unix seconds).
    pub time: i64,
    /// The kf account.
    pub worker: String,
}

/// `POST msgrecord/getmsglist` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MsgList {
    /// The records, by ascending message id.
    pub recordlist: Vec<Record>,
    /// How many records came back.
    pub number: i64,
    /// The `msgid` to pass for the next page.
    pub msgid: i64,
}

/// `POST msgrecord/getrecord` body: the retired endpoint co-wechat-api's
/// `getRecords` calls, answered in lenient mode only. Missing numbers read
/// as 0.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordPageRequest {
    /// Start (unix seconds).
    #[serde(default)]
    pub starttime: i64,
    /// End (unix seconds), at most 24 hours after the start.
    #[serde(default)]
    pub endtime: i64,
    /// The page, from 1.
    #[serde(default)]
    pub pageindex: i64,
    /// Records per page, 1-50.
    #[serde(default)]
    pub pagesize: i64,
    /// Only this follower's records, when given and not empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub openid: Option<String>,
}

/// One record of `msgrecord/getrecord`, in the retired endpoint's field
/// order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LegacyRecord {
    /// The kf account.
    pub worker: String,
    /// The follower.
    pub openid: String,
    /// 2002 the kf sent, 2003 the kf received.
    pub opercode: i64,
    /// When (unix seconds).
    pub time: i64,
    /// The text, or `[image]`, `[voice]`, `[video]`, ...
    pub text: String,
}

/// `POST msgrecord/getrecord` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LegacyRecordList {
    /// One page of records, by ascending message id.
    pub recordlist: Vec<LegacyRecord>,
}

/// `POST message/custom/typing` (and `business/typing`) body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TypingRequest {
    /// The follower.
    #[serde(default)]
    pub touser: String,
    /// `Typing` or `CancelTyping`.
    #[serde(default)]
    pub command: String,
}

/// `text`
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TextBody {
    /// The text.
    #[serde(default)]
    pub content: String,
}

/// `image`, `voice`, `mpnews`
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MediaBody {
    /// The media id.
    #[serde(default)]
    pub media_id: String,
}

/// `video`, `music`, `miniprogrampage`, `link`: every field is optional on
/// the wire; the per-type checks say which must be present.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RichBody {
    /// `video` media id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_id: Option<String>,
    /// Cover media id (`video`, `music`, `miniprogrampage`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumb_media_id: Option<String>,
    /// Title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `music` link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub musicurl: Option<String>,
    /// `music` high-quality link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hqmusicurl: Option<String>,
    /// `miniprogrampage` appid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    /// `miniprogrampage` page path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagepath: Option<String>,
    /// `link` target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `link` picture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumb_url: Option<String>,
}

/// One `news` article.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Article {
    /// Title.
    #[serde(default)]
    pub title: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Target.
    #[serde(default)]
    pub url: String,
    /// Picture.
    #[serde(default)]
    pub picurl: String,
}

/// `news`
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewsBody {
    /// At most one article.
    #[serde(default)]
    pub articles: Vec<Article>,
}

/// `mpnewsarticle`
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ArticleRef {
    /// The published article.
    #[serde(default)]
    pub article_id: String,
}

/// One `msgmenu` choice.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MenuItem {
    /// The choice's id.
    #[serde(default)]
    pub id: String,
    /// Its text.
    #[serde(default)]
    pub content: String,
}

/// `msgmenu`
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MenuBody {
    /// Text above the choices.
    #[serde(default)]
    pub head_content: String,
    /// The choices.
    #[serde(default)]
    pub list: Vec<MenuItem>,
    /// Text below the choices.
    #[serde(default)]
    pub tail_content: String,
}

/// `wxcard`
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CardBody {
    /// The card.
    #[serde(default)]
    pub card_id: String,
}

/// `customservice`: send as a named kf account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SendAs {
    /// The kf account.
    #[serde(default)]
    pub kf_account: String,
}

/// `POST cgi-bin/message/custom/send` body: `touser`, `msgtype` and the one
/// object named by `msgtype`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomMessage {
    /// The follower.
    #[serde(default)]
    pub touser: String,
    /// The message type.
    #[serde(default)]
    pub msgtype: String,
    /// `text`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<TextBody>,
    /// `image`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<MediaBody>,
    /// `voice`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<MediaBody>,
    /// `video`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video: Option<RichBody>,
    /// `music`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub music: Option<RichBody>,
    /// `news`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub news: Option<NewsBody>,
    /// `mpnews`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mpnews: Option<MediaBody>,
    /// `mpnewsarticle`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mpnewsarticle: Option<ArticleRef>,
    /// `msgmenu`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msgmenu: Option<MenuBody>,
    /// `wxcard`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wxcard: Option<CardBody>,
    /// `miniprogrampage`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub miniprogrampage: Option<RichBody>,
    /// `link` (Mini Programs)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<RichBody>,
    /// Send as this kf account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customservice: Option<SendAs>,
}

impl CustomMessage {
    /// A text message.
    pub fn text(touser: &str, content: &str) -> CustomMessage {
        CustomMessage {
            touser: touser.into(),
            msgtype: "text".into(),
            text: Some(TextBody {
                content: content.into(),
            }),
            ..CustomMessage::default()
        }
    }

    /// The object `msgtype` names, as JSON (`null` when absent or unknown).
    pub fn body_json(&self) -> serde_json::Value {
        let v = match self.msgtype.as_str() {
            "text" => serde_json::to_value(&self.text),
            "image" => serde_json::to_value(&self.image),
            "voice" => serde_json::to_value(&self.voice),
            "video" => serde_json::to_value(&self.video),
            "music" => serde_json::to_value(&self.music),
            "news" => serde_json::to_value(&self.news),
            "mpnews" => serde_json::to_value(&self.mpnews),
            "mpnewsarticle" => serde_json::to_value(&self.mpnewsarticle),
            "msgmenu" => serde_json::to_value(&self.msgmenu),
            "wxcard" => serde_json::to_value(&self.wxcard),
            "miniprogrampage" => serde_json::to_value(&self.miniprogrampage),
            "link" => serde_json::to_value(&self.link),
            _ => Ok(serde_json::Value::Null),
        };
        v.unwrap_or(serde_json::Value::Null)
    }
}
