//! The conversation endpoints on [`Client`]: session control, chat records,
//! customer-service messages and typing.

use crate::{Client, ClientError};
use kefu_api::conversation as v;
use kefu_api::wechat as w;

impl Client {
    /// `POST /customservice/kfsession/close`.
    pub async fn close_session(&self, kf_account: &str, openid: &str) -> Result<w::Status, ClientError> {
        let body = w::KfSessionRequest {
            kf_account: kf_account.into(),
            openid: openid.into(),
        };
        self.post("/customservice/kfsession/close", &body).await
    }

    /// `GET /customservice/kfsession/getsession?openid=`.
    pub async fn get_session(&self, openid: &str) -> Result<v::KfSessionInfo, ClientError> {
        self.get("/customservice/kfsession/getsession", &[("openid", openid)])
            .await
    }

    /// `GET /customservice/kfsession/getsessionlist?kf_account=`.
    pub async fn get_session_list(&self, kf_account: &str) -> Result<v::SessionList, ClientError> {
        self.get("/customservice/kfsession/getsessionlist", &[("kf_account", kf_account)])
            .await
    }

    /// `GET /customservice/kfsession/getwaitcase`.
    pub async fn get_wait_case(&self) -> Result<v::WaitCaseList, ClientError> {
        self.get("/customservice/kfsession/getwaitcase", &[]).await
    }

    /// `POST /customservice/msgrecord/getmsglist`: one page.
    pub async fn get_msg_list(&self, req: &v::MsgListRequest) -> Result<v::MsgList, ClientError> {
        self.post("/customservice/msgrecord/getmsglist", req).await
    }

    /// Every chat record between `starttime` and `endtime`, paging with the
    /// returned `msgid` until a page comes back short.
    pub async fn all_records(&self, starttime: i64, endtime: i64) -> Result<Vec<v::Record>, ClientError> {
        let mut req = v::MsgListRequest {
            starttime,
            endtime,
            msgid: 1,
            number: 10_000,
        };
        let mut all = Vec::new();
        loop {
            let page = self.get_msg_list(&req).await?;
            let full = page.number == req.number;
            all.extend(page.recordlist);
            if !full {
                return Ok(all);
            }
            req.msgid = page.msgid;
        }
    }

    /// `POST /cgi-bin/message/custom/send`.
    pub async fn send_message(&self, msg: &v::CustomMessage) -> Result<w::Status, ClientError> {
        self.post("/cgi-bin/message/custom/send", msg).await
    }

    /// `POST /cgi-bin/message/custom/typing` (`Typing` or `CancelTyping`).
    pub async fn typing(&self, touser: &str, command: &str) -> Result<w::Status, ClientError> {
        let body = v::TypingRequest {
            touser: touser.into(),
            command: command.into(),
        };
        self.post("/cgi-bin/message/custom/typing", &body).await
    }
}
