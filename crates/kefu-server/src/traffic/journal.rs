//! The request journal: the last requests to the WeChat-side API, newest
//! last, bounded in entries and in bytes, with a live feed for
//! `GET /_kefu/journal/stream`. It lives in memory, one per process: a
//! journal is what this instance answered.
//!
//! A request costs the hot path only a raw [`Record`] (shared buffers, no
//! formatting); masking and rendering happen when someone reads it.

use super::mask;
use axum::body::Bytes;
use axum::http::Method;
use kefu_api::traffic::{CompatNote, JournalEntry};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// Default bound in entries (`--journal-size`).
pub const DEFAULT_SIZE: usize = 10_000;
/// Bound in bytes of kept bodies, whatever the entry bound: 10 000 entries
/// of two 64 KiB bodies would otherwise hold over a gigabyte.
const MAX_BYTES: usize = 16 << 20;
/// Entries a slow live reader may fall behind before it skips ahead.
const FEED: usize = 1024;

/// Which entries a reader wants (`GET /_kefu/journal?...`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Filter {
    /// Only requests whose credential resolved to this app.
    pub appid: Option<String>,
    /// Only this path.
    pub path: Option<String>,
    /// Only answers with this errcode.
    pub errcode: Option<i64>,
    /// Only entries newer than this id.
    pub since_id: Option<u64>,
}

impl Filter {
    pub(crate) fn matches(&self, e: &Record) -> bool {
        self.appid.as_ref().is_none_or(|a| e.appid.as_ref() == Some(a))
            && self.path.as_ref().is_none_or(|p| e.path() == p)
            && self.errcode.is_none_or(|c| e.errcode == Some(c))
            && self.since_id.is_none_or(|id| e.id > id)
    }
}

/// One request as the hot path leaves it: raw, unmasked, unformatted.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub id: u64,
    pub time_ms: i64,
    pub virtual_time: i64,
    pub client: Option<SocketAddr>,
    pub method: Method,
    /// The path and query, copied: the request's own `Uri` is a slice of
    /// the connection's read buffer, which keeping it would pin.
    pub target: Box<str>,
    pub content_type: Option<Box<str>>,
    /// At most [`mask::BODY_MAX`] bytes, or a multipart body's summary.
    pub request: Bytes,
    /// Whether `request` is a multipart body's summary (text to show as is).
    pub request_summarised: bool,
    pub status: u16,
    pub response: Bytes,
    pub errcode: Option<i64>,
    pub latency_us: u64,
    pub appid: Option<String>,
    pub rid: Option<String>,
    pub fault: Option<u64>,
    pub compat: Vec<CompatNote>,
}

impl Record {
    fn path(&self) -> &str {
        self.target.split_once('?').map_or(&self.target, |(p, _)| p)
    }

    fn query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, q)| q)
    }

    /// The entry as the control API shows it: tokens cut, secrets hidden,
    /// bodies as text, multipart summarised.
    pub(crate) fn render(&self) -> JournalEntry {
        let content_type = self.content_type.as_deref();
        JournalEntry {
            id: self.id,
            time_ms: self.time_ms,
            virtual_time: self.virtual_time,
            client: self.client.map_or_else(|| "-".into(), |c| c.to_string()),
            method: self.method.to_string(),
            path: self.path().to_owned(),
            query: mask::query(self.query()),
            request_body: match self.request_summarised {
                true => String::from_utf8_lossy(&self.request).into_owned(),
                false => mask::body(&self.request, content_type),
            },
            status: self.status,
            response_body: mask::body(&self.response, None),
            errcode: self.errcode,
            latency_us: self.latency_us,
            appid: self.appid.clone(),
            rid: self.rid.clone(),
            fault: self.fault,
            compat: self.compat.clone(),
        }
    }
}

struct Kept {
    entries: VecDeque<Arc<Record>>,
    bytes: usize,
}

/// The journal of one process.
pub(crate) struct Journal {
    size: usize,
    next_id: AtomicU64,
    kept: Mutex<Kept>,
    feed: broadcast::Sender<Arc<Record>>,
    dropped: AtomicU64,
}

