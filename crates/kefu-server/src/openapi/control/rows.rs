//! Every control operation, in the order of `control::ROUTES`, by area.

use super::row::{openapi_document, row, state_document, Row};
use crate::openapi::{json, list, q_number, q_text};
use kefu_api::{control as c, control_push as cp, platform as p, snapshot as sn, traffic as t};
use utoipa::openapi::HttpMethod::{Delete, Get, Patch, Post, Put};

/// Every control operation.
pub(super) fn rows() -> Vec<Row> {
    let mut all = app_rows();
    all.extend(platform_rows());
    all.extend(traffic_rows());
    all
}

/// Apps, the human side of their conversations, their push settings.
fn app_rows() -> Vec<Row> {
    let apps = "/_kefu/apps";
    let app = "/_kefu/apps/{appid}";
    let fan_messages = "/_kefu/apps/{appid}/fans/{openid}/messages";
    let (app_cb, app_log) = ("/_kefu/apps/{appid}/callback", "/_kefu/apps/{appid}/deliveries");
    let before = q_number("before", "Only entries older than this id.");
    let limit = q_number("limit", "At most this many entries.");
    vec![
        row(Get, apps, "List the apps").ok(list::<c::AppInfo>).errors(&[500]),
        row(Post, apps, "Create an app")
            .body(json::<c::CreateApp>)
            .created(json::<c::AppInfo>)
            .errors(&[400, 409, 500]),
        row(Get, app, "An app's state (each list cut at `limit`)")
            .query(q_number(
                "limit",
                "At most this many entries per list, 1-10000 (default 1000).",
            ))
            .ok(json::<c::AppState>)
            .errors(&[400, 404, 500]),
        row(Patch, app, "Change an app's settings")
            .body(json::<c::PatchApp>)
            .ok(json::<c::AppInfo>)
            .errors(&[400, 404, 500]),
        row(
            Get,
            "/_kefu/apps/{appid}/fans",
            "A page of the app's followers, in openid order",
        )
        .query(q_text(
            "after",
            "Only followers whose openid sorts after this one (the last page's `next`).",
        ))
        .query(q_number(
            "limit",
            "At most this many followers, 1-10000 (default 1000).",
        ))
        .ok(json::<c::FanPage>)
        .errors(&[400, 404, 500]),
        row(
            Post,
            "/_kefu/apps/{appid}/fans",
            "A user follows the app (or becomes a visitor)",
        )
        .body(json::<c::Follow>)
        .ok(json::<c::Followed>)
        .errors(&[400, 404, 409, 500]),
        row(
            Get,
            "/_kefu/apps/{appid}/fans/{openid}",
            "One follower: windows and typing",
        )
        .ok(json::<c::FanState>)
        .errors(&[404, 500]),
        row(Post, "/_kefu/apps/{appid}/fans/{openid}/events", "A follower's event")
            .body(json::<c::FollowerEvent>)
            .ok(json::<c::FanState>)
            .errors(&[400, 404, 409, 500]),
        row(Get, fan_messages, "A follower's messages, both ways")
            .query(q_number("from", "The first message id wanted (default 1)."))
            .ok(list::<c::MessageState>)
            .errors(&[404, 500]),
        row(Post, fan_messages, "The follower writes to the app")
            .body(json::<c::FollowerMessage>)
            .ok(json::<c::Sent>)
            .errors(&[400, 404, 409, 500]),
        row(
            Post,
            "/_kefu/apps/{appid}/waitcase",
            "Put a follower in the waiting queue",
        )
        .body(json::<c::Enqueue>)
        .ok(json::<c::WaitState>)
        .errors(&[400, 404, 409, 500]),
        row(
            Post,
            "/_kefu/apps/{appid}/kf/{kf_account}/accept",
            "The worker accepts a waiting follower",
        )
        .body(json::<c::Accept>)
        .ok(json::<c::SessionState>)
        .errors(&[400, 404, 409, 500]),
        row(
            Post,
            "/_kefu/apps/{appid}/kf/{kf_account}/messages",
            "The worker replies",
        )
        .body(json::<c::WorkerMessage>)
        .ok(json::<c::Sent>)
        .errors(&[400, 404, 409, 500]),
        row(
            Post,
            "/_kefu/apps/{appid}/kf/{kf_account}/transfer",
            "The worker hands a session over",
        )
        .body(json::<c::Transfer>)
        .ok(json::<c::SessionState>)
        .errors(&[400, 404, 409, 500]),
        row(
            Post,
            "/_kefu/apps/{appid}/kf/{kf_account}/close",
            "The worker closes a session",
        )
        .body(json::<c::CloseSession>)
        .errors(&[400, 404, 409, 500]),
        row(
            Post,
            "/_kefu/apps/{appid}/kf/{kf_account}/invitation/accept",
            "The invited user accepts",
        )
        .ok(json::<c::KfState>)
        .errors(&[404, 409, 500]),
        row(
            Post,
            "/_kefu/apps/{appid}/kf/{kf_account}/invitation/reject",
            "The invited user rejects",
        )
        .ok(json::<c::KfState>)
        .errors(&[404, 409, 500]),
        row(
            Put,
            "/_kefu/apps/{appid}/kf/{kf_account}/status",
            "The worker goes online or offline",
        )
        .body(json::<c::WorkerStatus>)
        .ok(json::<c::KfState>)
        .errors(&[400, 404, 409, 500]),
        row(Get, app_cb, "The app's push settings and outbox")
            .ok(json::<cp::CallbackState>)
            .errors(&[404, 500]),
        row(Put, app_cb, "Set the app's push settings (after the URL handshake)")
            .body(json::<cp::CallbackSettings>)
            .ok(json::<cp::CallbackState>)
            .errors(&[400, 404, 422, 500]),
        row(Delete, app_cb, "Remove the app's push settings").errors(&[404, 500]),
        row(Get, app_log, "The app's delivery log, newest first")
            .query(before)
            .query(limit)
            .ok(list::<cp::DeliveryState>)
            .errors(&[404, 500]),
    ]
}

