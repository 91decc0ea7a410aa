//! The one table of WeChat error codes kefu answers with.
//!
//! Each code appears once, with the English errmsg the platform documents (or
//! was observed to return), because SDKs match on both: EasyWeChat retries only
//! when the body holds `42001` *and* `access_token expired`. The server appends
//! ` rid: ...` to every errmsg but `ok`.

macro_rules! errcodes {
    ($($name:ident = $code:literal, $msg:literal;)+) => {
        /// A WeChat error code, with its documented errmsg.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrCode { $($name),+ }

        impl ErrCode {
            /// Every code, for tables and tests.
            pub const ALL: &'static [ErrCode] = &[$(ErrCode::$name),+];

            /// The numeric `errcode`.
            pub const fn code(self) -> i64 {
                match self { $(ErrCode::$name => $code),+ }
            }

            /// The documented `errmsg` text, without the ` rid: ...` suffix.
            pub const fn message(self) -> &'static str {
                match self { $(ErrCode::$name => $msg),+ }
            }

            /// The code with this number, when the table has it.
            pub fn from_code(code: i64) -> Option<ErrCode> {
                ErrCode::ALL.iter().copied().find(|c| c.code() == code)
            }
        }
    };
}

errcodes! {
    SystemError = -1, "system error";
    Ok = 0, "ok";
    InvalidCredential = 40001, "invalid credential, access_token is invalid or not latest";
    InvalidGrantType = 40002, "invalid grant_type";
    InvalidOpenId = 40003, "invalid openid";
    InvalidFileType = 40005, "invalid file type";
    InvalidMediaId = 40007, "invalid media_id";
    InvalidMessageType = 40008, "invalid message type";
    InvalidAppId = 40013, "invalid appid";
    InvalidAccessToken = 40014, "invalid access_token";
    InvalidUrl = 40066, "invalid url";
    InvalidAppSecret = 40125, "invalid appsecret";
    InvalidIp = 40164, "invalid ip, not in whitelist";
    AccessTokenMissing = 41001, "access_token missing";
    AppIdMissing = 41002, "appid missing";
    AppSecretMissing = 41004, "appsecret missing";
    ComponentAppIdMissing = 41018, "missing component_appid";
    MediaDataMissing = 41005, "media data missing";
    AccessTokenExpired = 42001, "access_token expired";
    RequirePost = 43002, "require POST method";
    RequireSubscribe = 43004, "require subscribe";
    EmptyPostData = 44002, "empty post data";
    EmptyNewsData = 44003, "empty news data";
    EmptyContent = 44004, "empty content";
    ContentSizeOutOfLimit = 45002, "content size out of limit";
    ArticleSizeOutOfLimit = 45008, "article size out of limit";
    DailyQuota = 45009, "reach max api daily quota limit";
    MinuteQuota = 45011, "api minute-quota reach limit, must slower, retry next minute";
    OutOfTimeLimit = 45015, "response out of time limit or subscription is canceled";
    OutOfResponseCount = 45047, "out of response count limit";
    InvalidCommand = 45072, "invalid command";
    NoRecentContact = 45080, "need sending message to user";
    AlreadyTyping = 45081, "已经在输入状态,不可重复下发 ";
    InvalidType = 45162, "invalid type";
    DataFormatError = 47001, "data format error";
    ApiUnauthorized = 48001, "api unauthorized";
    ClearQuotaLimit = 48006, "forbid to clear quota because of reaching the limit";
    ComponentNotAuthorized = 61003, "component is not authorized by this account";
    ClientIpNotRegistered = 61004, "access clientip is not registered";
    ComponentTicketExpired = 61005, "component ticket is expired";
    ComponentTicketInvalid = 61006, "component ticket is invalid";
    ApiUnauthorizedToComponent = 61007, "api is unauthorized to component";
    InvalidComponent = 61011, "invalid component";
    RefreshTokenInvalid = 61023, "refresh_token is invalid";
    KfNotEnabled = 65400, "please enable new custom service or wait for a while if you have enabled";
    InvalidKfAccount = 65401, "invalid custom service account";
    KfNotBound = 65402, "the custom service account need to bind a wechat user";
    IllegalNickname = 65403, "illegal nickname";
    IllegalKfAccount = 65404, "illegal custom service account";
    KfAccountLimit = 65405, "custom service account number reach limit";
    KfAccountExists = 65406, "custom service account exists";
    AlreadyWorker = 65407, "the wechat user have been one of your workers";
    AlreadyInvited = 65408, "you have already invited the wechat user";
    InvalidWechatAccount = 65409, "wechat account invalid";
    TooManyBindings = 65410, "too many custom service accounts bound by the worker";
    InvitationPending = 65411, "a effective invitation to bind the custom service account exists";
    AlreadyBound = 65412, "the custom service account have been bound by a wechat user";
    NoSession = 65413, "no effective session for the customer";
    ServedByAnother = 65414, "another worker is serving the customer";
    WorkerOffline = 65415, "the worker is not online";
    ParamInvalid = 65416, "param invalid, please check";
    TimeRangeTooLong = 65417, "it is too long from the starttime to endtime";
}

#[cfg(test)]
mod tests {
    use super::ErrCode;
    use std::collections::HashSet;

    #[test]
    fn codes_and_messages_are_unique_and_non_empty() {
        let codes: HashSet<i64> = ErrCode::ALL.iter().map(|c| c.code()).collect();
        let msgs: HashSet<&str> = ErrCode::ALL.iter().map(|c| c.message()).collect();
        assert_eq!(codes.len(), ErrCode::ALL.len());
        assert_eq!(msgs.len(), ErrCode::ALL.len());
        assert!(ErrCode::ALL.iter().all(|c| !c.message().is_empty()));
    }

    #[test]
    fn documented_texts_that_sdks_match_on_are_exact() {
        assert_eq!(ErrCode::AccessTokenExpired.message(), "access_token expired");
        assert_eq!(ErrCode::InvalidCredential.code(), 40001);
        assert_eq!(
            ErrCode::InvitationPending.message(),
            "a effective invitation to bind the custom service account exists"
        );
    }
}
