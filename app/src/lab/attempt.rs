//! One attempt of an operation — one HTTP request for it — and what it meant.

use serde::{Deserialize, Serialize};

use crate::api::LeaseNote;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AttemptKind {
    Order,
    /// A click while the operation's own attempt was still running.
    ExtraClick,
    Prepare,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptLog {
    pub id: u32,
    pub kind: AttemptKind,
    pub at: String,
    pub key: Option<String>,
    pub sent: String,
    pub status: Option<u16>,
    pub replayed: bool,
    pub latency_ms: Option<u32>,
    /// The lab delay the attempt asked for: at 0 the server claims and commits at once.
    #[serde(default)]
    pub delay_ms: u32,
    pub explain: Explain,
    /// The server's own words, from its problem details (title: detail).
    #[serde(default)]
    pub server_says: Option<String>,
    /// What became of a request that held its claim longer than the server's lease.
    #[serde(default)]
    pub lease: Option<LeaseNote>,
    /// The request and response as raw HTTP, and a curl command that repeats the request.
    #[serde(default)]
    pub exchange: Option<Exchange>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    pub request: String,
    pub response: Option<String>,
    pub curl: String,
}

/// Why an attempt ended the way it did, in the learner's terms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Explain {
    Sending,
    Created,
    /// Created, though this operation's key had already made an order: its record had
    /// expired, so the server took the key as new. A second order under one key.
    CreatedAgain,
    Replayed,
    InFlight,
    Mismatch,
    Network(String),
    Prepared,
    KeyExpired,
    Problem {
        title: String,
        detail: String,
    },
    /// The page was reloaded while this attempt was on its way.
    Interrupted,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Phase {
    /// Not finished: a reload resumes it.
    Pending,
    /// A final answer arrived.
    Done { replayed: bool },
    /// A final refusal.
    Failed { title: String, detail: String },
    /// This many attempts got no answer (or a server error): the page stopped on its own.
    GaveUp { attempts: u32 },
}

/// What the page is doing right now (not saved: a reload starts it again).
#[derive(Debug, Clone, PartialEq)]
pub enum Activity {
    Idle,
    Preparing,
    Sending { attempt: u32 },
    Waiting { seconds: u32 },
}
