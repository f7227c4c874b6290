//! Every problem's detail in Japanese (the titles are the problem pages', `problem_texts.rs`),
//! written for Japanese readers rather than translated from the parser: a field's problem
//! names the field and says what is wrong in Japanese; serde's and axum's English words are
//! never passed through.

use app::api::FieldRule;

use super::error::{quoted, ApiError, FieldProblem, QueryProblem};

impl ApiError {
    /// The detail in Japanese.
    pub(super) fn japanese(&self) -> String {
        use ApiError as E;
        match self {
            E::MissingKey => {
                "このリクエストには Idempotency-Key ヘッダーを付けて送ってください。".into()
            }
            E::SeveralKeys => {
                "Idempotency-Key ヘッダーは 1 つだけ送ってください。このリクエストには複数あります。"
                .into()
            }
            E::MalformedKey(_) => {
                "キーは 1〜255 文字の表示可能な ASCII 文字（空白や制御文字を含まない）で、そのまま、または引用符で囲んで送ってください。"
                .into()
            }
            E::PlaceholderKey => {
                "Idempotency-Key が undefined または null です。キーを入れる変数に値がないときに JavaScript が送る文字列です（キーを作る呼び出しが失敗していませんか）。最初の送信の前にキーを作り、キーがないままリクエストを送らないでください。"
                .into()
            }
            E::ForgedIssuedKey => {
                "このキーは srv_ で始まりますが、このサーバーが発行したものではないか、書き換えられています。"
                .into()
            }
            E::ExpiredIssuedKey => {
                "このサーバー生成のキーは、注文に使われる前に期限が切れました。POST /orders/prepare で新しいキーを発行してもらってください。"
                .into()
            }
            E::UnsupportedMediaType => {
                "Content-Type: application/json を付けて、本文を JSON で送ってください。".into()
            }
            E::BodyTooLarge { limit } => {
                format!("本文は {limit} バイト以内にしてください。")
            }
            E::UnreadableBody(_) => {
                "本文を最後まで読み取れませんでした。".into()
            }
            E::InvalidField { field, problem } => field_detail(field, problem),
            E::InvalidQuery { parameter, problem } => query_detail(parameter.as_deref(), problem),
            E::InvalidLabDelay { max } => {
                format!("X-Lab-Delay-Ms は 0〜{max} のミリ秒（整数）にしてください。")
            }
            E::InvalidLabOperation => {
                "X-Lab-Operation は英数字とハイフン（A-Z a-z 0-9 -）だけの 1〜64 文字（UUID など）にしてください。"
                .into()
            }
            E::InvalidLabIssue => {
                "X-Lab-Issue に指定できる値は expired（期限が切れたキーを発行する）だけです。".into()
            }
            E::KeyReusedWithDifferentRequest => {
                "キーが指すのは、1 つの内容をもつ 1 つの操作です。別の注文をするには、新しいキーを送ってください。".into()
            }
            E::InFlight { retry_after_secs } => {
                format!(
                    "{retry_after_secs} 秒後に、同じキーと内容で再送してください。最初のリクエストが終わっていれば、その応答が返ります。"
                )
            }
            E::NotFound(what) => format!("{}が見つかりません。", what.japanese()),
            E::MethodNotAllowed(_) => {
                "このパスはこのメソッドを受け付けません。".into()
            }
            E::FailedOnPurpose => {
                "実験室の「次のキー発行を失敗させる」スイッチで、この呼び出しを失敗させました。何も発行も保存もしていないので、もう一度呼んでも安全です。"
                .into()
            }
            E::LabControlsOff => {
                "このサーバーでは実験用の操作が無効になっています。".into()
            }
            E::Unavailable(_) => {
                "データベースが応答していません。".into()
            }
            E::Internal(_) => {
                "予期しないエラーでリクエストが止まりました。何も保存されていないので、再送しても安全です。"
                .into()
            }
        }
    }
}

/// What is wrong with `field`, in Japanese.
fn field_detail(field: &str, problem: &FieldProblem) -> String {
    match problem {
        FieldProblem::NotAnObject { example } => {
            format!("本文は {example} のような JSON オブジェクトにしてください。")
        }
        FieldProblem::Unknown(_) => format!("{field} という項目は受け付けていません。"),
        FieldProblem::UnreadableName { name, .. } => {
            let holder = if field == "body" {
                "本文に".to_owned()
            } else {
                format!("{field} に")
            };
            format!(
                "{holder}、名前が {} の項目があります。この項目は受け付けていません。",
                quoted(name)
            )
        }
        FieldProblem::Invalid(_) if field == "body" => "本文の形が正しくありません。".into(),
        FieldProblem::Invalid(_) => format!("{field} の型または値が正しくありません。"),
        FieldProblem::NotJson(_) => format!("本文を JSON として読めません（{field} の付近）。"),
        FieldProblem::TrailingText(_) => "JSON の後ろに余分な文字があります。".into(),
        FieldProblem::Rule(rule) => match rule {
            FieldRule::Length { max } => {
                format!("{field} は 1〜{max} 文字にしてください（空白だけにはできません）。")
            }
            FieldRule::NoControlCharacters => {
                format!("{field} に制御文字（NUL、タブ、改行など）は使えません。")
            }
            FieldRule::ItemCount { max } => {
                format!("{field} には 1〜{max} 個の品目を入れてください。")
            }
            FieldRule::Quantity { max } => format!("{field} は 1〜{max} にしてください。"),
            FieldRule::IdempotencyKey => format!(
                "{field} は 1〜255 文字の表示可能な ASCII 文字にしてください（Idempotency-Key ヘッダーと同じく、そのままか引用符で囲んで）。"
            ),
            FieldRule::NotAPlaceholderKey => format!(
                "{field} には、クライアントが作ったキーを入れてください。undefined や null は、値がないときに JavaScript が書く文字列で、キーではありません。"
            ),
        },
    }
}

/// What is wrong with the query, or with its `parameter`, in Japanese.
fn query_detail(parameter: Option<&str>, problem: &QueryProblem) -> String {
    let name = parameter.unwrap_or_default();
    match problem {
        QueryProblem::Unknown(_) => {
            format!("{name} というクエリパラメーターは、この操作では使えません。")
        }
        QueryProblem::UnreadableName { name, .. } => format!(
            "クエリ文字列に、名前が {} のパラメーターがあります。このパラメーターは使えません。",
            quoted(name)
        ),
        QueryProblem::Repeated => {
            format!("クエリパラメーター {name} は 1 回だけ指定してください。")
        }
        QueryProblem::Invalid(_) if parameter.is_none() => {
            "クエリ文字列が正しくありません。".into()
        }
        QueryProblem::Invalid(_) => format!("クエリパラメーター {name} の値が正しくありません。"),
    }
}
