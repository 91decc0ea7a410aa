//! What every client command shares, kept in a leaf so that the command
//! families and the dispatch in `cli` all use it without importing each
//! other: printing an answer as JSON on stdout, and turning a failed call
//! into an error that names where it was aimed (the server, the app, the kf
//! account, the component).
//!
//! A refusal by the control API is kept as the server worded it
//! (`control error 409 queue_empty: nobody is waiting`): it names the rule
//! that refused, and scripts match that line.

use anyhow::Context;
use kefu_client::ClientError;
use serde::Serialize;

/// Prints `value` as pretty JSON on stdout.
pub(crate) fn print<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value).context("cannot print the answer as JSON")?;
    println!("{text}");
    Ok(())
}

/// Where a command is aimed, named in its errors.
#[derive(Debug)]
pub(crate) struct Scope<'a> {
    /// The server's base URL.
    server: &'a str,
    /// What the command is about, outermost first: (`app`, `wx123`), ...
    about: Vec<(&'static str, &'a str)>,
}

impl<'a> Scope<'a> {
    /// A command against `server`.
    pub(crate) fn new(server: &'a str) -> Self {
        Scope {
            server,
            about: Vec::new(),
        }
    }

    /// ... about the app `appid`.
    pub(crate) fn app(self, appid: &'a str) -> Self {
        self.about("app", appid)
    }

    /// ... about the kf account `account`.
    pub(crate) fn kf(self, account: &'a str) -> Self {
        self.about("kf account", account)
    }

    /// ... about the third-party platform `appid`.
    pub(crate) fn component(self, appid: &'a str) -> Self {
        self.about("component", appid)
    }

    fn about(mut self, what: &'static str, name: &'a str) -> Self {
        self.about.push((what, name));
        self
    }

    /// The call's answer, or its failure explained.
    pub(crate) fn check<T>(&self, answer: Result<T, ClientError>) -> anyhow::Result<T> {
        answer.map_err(|e| self.explain(e))
    }

    /// Prints the call's answer as JSON, or explains its failure.
    pub(crate) fn show<T: Serialize>(&self, answer: Result<T, ClientError>) -> anyhow::Result<()> {
        print(&self.check(answer)?)
    }

    /// `error`, with what it was about (unless the control API refused the
    /// call in its own words) and, when the server could not be reached or
    /// answered nonsense, where the server is.
    fn explain(&self, error: ClientError) -> anyhow::Error {
        let server = self.server;
        let error = match error {
            ClientError::Control { .. } => return error.into(),
            // The cause alone: its chain already says what failed, once.
            ClientError::Transport(cause) if cause.is_connect() => {
                anyhow::Error::new(cause).context(format!("cannot connect to {server} (is `kefu serve` running?)"))
            }
            ClientError::Transport(cause) => anyhow::Error::new(cause).context(format!("cannot reach {server}")),
            ClientError::Decode(_) => anyhow::Error::new(error).context(format!("unexpected answer from {server}")),
            ClientError::Api { .. } => anyhow::Error::new(error),
        };
        match self.subject() {
            Some(subject) => error.context(subject),
            None => error,
        }
    }

    /// `app wx123, kf account a@b`, or nothing for a server-wide command.
    fn subject(&self) -> Option<String> {
        let parts: Vec<String> = self.about.iter().map(|(what, name)| format!("{what} {name}")).collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(scope: &Scope<'_>, error: ClientError) -> String {
        format!("{:#}", scope.check::<()>(Err(error)).unwrap_err())
    }

    #[test]
    fn a_refusal_is_kept_as_the_server_worded_it() {
        let refusal = ClientError::Control {
            status: 409,
            error: "queue_empty".into(),
            message: "nobody is waiting".into(),
        };
        let scope = Scope::new("http://127.0.0.1:8080").app("wx123").kf("a@b");
        assert_eq!(
            shown(&scope, refusal),
            "control error 409 queue_empty: nobody is waiting"
        );
    }

    #[test]
    fn other_failures_name_the_app_the_account_and_the_server() {
        let scope = Scope::new("http://127.0.0.1:8080").app("wx123").kf("a@b");
        assert_eq!(
            shown(&scope, ClientError::Decode("expected value".into())),
            "app wx123, kf account a@b: unexpected answer from http://127.0.0.1:8080: \
             unexpected response body: expected value"
        );
        let api = ClientError::Api {
            errcode: 40125,
            errmsg: "invalid appsecret".into(),
        };
        assert_eq!(
            shown(&Scope::new("http://h").component("wxc").app("wx1"), api),
            "component wxc, app wx1: api error 40125: invalid appsecret"
        );
        assert_eq!(
            shown(&Scope::new("http://h"), ClientError::Decode("x".into())),
            "unexpected answer from http://h: unexpected response body: x"
        );
    }
}
