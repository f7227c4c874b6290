//! `/problems/{type}`: every problem `type` the API sends is a page saying what went wrong and
//! what the client should do about it, in English or Japanese (RFC 9457 asks that a type URI
//! resolve to something a person can read). Plain server-rendered HTML: these pages need no
//! script, so they add nothing to the WASM.

use app::api::ProblemType;
use app::i18n::Lang;
use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use super::error::{ApiError, Missing};
use super::extract::RequestLang;
use super::problem_texts;

/// `GET /problems/{type}`.
#[utoipa::path(
    get,
    path = "/problems/{slug}",
    tag = "service",
    params(("slug" = String, Path, description = "A problem's `type` after `/problems/`.")),
    responses((
        status = 200,
        description = "What the problem means and what the client should do, as a page in the \
            request's language (the `lab_lang` cookie, else `Accept-Language`).",
        content_type = "text/html; charset=utf-8",
        body = String
    ))
)]
pub async fn page(Path(slug): Path<String>, RequestLang(lang): RequestLang) -> Response {
    let Some(kind) = ProblemType::from_slug(&slug) else {
        return ApiError::NotFound(Missing::ProblemType).into_response();
    };
    let [title, meaning, what_to_do] = *problem_texts::texts(kind).get(lang);
    let (status_label, to_do_label, back) = match lang {
        Lang::En => (
            "HTTP status",
            "What the client should do",
            "Back to the lab",
        ),
        Lang::Ja => (
            "HTTP ステータス",
            "クライアントがすべきこと",
            "実験室に戻る",
        ),
    };
    // Every text is our own constant: nothing from the request reaches the page.
    let html = format!(
        "<!DOCTYPE html><html lang=\"{code}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title></head><body><main>\
         <h1>{title}</h1><p><code>{uri}</code> · {status_label} {status}</p>\
         <p>{meaning}</p><h2>{to_do_label}</h2><p>{what_to_do}</p>\
         <p><a href=\"/\">{back}</a></p></main></body></html>",
        code = lang.code(),
        uri = kind.uri(),
        status = kind.status(),
    );
    let mut response = (StatusCode::OK, Html(html)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(lang.code()),
    );
    headers.insert(
        header::VARY,
        HeaderValue::from_static("Accept-Language, Cookie"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::error::{FieldProblem, QueryProblem};
    use crate::idempotency::IdempotencyError;
    use crate::storage::StorageError;

    /// One error of each kind the API can answer with.
    fn every_kind() -> Vec<ApiError> {
        use ApiError as E;
        vec![
            E::MissingKey,
            E::SeveralKeys,
            E::MalformedKey("too long"),
            E::PlaceholderKey,
            E::ForgedIssuedKey,
            E::ExpiredIssuedKey,
            E::UnsupportedMediaType,
            E::BodyTooLarge { limit: 1 },
            E::UnreadableBody("cut short".into()),
            E::InvalidField {
                field: "items".into(),
                problem: FieldProblem::Unknown("x".into()),
            },
            E::InvalidQuery {
                parameter: Some("limit".into()),
                problem: QueryProblem::Invalid("too large".into()),
            },
            E::InvalidLabDelay { max: 1 },
            E::InvalidLabOperation,
            E::InvalidLabIssue,
            E::KeyReusedWithDifferentRequest,
            E::InFlight {
                retry_after_secs: 1,
            },
            E::NotFound(Missing::Order),
            E::MethodNotAllowed("this path"),
            E::FailedOnPurpose,
            E::LabControlsOff,
            E::Unavailable(StorageError::WriterGone),
            E::Internal(IdempotencyError::TaskFailed("gone".into())),
        ]
    }

    #[test]
    fn every_problem_type_is_sent_by_some_error_and_has_its_page() {
        let sent: Vec<ProblemType> = every_kind().iter().map(ApiError::problem_type).collect();
        for kind in ProblemType::ALL {
            assert!(sent.contains(&kind), "no error sends {kind:?}");
        }
        for error in every_kind() {
            let problem = error.to_problem(Lang::En);
            let kind = problem.problem_type().expect("a type of ours");
            assert_eq!(ProblemType::from_slug(kind.slug()), Some(kind));
            assert_eq!(problem.status, kind.status());
        }
    }
}