/// WeChat users, third-party platforms, the clock, reset, export, import
/// and snapshots.
fn platform_rows() -> Vec<Row> {
    let (cmp_cb, cmp_log) = (
        "/_kefu/components/{component_appid}/callback",
        "/_kefu/components/{component_appid}/deliveries",
    );
    let before = q_number("before", "Only entries older than this id.");
    let limit = q_number("limit", "At most this many entries.");
    vec![
        row(Put, "/_kefu/wechat-users/{wx}", "Say whether a WeChat ID exists")
            .body(json::<c::WechatUser>)
            .ok(json::<c::WechatUser>)
            .errors(&[400, 500]),
        row(Post, "/_kefu/components", "Create a third-party platform")
            .body(json::<p::CreateComponent>)
            .created(json::<p::ComponentInfo>)
            .errors(&[400, 409, 500]),
        row(
            Get,
            "/_kefu/components/{component_appid}",
            "A platform and its authorizations",
        )
        .ok(json::<p::ComponentState>)
        .errors(&[404, 500]),
        row(
            Post,
            "/_kefu/components/{component_appid}/ticket",
            "Push a fresh verify ticket now",
        )
        .ok(json::<p::TicketInfo>)
        .errors(&[404, 500]),
        row(Get, cmp_cb, "The platform's push settings and outbox")
            .ok(json::<cp::CallbackState>)
            .errors(&[404, 500]),
        row(Put, cmp_cb, "Set the platform's push settings (always mode safe)")
            .body(json::<cp::CallbackSettings>)
            .ok(json::<cp::CallbackState>)
            .errors(&[400, 404, 422, 500]),
        row(Delete, cmp_cb, "Remove the platform's push settings").errors(&[404, 500]),
        row(Get, cmp_log, "The platform's delivery log, newest first")
            .query(before)
            .query(limit)
            .ok(list::<cp::DeliveryState>)
            .errors(&[404, 500]),
        row(
            Post,
            "/_kefu/components/{component_appid}/authorizations",
            "An app authorizes the platform",
        )
        .body(json::<p::Authorize>)
        .ok(json::<p::Authorized>)
        .errors(&[400, 404, 500]),
        row(
            Delete,
            "/_kefu/components/{component_appid}/authorizations/{appid}",
            "The app revokes",
        )
        .errors(&[404, 500]),
        row(Get, "/_kefu/clock", "The virtual clock").ok(json::<c::Clock>),
        row(Post, "/_kefu/clock/advance", "Move the virtual clock forward")
            .body(json::<c::Advance>)
            .ok(json::<c::Clock>)
            .errors(&[400, 500]),
        row(
            Post,
            "/_kefu/reset",
            "Forget every app, platform and message; the demo app comes back with its credentials",
        )
        .ok(json::<c::ResetDone>)
        .errors(&[500]),
        row(Get, "/_kefu/export", "The whole state as one document")
            .ok(state_document)
            .errors(&[500]),
        row(
            Post,
            "/_kefu/import",
            "Replace the whole state with a document's, all or nothing",
        )
        .body(state_document)
        .ok(json::<sn::Imported>)
        .errors(&[400, 500]),
        row(Get, "/_kefu/snapshots", "List the snapshots, by name")
            .ok(list::<sn::SnapshotInfo>)
            .errors(&[500]),
        row(Post, "/_kefu/snapshots", "Save the whole state under a name")
            .body(json::<sn::SaveSnapshot>)
            .created(json::<sn::SnapshotInfo>)
            .errors(&[400, 500]),
        row(Delete, "/_kefu/snapshots/{name}", "Delete a snapshot").errors(&[404, 500]),
        row(
            Post,
            "/_kefu/snapshots/{name}/restore",
            "Replace the whole state with a snapshot's, all or nothing",
        )
        .ok(json::<sn::Imported>)
        .errors(&[404, 500]),
    ]
}

