//! Requests from the page to the lab's own server.

use serde::de::DeserializeOwned;

use crate::api::{
    LeaseNote, Problem, CONTENT_TYPE, IDEMPOTENT_REPLAYED, JSON_CONTENT_TYPE, LAB_LEASE,
    RETRY_AFTER,
};

/// The two methods the lab's API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// Why a request brought back no usable answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    /// No answer reached the page: the network, a timeout, or the server is down. The
    /// browser's own words, which say no more than that.
    NoAnswer(String),
    /// An answer, but not the status the caller needed.
    Status(u16),
    /// An answer whose body was not what the caller expected.
    Unreadable(String),
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::NoAnswer(words) => write!(f, "no answer ({words})"),
            HttpError::Status(status) => write!(f, "HTTP {status}"),
            HttpError::Unreadable(words) => write!(f, "unreadable answer ({words})"),
        }
    }
}

/// One request as the page sends it.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub method: Method,
    pub path: &'a str,
    pub headers: &'a [(&'a str, String)],
    pub body: Option<String>,
    /// The page gives up (aborting the request) after this long.
    pub timeout_ms: u32,
}

/// What came back from one request.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    /// Every response header, lower-case names, as the browser exposes them.
    pub headers: Vec<(String, String)>,
    pub replayed: bool,
    /// The lab's note on a request that outlived its lease (`X-Lab-Lease`).
    pub lease: Option<LeaseNote>,
    pub retry_after: Option<u32>,
    pub body: String,
}

impl Answer {
    /// The server's problem details, when the body is one.
    pub fn problem(&self) -> Option<Problem> {
        serde_json::from_str(&self.body).ok()
    }
}

/// The longest the page waits for the lab's small reads and lab controls.
pub const SHORT_TIMEOUT_MS: u32 = 10_000;

/// Sends one request; `NoAnswer` when nothing came back in time (whatever the server did).
pub async fn send(request: Request<'_>) -> Result<Answer, HttpError> {
    use gloo_net::http::{Method as GlooMethod, RequestBuilder};
    let no_answer = |e: &dyn std::fmt::Display| HttpError::NoAnswer(e.to_string());
    let controller = web_sys::AbortController::new()
        .map_err(|_| HttpError::NoAnswer("no AbortController".into()))?;
    let signal = controller.signal();
    let _timer =
        gloo_timers::callback::Timeout::new(request.timeout_ms, move || controller.abort());
    let method = match request.method {
        Method::Get => GlooMethod::GET,
        Method::Post => GlooMethod::POST,
    };
    let mut builder = RequestBuilder::new(request.path)
        .method(method)
        .abort_signal(Some(&signal));
    for (name, value) in request.headers {
        builder = builder.header(name, value);
    }
    let built = match request.body {
        Some(body) => builder.body(body),
        None => builder.build(),
    }
    .map_err(|e| no_answer(&e))?;
    let response = built.send().await.map_err(|e| no_answer(&e))?;
    let headers = response.headers();
    Ok(Answer {
        status: response.status(),
        headers: headers.entries().collect(),
        replayed: headers.get(IDEMPOTENT_REPLAYED).as_deref() == Some("true"),
        lease: headers
            .get(LAB_LEASE)
            .and_then(|value| LeaseNote::from_header(&value)),
        retry_after: headers
            .get(RETRY_AFTER)
            .and_then(|value| value.trim().parse().ok()),
        body: response.text().await.map_err(|e| no_answer(&e))?,
    })
}

/// `POST`s `body` as JSON.
pub async fn post_json<T: serde::Serialize>(path: &str, body: &T) -> Result<Answer, HttpError> {
    let json = serde_json::to_string(body).map_err(|e| HttpError::Unreadable(e.to_string()))?;
    let headers = [(CONTENT_TYPE, JSON_CONTENT_TYPE.to_string())];
    send(Request {
        method: Method::Post,
        path,
        headers: &headers,
        body: Some(json),
        timeout_ms: SHORT_TIMEOUT_MS,
    })
    .await
}

/// `GET`s a JSON answer (a 200).
pub async fn get_json<T: DeserializeOwned>(path: &str) -> Result<T, HttpError> {
    let answer = send(Request {
        method: Method::Get,
        path,
        headers: &[],
        body: None,
        timeout_ms: SHORT_TIMEOUT_MS,
    })
    .await?;
    if answer.status != 200 {
        return Err(HttpError::Status(answer.status));
    }
    serde_json::from_str(&answer.body).map_err(|e| HttpError::Unreadable(e.to_string()))
}