fn weight(e: &Record) -> usize {
    e.request.len() + e.response.len() + 256
}

impl Journal {
    /// A journal of at most `size` entries (0: the journal is off).
    pub(crate) fn new(size: usize) -> Self {
        Journal {
            size,
            next_id: AtomicU64::new(1),
            kept: Mutex::new(Kept {
                entries: VecDeque::new(),
                bytes: 0,
            }),
            feed: broadcast::channel(FEED).0,
            dropped: AtomicU64::new(0),
        }
    }

    /// Whether requests are journaled at all.
    pub(crate) fn on(&self) -> bool {
        self.size > 0
    }

    /// The id the next entry gets.
    pub(crate) fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Keeps an entry, dropping the oldest beyond the bounds, and sends it
    /// to live readers; answers how many old entries were dropped.
    pub(crate) fn push(&self, entry: Record) -> usize {
        let entry = Arc::new(entry);
        let dropped = {
            let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
            kept.bytes += weight(&entry);
            kept.entries.push_back(entry.clone());
            let mut dropped = 0;
            while kept.entries.len() > self.size || (kept.bytes > MAX_BYTES && kept.entries.len() > 1) {
                if let Some(old) = kept.entries.pop_front() {
                    kept.bytes -= weight(&old);
                    dropped += 1;
                }
            }
            dropped
        };
        self.dropped.fetch_add(dropped as u64, Ordering::Relaxed);
        // Nobody listening is fine.
        let _ = self.feed.send(entry);
        dropped
    }

    /// Entries matching `filter`, newest first, at most `limit`.
    pub(crate) fn list(&self, filter: &Filter, limit: usize) -> Vec<JournalEntry> {
        let chosen: Vec<Arc<Record>> = {
            let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
            let newest = kept.entries.iter().rev().filter(|e| filter.matches(e));
            newest.take(limit).cloned().collect()
        };
        // Rendered outside the lock: requests go on being kept meanwhile.
        chosen.iter().map(|e| e.render()).collect()
    }

    /// One entry by id, while it is kept.
    pub(crate) fn get(&self, id: u64) -> Option<JournalEntry> {
        let found = {
            let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
            kept.entries.iter().find(|e| e.id == id).cloned()
        };
        found.map(|e| e.render())
    }

    /// Forgets every entry.
    pub(crate) fn clear(&self) {
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.entries.clear();
        kept.bytes = 0;
    }

    /// Entries as they are kept, from now on.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Arc<Record>> {
        self.feed.subscribe()
    }

    /// How many entries are kept.
    pub(crate) fn len(&self) -> usize {
        self.kept.lock().unwrap_or_else(|e| e.into_inner()).entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(j: &Journal, path: &str, body: usize) -> Record {
        Record {
            id: j.next_id(),
            time_ms: 0,
            virtual_time: 0,
            client: None,
            method: Method::GET,
            target: path.into(),
            content_type: None,
            request: Bytes::from("x".repeat(body)),
            request_summarised: false,
            status: 200,
            response: Bytes::new(),
            errcode: Some(0),
            latency_us: 1,
            appid: None,
            rid: None,
            fault: None,
            compat: vec![],
        }
    }

    #[test]
    fn the_oldest_entries_go_first_beyond_the_bound() {
        let j = Journal::new(3);
        for i in 0..9 {
            j.push(entry(&j, &format!("/p{i}"), 0));
        }
        let kept: Vec<u64> = j.list(&Filter::default(), 100).iter().map(|e| e.id).collect();
        assert_eq!(kept, [9, 8, 7]);
        let since = Filter {
            since_id: Some(7),
            ..Filter::default()
        };
        assert_eq!(j.list(&since, 100).len(), 2);
    }

    #[test]
    fn bodies_are_bounded_in_bytes_too() {
        let j = Journal::new(10_000);
        for _ in 0..2_000 {
            j.push(entry(&j, "/big", 64 << 10));
        }
        assert!(j.len() * (64 << 10) <= MAX_BYTES, "{}", j.len());
        assert!(j.len() > 100);
    }
}
