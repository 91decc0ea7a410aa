//! Conformance for third-party platforms and app access rules.

use super::{app, put_app, Subject, E};
use kefu_core::ids::{AccessToken, AppId};
use kefu_core::platform::{Authorization, Component, Ticket};
use kefu_core::quota::QuotaRule;
use kefu_core::token::{TokenKind, TokenRecord};
use kefu_core::whitelist::Whitelist;
use kefu_core::Timestamp;
use kefu_store::Tx;

pub async fn apps_keep_their_whitelist_and_quotas(s: Subject) {
    let mut a = app("wx1");
    a.ip_whitelist = Whitelist::parse(&["1.2.3.4", "10.0.0.0/8"]).unwrap();
    a.quotas = vec![QuotaRule {
        path: "/customservice/kfsession/create".into(),
        daily: Some(100),
        per_minute: None,
    }];
    put_app(&*s.store, a.clone()).await;
    let got = s
        .store
        .read(|tx: &mut dyn Tx| tx.app(&AppId::new("wx1")).map_err(E::from))
        .await
        .unwrap();
    assert_eq!(got, Some(a));
}

pub async fn components_tickets_and_authorizations_round_trip(s: Subject) {
    let c = Component {
        appid: AppId::new("wxc"),
        secret: "s".repeat(32),
        ip_whitelist: Whitelist::parse(&["127.0.0.1"]).unwrap(),
        created_at: Timestamp(3),
    };
    let t = Ticket {
        component: AppId::new("wxc"),
        ticket: "ticket@@@1".into(),
        issued_at: Timestamp(4),
    };
    let mut auth = Authorization::new(
        AppId::new("wxc"),
        AppId::new("wx1"),
        vec![1, 100],
        "r1".into(),
        Timestamp(5),
    );
    auth.rotate_refresh("r2".into(), Timestamp(6));
    auth.current_token = Some(AccessToken::new("tok"));
    let other = Authorization::new(AppId::new("wxc"), AppId::new("wx2"), vec![], "r9".into(), Timestamp(7));
    let (c2, t2, a2, o2) = (c.clone(), t.clone(), auth.clone(), other.clone());
    s.store
        .write(move |tx: &mut dyn Tx| {
            tx.put_component(&c2)?;
            tx.put_ticket(&t2)?;
            tx.put_authorization(&a2)?;
            tx.put_authorization(&o2).map_err(E::from)
        })
        .await
        .unwrap();
    let got = s
        .store
        .read(|tx: &mut dyn Tx| {
            let comp = AppId::new("wxc");
            Ok::<_, E>((
                tx.component(&comp)?,
                tx.ticket("ticket@@@1")?,
                tx.authorization(&comp, &AppId::new("wx1"))?,
                tx.authorizations(&comp)?.len(),
            ))
        })
        .await
        .unwrap();
    assert_eq!(got, (Some(c), Some(t), Some(auth), 2));
    s.store
        .write(|tx: &mut dyn Tx| {
            tx.delete_authorization(&AppId::new("wxc"), &AppId::new("wx1"))
                .map_err(E::from)
        })
        .await
        .unwrap();
    let left = s
        .store
        .read(|tx: &mut dyn Tx| tx.authorizations(&AppId::new("wxc")).map_err(E::from))
        .await
        .unwrap();
    assert_eq!(left, vec![other]);
}

pub async fn authorizer_tokens_remember_their_component(s: Subject) {
    let mut rec = TokenRecord::issue(
        AccessToken::new("t".repeat(120)),
        AppId::new("wx1"),
        TokenKind::Authorizer,
        Timestamp(10),
    );
    rec.via = Some(AppId::new("wxc"));
    let stored = rec.clone();
    s.store
        .write(move |tx: &mut dyn Tx| tx.put_token(&stored, false).map_err(E::from))
        .await
        .unwrap();
    let got = s
        .store
        .read(|tx: &mut dyn Tx| tx.token(&AccessToken::new("t".repeat(120))).map_err(E::from))
        .await
        .unwrap();
    assert_eq!(got, Some(rec));
}

pub async fn a_components_latest_ticket_and_its_push_settings_are_found(s: Subject) {
    use kefu_core::callback::{CallbackConfig, Format, Mode};
    let got = s
        .store
        .write(|tx: &mut dyn Tx| {
            for id in ["wxc1", "wxc2"] {
                tx.put_component(&Component {
                    appid: AppId::new(id),
                    secret: "s".into(),
                    ip_whitelist: Whitelist::default(),
                    created_at: Timestamp(1),
                })?;
            }
            let none = tx.latest_ticket(&AppId::new("wxc1"))?;
            for (ticket, at) in [("t1", 100), ("t3", 700), ("t2", 400)] {
                tx.put_ticket(&Ticket {
                    component: AppId::new("wxc1"),
                    ticket: ticket.into(),
                    issued_at: Timestamp(at),
                })?;
            }
            let before = tx.pushed_components()?;
            // Settings of an app or of the second component: only the latter counts.
            for id in ["wx1", "wxc2"] {
                tx.put_callback(&CallbackConfig {
                    appid: AppId::new(id),
                    url: "https://dev.example/cb".into(),
                    token: "token1".into(),
                    encoding_aes_key: Some("k".repeat(43)),
                    mode: Mode::Safe,
                    format: Format::Xml,
                    updated_at: Timestamp(1),
                })?;
            }
            let latest = tx.latest_ticket(&AppId::new("wxc1"))?.map(|t| t.ticket);
            Ok::<_, E>((none, latest, before, tx.pushed_components()?))
        })
        .await
        .unwrap();
    assert_eq!(got.0, None);
    assert_eq!(got.1.as_deref(), Some("t3"));
    assert!(got.2.is_empty());
    assert_eq!(got.3, [AppId::new("wxc2")]);
}
