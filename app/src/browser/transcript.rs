//! An exchange written out for the learner: the request and the response as raw HTTP, and a
//! curl command that sends the same request again (same key, same body).

use super::http::{Answer, Method};
use super::tabs::origin;

/// The request as it would appear on the wire.
pub fn raw_request(
    method: Method,
    path: &str,
    headers: &[(&str, String)],
    body: Option<&str>,
) -> String {
    let origin = origin();
    let host = origin.split("://").nth(1).unwrap_or_default();
    let mut text = format!("{} {path} HTTP/1.1\nHost: {host}\n", method.as_str());
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\n"));
    }
    text.push('\n');
    text.push_str(body.unwrap_or_default());
    text
}

pub fn raw_response(answer: &Answer) -> String {
    let mut text = format!("HTTP/1.1 {}\n", answer.status);
    for (name, value) in &answer.headers {
        text.push_str(&format!("{name}: {value}\n"));
    }
    text.push('\n');
    text.push_str(&answer.body);
    text
}

/// A curl command that sends the same request again.
pub fn curl(method: Method, path: &str, headers: &[(&str, String)], body: Option<&str>) -> String {
    let quote = |text: &str| format!("'{}'", text.replace('\'', "'\\''"));
    let mut command = format!(
        "curl -i -X {} {}",
        method.as_str(),
        quote(&format!("{}{path}", origin()))
    );
    for (name, value) in headers {
        command.push_str(&format!(" -H {}", quote(&format!("{name}: {value}"))));
    }
    if let Some(body) = body {
        command.push_str(&format!(" --data {}", quote(body)));
    }
    command
}