/// The live events, the traffic tools, the documents and the open routes.
fn traffic_rows() -> Vec<Row> {
    let (journal, faults, compat) = ("/_kefu/journal", "/_kefu/faults", "/_kefu/compat");
    let filters = [
        q_text("appid", "Only requests of this app."),
        q_text("path", "Only requests to this path."),
        q_number("errcode", "Only answers with this errcode."),
        q_number("since_id", "Only entries with a larger id."),
    ];
    let mut journal_list = row(Get, journal, "List journal entries, newest first");
    let mut stream = row(
        Get,
        "/_kefu/journal/stream",
        "Follow the journal live (Server-Sent Events)",
    );
    for f in filters {
        journal_list = journal_list.query(f);
        stream = stream.query(f);
    }
    vec![
        row(Get, "/_kefu/events", "When to read again (Server-Sent Events)").raw(
            "text/event-stream",
            "A `state` event (`{\"seq\": N}`) at once and after every committed change or fault-rule change; a `journal` event (`{\"id\": N}`, the newest entry) after WeChat-side requests. Both coalesced, at most one of each kind every 100 ms.",
        ),
        journal_list
            .query(q_number("limit", "At most this many entries, 1-1000 (default 100)."))
            .ok(list::<t::JournalEntry>)
            .errors(&[400]),
        row(Delete, journal, "Empty the journal"),
        stream
            .raw(
                "text/event-stream",
                "One `entry` event per request, its data a JournalEntry.",
            )
            .errors(&[400]),
        row(Get, "/_kefu/journal/{id}", "One journal entry")
            .ok(json::<t::JournalEntry>)
            .errors(&[404]),
        row(Get, faults, "List fault rules").ok(list::<t::FaultState>),
        row(Post, faults, "Add a fault rule")
            .body(json::<t::FaultRule>)
            .created(json::<t::FaultState>)
            .errors(&[400]),
        row(Delete, faults, "Remove every fault rule"),
        row(Delete, "/_kefu/faults/{id}", "Remove a fault rule").errors(&[404]),
        row(Get, compat, "The compatibility report")
            .query(q_text("appid", "Only requests of this app."))
            .ok(list::<t::CompatSummary>)
            .errors(&[400]),
        row(Delete, compat, "Empty the compatibility report"),
        row(Get, "/_kefu/openapi.json", "This document").ok(openapi_document),
        row(Get, "/_kefu/openapi/wechat.json", "The WeChat side's OpenAPI document").ok(openapi_document),
        Row {
            also: Some((503, "Degraded: the store does not answer.", json::<c::Health>)),
            ..row(Get, "/_kefu/health", "Liveness and the store's health").ok(json::<c::Health>)
        },
        row(
            Get,
            "/_kefu/ca.pem",
            "kefu's CA certificate (PEM), for proxy and hosts mode",
        )
        .raw("application/x-pem-file", "The CA certificate, PEM.")
        .errors(&[404]),
        row(
            Get,
            "/_kefu/media/headimg/{appid}/{kf_account}",
            "A kf account's uploaded avatar",
        )
        .raw("image/*", "The image as uploaded.")
        .errors(&[404, 500]),
        row(Get, "/metrics", "Prometheus metrics").raw("text/plain", "The Prometheus text format."),
    ]
}
