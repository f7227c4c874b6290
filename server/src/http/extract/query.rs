//! The queries: the list endpoints' `?userId=&limit=` and the events' `?userId=`. A problem
//! names the parameter at fault.

use std::error::Error as _;

use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::names::{expected_fields, field_named, unreadable};
use crate::http::error::{ApiError, QueryProblem};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this learner's orders.
    pub user_id: Option<String>,
    /// How many, newest first: 100 unless given, at most 500 (a larger number means 500).
    #[param(minimum = 0, maximum = 65535)]
    limit: Option<u16>,
}

const DEFAULT_LIST_LIMIT: u16 = 100;
const MAX_LIST_LIMIT: u16 = 500;

impl ListQuery {
    /// How many rows to list: the `limit` asked for, within 1 and 500.
    pub fn limit(&self) -> i64 {
        i64::from(
            self.limit
                .unwrap_or(DEFAULT_LIST_LIMIT)
                .clamp(1, MAX_LIST_LIMIT),
        )
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ListQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        read(parts, state).await
    }
}

/// The query of `GET /events`, `?userId=`: whose changes to announce.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Only this learner's changes, and those that may be anyone's.
    user_id: Option<String>,
}

impl EventsQuery {
    /// Whether a change to `user`'s tables (`None`: possibly anyone's) is announced.
    pub fn wants(&self, user: Option<&str>) -> bool {
        match (self.user_id.as_deref(), user) {
            (Some(learner), Some(user)) => learner == user,
            _ => true,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for EventsQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        read(parts, state).await
    }
}

/// A query of type `T`, or a problem naming the parameter at fault.
async fn read<T: DeserializeOwned, S: Send + Sync>(
    parts: &mut Parts,
    state: &S,
) -> Result<T, ApiError> {
    let Query(query) = Query::<T>::from_request_parts(parts, state)
        .await
        .map_err(query_rejection)?;
    Ok(query)
}

/// What axum's parser said, as a problem naming the parameter. axum reads a query through
/// `serde_path_to_error`, so the error under its rejection knows the parameter's path.
fn query_rejection(rejection: QueryRejection) -> ApiError {
    type ParseError = serde_path_to_error::Error<serde::de::value::Error>;
    let parsed = std::iter::successors(rejection.source(), |&error| error.source())
        .find_map(|error| error.downcast_ref::<ParseError>());
    let (path, words) = match parsed {
        Some(error) => (error.path().to_string(), error.inner().to_string()),
        None => (".".to_owned(), rejection.body_text()),
    };
    let named = |what| field_named(&words, what).map(str::to_owned);
    // `None`: the query as a whole is at fault.
    let (parameter, problem) = if let Some(name) = named("unknown") {
        if unreadable(&name) {
            let expected = expected_fields(&words).to_owned();
            (None, QueryProblem::UnreadableName { name, expected })
        } else {
            (Some(name), QueryProblem::Unknown(words))
        }
    } else if let Some(name) = named("duplicate") {
        (Some(name), QueryProblem::Repeated)
    } else {
        let parameter = (path != ".").then_some(path);
        (parameter, QueryProblem::Invalid(words))
    };
    ApiError::InvalidQuery { parameter, problem }
}
