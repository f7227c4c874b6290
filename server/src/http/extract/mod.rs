//! Reading a request, each part checked before the key is claimed, so that bad input is
//! refused without storing anything. Most readers are extractors: a handler names what it
//! needs in its arguments, and axum reads them in that order, so the order of the arguments
//! is the order of the checks (which error wins when several things are wrong).

mod body;
mod headers;
mod lab;
mod names;
mod query;

pub use body::{expire_key_body, order_body, reset_body, JsonBody};
pub use headers::RequestLang;
pub use lab::{LabControlsOn, LabDelay, LabFail, LabIssue};
pub use query::{EventsQuery, ListQuery};
