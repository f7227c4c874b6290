//! The query of the list endpoints, `?userId=&limit=`.

use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use serde::Deserialize;

use crate::http::error::{ApiError, FieldProblem};

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
        let Query(query) = Query::<Self>::from_request_parts(parts, state)
            .await
            .map_err(query_rejection)?;
        Ok(query)
    }
}

fn query_rejection(rejection: QueryRejection) -> ApiError {
    ApiError::InvalidField {
        field: "query".into(),
        problem: FieldProblem::Query(rejection.body_text()),
    }
}
