//! What each problem type means and what the client should do about it, in English and in
//! Japanese: its page (`problem_types.rs`) shows all three texts, and every answer of the type
//! carries the first as its `title`.

use app::api::ProblemType;
use app::i18n::Lang;

/// One problem type's texts in one language: its title, what it means, what to do next.
pub type Texts = [&'static str; 3];

pub struct ProblemTexts {
    pub en: Texts,
    pub ja: Texts,
}

impl ProblemTexts {
    pub fn get(&self, lang: Lang) -> &Texts {
        match lang {
            Lang::En => &self.en,
            Lang::Ja => &self.ja,
        }
    }
}

/// The title of every answer of type `kind`, in `lang`.
pub fn title(kind: ProblemType, lang: Lang) -> &'static str {
    texts(kind).get(lang)[0]
}

/// Every type's texts; the match has no default, so a new type does not compile without them.
#[rustfmt::skip]
pub fn texts(kind: ProblemType) -> ProblemTexts {
    use ProblemType as P;
    match kind {
        P::IdempotencyKeyMissing => ProblemTexts {
            en: ["Idempotency-Key is missing",
                 "POST /orders changes something, so the server only runs it under a key that lets a retry be recognised. This request carried no Idempotency-Key header, so nothing was done.",
                 "Make one key per operation (a UUID v4 is the usual choice), keep it until the operation has a final answer, and send it in the Idempotency-Key header of every attempt."],
            ja: ["Idempotency-Key がありません",
                 "POST /orders は状態を変える操作なので、再試行を見分けられるキーがあるときだけ実行します。このリクエストには Idempotency-Key ヘッダーがなかったため、何も実行していません。",
                 "操作ごとにキーを 1 つ作り（UUID v4 が一般的です）、最終的な応答を得るまで保持して、すべての試行の Idempotency-Key ヘッダーに付けて送ってください。"] },
        P::IdempotencyKeyRepeated => ProblemTexts {
            en: ["Several Idempotency-Key headers",
                 "The request carried more than one Idempotency-Key header, so the server cannot tell which operation it belongs to. Nothing was done.",
                 "Send exactly one Idempotency-Key header. If a proxy or library adds one, remove the other."],
            ja: ["Idempotency-Key が複数あります",
                 "このリクエストには Idempotency-Key ヘッダーが複数あるため、サーバーはどの操作のリクエストか判断できません。何も実行していません。",
                 "Idempotency-Key ヘッダーは 1 つだけ送ってください。プロキシやライブラリがヘッダーを 1 つ付け加えている場合は、もう一方を外してください。"] },
        P::IdempotencyKeyMalformed => ProblemTexts {
            en: ["Idempotency-Key is malformed",
                 "A key is 1 to 255 visible ASCII characters, sent bare or as a quoted string. This one is not, so nothing was done.",
                 "Fix the client that makes keys; a UUID v4 always fits. Retrying with the same malformed key gets the same answer."],
            ja: ["Idempotency-Key の形式が正しくありません",
                 "キーは 1〜255 文字の表示可能な ASCII 文字で、そのまま、または引用符で囲んで送ります。このキーはこの条件を満たしていないため、何も実行していません。",
                 "キーを作るクライアントを直してください。UUID v4 なら必ず条件を満たします。形式が正しくない同じキーで再試行しても、同じ応答が返ります。"] },
        P::IdempotencyKeyPlaceholder => ProblemTexts {
            en: ["Idempotency-Key is undefined or null",
                 "The key was the text undefined or null: what JavaScript writes in a header when the value meant to be the key is missing, as when the call that should have made it (POST /orders/prepare, say) failed and its answer was not checked. Every client with that bug sends the same text, so the server would take one client's order for another's retry; it refuses these two texts, bare or quoted, in any letter case. Nothing was done.",
                 "Make the key before the first attempt (a UUID v4, or the key POST /orders/prepare issued) and keep it for every retry. If the client has no key, it must not send the request: get a key first. Sending the same header again gets the same answer."],
            ja: ["Idempotency-Key が undefined または null です",
                 "キーが undefined または null という文字列でした。キーにするはずの値がないとき、JavaScript はヘッダーにこの文字列を書きます。キーを作る呼び出し（POST /orders/prepare など）が失敗し、その応答を確かめなかった場合などです。この不具合のあるクライアントはどれも同じ文字列を送るため、受け付けると、あるクライアントの注文を別のクライアントの再送とみなしてしまいます。そのため、この 2 つの文字列は、引用符の有無や大文字・小文字を問わず受け付けません。何も実行していません。",
                 "最初の送信の前にキーを作り（UUID v4、または POST /orders/prepare の発行キー）、再送のたびに同じキーを使ってください。キーがないときはリクエストを送らず、先にキーを手に入れてください。同じヘッダーのまま再送しても、同じ応答が返ります。"] },
        P::IssuedKeyInvalid => ProblemTexts {
            en: ["Issued key is not valid",
                 "Keys starting with srv_ are issued by this server and signed. This one was not issued here, or was altered, so nothing was done.",
                 "Ask for a new key with POST /orders/prepare and send it unchanged."],
            ja: ["発行キーが正しくありません",
                 "srv_ で始まるキーは、このサーバーが署名して発行するものです。このキーはこのサーバーが発行したものではないか、書き換えられているため、何も実行していません。",
                 "POST /orders/prepare で新しいキーを発行してもらい、手を加えずに送ってください。"] },
        P::IssuedKeyExpired => ProblemTexts {
            en: ["Issued key has expired",
                 "A server-issued key may start an operation only until its expiry. This one expired before any order was placed with it, so nothing was done.",
                 "Ask for a new key with POST /orders/prepare and place the order with it. (A key whose order was already placed keeps replaying that order until its record expires.)"],
            ja: ["発行キーの期限が切れています",
                 "発行キーで操作を始められるのは有効期限までです。このキーは注文に使われる前に期限が切れたため、何も実行していません。",
                 "POST /orders/prepare で新しいキーを発行してもらい、そのキーで注文してください。（すでに注文に使われたキーなら、レコードの有効期限が切れるまで、その注文の応答が返り続けます。）"] },
        P::UnsupportedMediaType => ProblemTexts {
            en: ["Body must be JSON",
                 "The body was not declared as JSON, so it was not read and nothing was done.",
                 "Send Content-Type: application/json with a JSON body."],
            ja: ["本文は JSON で送ってください",
                 "本文が JSON として宣言されていなかったため、本文は読んでおらず、何も実行していません。",
                 "Content-Type: application/json を付けて、本文を JSON で送ってください。"] },
        P::BodyTooLarge => ProblemTexts {
            en: ["Body is too large",
                 "The body is larger than the server accepts for an order. It was not read and nothing was done.",
                 "Send a smaller body; the detail says the limit."],
            ja: ["本文が大きすぎます",
                 "本文が、サーバーが注文として受け付ける大きさを超えています。本文は読んでおらず、何も実行していません。",
                 "本文を小さくして送ってください。上限は detail に書いてあります。"] },
        P::InvalidBody => ProblemTexts {
            en: ["Body is not a valid order",
                 "The body could not be read as an order: the detail and the field say which part and why. Nothing was done, and no key was used up.",
                 "Correct the body and send it again. The same key may be used, since nothing was stored under it."],
            ja: ["本文が正しくありません",
                 "本文を注文として読めませんでした。どの部分がなぜ問題かは detail と field に書いてあります。何も実行しておらず、キーも消費されていません。",
                 "本文を直して送り直してください。このキーでは何も保存されていないので、同じキーを使ってかまいません。"] },
        P::InvalidQuery => ProblemTexts {
            en: ["Query parameter is invalid",
                 "The query string names a parameter this operation does not take, or gives one a value it cannot use: the detail and the field say which. Nothing was read or changed.",
                 "Correct the query and ask again. The parameters each operation takes, and their ranges, are in the OpenAPI document at /openapi.json; a parameter left out takes its default."],
            ja: ["クエリパラメーターが正しくありません",
                 "クエリ文字列に、この操作では使えないパラメーターか、使えない値があります。どのパラメーターかは detail と field に書いてあります。何も読み出しも変更もしていません。",
                 "クエリを直して、もう一度問い合わせてください。各操作のパラメーターと値の範囲は /openapi.json の OpenAPI ドキュメントにあります。省略したパラメーターには既定値が使われます。"] },
        P::InvalidLabDelay => ProblemTexts {
            en: ["X-Lab-Delay-Ms is invalid",
                 "The lab lets a request ask the operation to take longer, to show a request in flight. The value given is not a whole number of milliseconds within the limit.",
                 "Send a whole number of milliseconds within the limit the detail names, or leave the header out."],
            ja: ["X-Lab-Delay-Ms が正しくありません",
                 "実験室では、処理中のリクエストを見せるために、リクエストで操作を長引かせるよう指定できます。指定された値が、上限内のミリ秒単位の整数になっていません。",
                 "detail に示された上限内で、ミリ秒単位の整数を送るか、ヘッダーを省略してください。"] },
        P::InvalidLabOperation => ProblemTexts {
            en: ["X-Lab-Operation is invalid",
                 "The lab's page names the intention behind each attempt with this header, so it can tell a retry from a new order. The value is not 1 to 64 letters, digits or hyphens.",
                 "Send a UUID or another name of letters, digits and hyphens, or leave the header out."],
            ja: ["X-Lab-Operation が正しくありません",
                 "実験室のページは、再試行と新しい注文を見分けられるように、各試行がどの意図によるものかをこのヘッダーの名前で示します。値が、英数字とハイフンだけの 1〜64 文字になっていません。",
                 "UUID など、英数字とハイフンだけの名前を送るか、ヘッダーを省略してください。"] },
        P::InvalidLabIssue => ProblemTexts {
            en: ["X-Lab-Issue is invalid",
                 "The lab can ask prepare for a key that has already expired, to show what happens to one. The only value it knows is expired.",
                 "Send X-Lab-Issue: expired, or leave the header out for a normal key."],
            ja: ["X-Lab-Issue が正しくありません",
                 "実験室では、期限切れのキーがどう扱われるかを見せるために、すでに期限が切れたキーを prepare に発行させることができます。このヘッダーで使える値は expired だけです。",
                 "X-Lab-Issue: expired を送るか、通常のキーが必要ならヘッダーを省略してください。"] },
        P::IdempotencyKeyReused => ProblemTexts {
            en: ["Idempotency-Key is already used for a different request",
                 "This key already belongs to an operation whose request was different (the server compares a fingerprint of the body). Running this one under the same key could hide it or replay the wrong answer, so nothing was done.",
                 "A new operation needs a new key. If this was meant as a retry, send exactly the body of the first attempt."],
            ja: ["この Idempotency-Key は別のリクエストに使われています",
                 "このキーは、リクエストの内容が異なる別の操作にすでに使われています（サーバーは本文のフィンガープリントを比較します）。同じキーでこのリクエストを実行すると、このリクエストが隠れてしまったり、間違った応答を返したりするおそれがあるため、何も実行していません。",
                 "新しい操作には新しいキーを使ってください。再試行のつもりなら、最初の試行とまったく同じ本文を送ってください。"] },
        P::RequestInFlight => ProblemTexts {
            en: ["A request with this key is in progress",
                 "Another attempt with this key is still running. Running a second one at the same time could make a second order, so this one was not run.",
                 "Wait the seconds in Retry-After, then send the same request with the same key: you get the first attempt's answer once it is stored."],
            ja: ["このキーのリクエストを処理中です",
                 "このキーを使った別の試行がまだ処理中です。同時にもう 1 つ実行すると 2 件目の注文ができるおそれがあるため、この試行は実行していません。",
                 "Retry-After の秒数だけ待ってから、同じキーで同じリクエストを送ってください。最初の試行の応答が保存されていれば、それが返ります。"] },
        P::NotFound => ProblemTexts {
            en: ["Not found",
                 "Nothing is at this path: an order id that does not exist, a learner's record that is not there, or a path the API does not have.",
                 "Check the path and the id. An order is found under the id in the Location header of its 201."],
            ja: ["見つかりません",
                 "このパスには何もありません。存在しない注文 ID、見つからない学習者のレコード、API にないパスのいずれかです。",
                 "パスと ID を確かめてください。注文は、その注文の 201 応答の Location ヘッダーにある ID で取得できます。"] },
        P::MethodNotAllowed => ProblemTexts {
            en: ["Method not allowed",
                 "This path exists but does not take this method; the Allow header lists the ones it does.",
                 "Use one of the methods in Allow."],
            ja: ["このメソッドは使えません",
                 "このパスは存在しますが、このメソッドは受け付けません。使えるメソッドは Allow ヘッダーにあります。",
                 "Allow にあるメソッドを使ってください。"] },
        P::LabFailure => ProblemTexts {
            en: ["Failed on purpose",
                 "The lab's switch that makes prepare fail is on, to show a client what to do when it cannot get a key. Nothing was issued or stored.",
                 "Calling prepare again is safe; it issues a new key once the switch is off."],
            ja: ["わざと失敗させました",
                 "キーを受け取れないときにクライアントがどうすべきかを見せるため、prepare を失敗させる実験室のスイッチが入っています。キーは発行しておらず、何も保存していません。",
                 "prepare はもう一度呼んでも安全です。スイッチを切れば新しいキーが発行されます。"] },
        P::LabControlsOff => ProblemTexts {
            en: ["Lab controls are off",
                 "This server runs with the lab's controls (delays, resets) switched off.",
                 "Leave out the lab's headers, or start the server with --lab-controls true."],
            ja: ["実験用の操作は無効です",
                 "このサーバーは、実験用の操作（遅延、リセット）を無効にして動作しています。",
                 "実験用のヘッダーを付けずに送るか、--lab-controls true を指定してサーバーを起動してください。"] },
        P::DatabaseUnavailable => ProblemTexts {
            en: ["Database unavailable",
                 "The server could not reach its database, so it could not check the key or store an answer. Whatever the request was, it either did not happen or its answer is stored for a retry.",
                 "Retry later with the same key: the retry either runs the operation once or gets its stored answer."],
            ja: ["データベースに接続できません",
                 "サーバーがデータベースに接続できなかったため、キーの確認も応答の保存もできませんでした。どのリクエストであっても、実行されていないか、実行済みで応答が再試行用に保存されているかのどちらかです。",
                 "時間をおいて同じキーで再試行してください。操作が 1 回だけ実行されるか、保存された応答が返ります。"] },
        P::InternalError => ProblemTexts {
            en: ["Internal error",
                 "Something unexpected failed inside the server. An operation either committed whole, with its answer stored, or not at all.",
                 "Retry with the same key: you get the stored answer, or the operation runs once."],
            ja: ["内部エラー",
                 "サーバー内部で予期しないエラーが起きました。操作は、応答の保存も含めてすべて確定したか、何も確定していないかのどちらかです。",
                 "同じキーで再試行してください。保存された応答が返るか、操作が 1 回だけ実行されます。"] },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_says_what_it_means_and_what_to_do_in_both_languages() {
        for kind in ProblemType::ALL {
            let texts = texts(kind);
            for text in texts.en.iter().chain(&texts.ja) {
                assert!(!text.is_empty(), "{kind:?}");
                assert!(!text.contains(['<', '&']), "{kind:?}: plain text only");
            }
        }
    }
}
