//! The quiz: three cases to decide, one refusal to predict, and a check on the live server.

use leptos::prelude::*;

use crate::api::{CreateOrderRequest, OrderItem, CONTENT_TYPE, IDEMPOTENCY_KEY, JSON_CONTENT_TYPE};
use crate::browser::http::{self, Method, Request, SHORT_TIMEOUT_MS};
use crate::browser::storage;
use crate::i18n::{fill, use_lang, Lang, PanelText};
use crate::lab::keys::new_key;

#[derive(Clone, Copy, PartialEq)]
enum Answer {
    Client,
    Server,
}

#[component]
pub fn Quiz(live: ReadSignal<bool>) -> impl IntoView {
    let lang = use_lang();
    let texts = move || lang.get().panel_texts();
    let cases: [(PanelText, PanelText, Answer); 3] = [
        (|t| t.quiz.case_pay, |t| t.quiz.why_pay, Answer::Client),
        (
            |t| t.quiz.case_partner,
            |t| t.quiz.why_partner,
            Answer::Server,
        ),
        (|t| t.quiz.case_admin, |t| t.quiz.why_admin, Answer::Client),
    ];
    let picks = RwSignal::new([None::<Answer>; 3]);
    let q2 = RwSignal::new(None::<usize>);
    let live_result = RwSignal::new(None::<String>);
    let check_live = move |_| {
        live_result.set(Some("…".into()));
        leptos::task::spawn_local(async move {
            live_result.set(Some(demonstrate_mismatch(lang.get_untracked()).await));
        });
    };
    let options: [(PanelText, bool); 4] = [
        (|t| t.quiz.opt_second, false),
        (|t| t.quiz.opt_replay, false),
        (|t| t.quiz.opt_422, true),
        (|t| t.quiz.opt_overwrite, false),
    ];
    view! {
        <h2 id="quiz-heading">{move || texts().quiz.heading}</h2>
        <fieldset class="quiz" data-testid="quiz-1">
            <legend>{move || texts().quiz.q1}</legend>
            {cases.iter().enumerate().map(|(i, (case, why, right))| {
                let (case, why, right) = (*case, *why, *right);
                let choose = move |answer| picks.update(|p| p[i] = Some(answer));
                view! {
                    <div class="quiz-case">
                        <p>{move || case(texts())}</p>
                        <div class="quiz-choices">
                            <button type="button" data-testid=format!("q1-{i}-client")
                                aria-pressed=move || (picks.get()[i] == Some(Answer::Client)).to_string()
                                on:click=move |_| choose(Answer::Client)>{move || texts().quiz.client}</button>
                            <button type="button" data-testid=format!("q1-{i}-server")
                                aria-pressed=move || (picks.get()[i] == Some(Answer::Server)).to_string()
                                on:click=move |_| choose(Answer::Server)>{move || texts().quiz.server}</button>
                        </div>
                        {move || picks.get()[i].map(|pick| {
                            let t = texts();
                            let correct = pick == right;
                            view! {
                                <p class=if correct { "feedback right" } else { "feedback wrong" } data-testid=format!("q1-{i}-feedback")>
                                    {if correct { t.quiz.right } else { t.quiz.wrong }}" "{why(t)}
                                </p>
                            }
                        })}
                    </div>
                }
            }).collect_view()}
        </fieldset>
        <fieldset class="quiz" data-testid="quiz-2">
            <legend>{move || texts().quiz.q2}</legend>
            <div class="quiz-choices">
                {options.iter().enumerate().map(|(i, (label, _))| {
                    let label = *label;
                    view! {
                        <button type="button" data-testid=format!("q2-{i}")
                            aria-pressed=move || (q2.get() == Some(i)).to_string()
                            on:click=move |_| q2.set(Some(i))>{move || label(texts())}</button>
                    }
                }).collect_view()}
            </div>
            {move || q2.get().map(|i| {
                let t = texts();
                let correct = options[i].1;
                view! {
                    <p class=if correct { "feedback right" } else { "feedback wrong" } data-testid="q2-feedback">
                        {if correct { t.quiz.right } else { t.quiz.wrong }}" "{t.quiz.why_422}
                    </p>
                }
            })}
            <button type="button" data-testid="q2-live" disabled=move || !live.get() on:click=check_live>
                {move || texts().quiz.check_live}
            </button>
            {move || live_result.get().map(|result| view! { <p class="live-result" data-testid="q2-live-result">{result}</p> })}
        </fieldset>
    }
}

/// The quiz's live check: one fresh key, two different bodies, sent as this learner.
async fn demonstrate_mismatch(lang: Lang) -> String {
    let key = new_key();
    let learner = storage::learner_id();
    let body = |qty| CreateOrderRequest {
        user_id: learner.clone(),
        items: vec![OrderItem {
            sku: "QUIZ-1".into(),
            qty,
        }],
    };
    let mut statuses = Vec::new();
    for qty in [1, 2] {
        let headers = [
            (CONTENT_TYPE, JSON_CONTENT_TYPE.to_string()),
            (IDEMPOTENCY_KEY, key.clone()),
        ];
        let request = Request {
            method: Method::Post,
            path: "/orders",
            headers: &headers,
            body: serde_json::to_string(&body(qty)).ok(),
            timeout_ms: SHORT_TIMEOUT_MS,
        };
        match http::send(request).await {
            Ok(answer) => {
                let title = answer.problem().map(|p| p.title).unwrap_or_default();
                statuses.push(format!("{} {title}", answer.status).trim().to_owned());
            }
            Err(error) => statuses.push(format!("{} ({error})", lang.texts().status.network_error)),
        }
    }
    format!(
        "{} → {}",
        fill(lang.panel_texts().quiz.live_result, &statuses[0]),
        statuses[1]
    )
}
