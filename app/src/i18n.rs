//! Every text on the page, in English and Japanese. Our own words; the chapter's are its author's.
//! A `{}` in a text is filled in with `fill`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Lang {
    #[default]
    En,
    Ja,
}

/// The cookie that remembers the learner's language, so the server renders it from the first byte.
pub const LANG_COOKIE: &str = "lab_lang";

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ja => "ja",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        match code.trim().get(..2)?.to_ascii_lowercase().as_str() {
            "en" => Some(Lang::En),
            "ja" => Some(Lang::Ja),
            _ => None,
        }
    }

    /// The first supported language in an `Accept-Language` header.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        header
            .split(',')
            .find_map(|part| Lang::from_code(part.split(';').next()?))
    }

    /// The language named by the `lab_lang` cookie in a `Cookie` header.
    pub fn from_cookie_header(header: &str) -> Option<Lang> {
        header.split(';').find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == LANG_COOKIE)
                .then(|| Lang::from_code(value))
                .flatten()
        })
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::En => &EN,
            Lang::Ja => &JA,
        }
    }
}

pub fn fill(template: &str, value: impl std::fmt::Display) -> String {
    template.replacen("{}", &value.to_string(), 1)
}

pub struct Texts {
    pub title: &'static str,
    pub tagline: &'static str,
    pub language: &'static str,
    pub not_hydrated: &'static str,
    pub server_unreachable: &'static str,

    pub key_mode: &'static str,
    pub mode_client: &'static str,
    pub mode_client_gain: &'static str,
    pub mode_client_risk: &'static str,
    pub mode_server: &'static str,
    pub mode_server_gain: &'static str,
    pub mode_server_risk: &'static str,
    pub mode_server_note: &'static str,

    pub order: &'static str,
    pub user_id: &'static str,
    pub sku: &'static str,
    pub qty: &'static str,
    pub add_item: &'static str,
    pub remove_item: &'static str,
    pub place_order: &'static str,
    pub place_new_order: &'static str,
    pub send_again: &'static str,
    pub new_order: &'static str,
    pub abandon: &'static str,
    pub abandon_note: &'static str,
    pub edited_note: &'static str,

    pub controls: &'static str,
    pub delay: &'static str,
    pub delay_note: &'static str,
    pub disable_while_pending: &'static str,
    pub disable_note: &'static str,
    pub reset: &'static str,
    pub accidents: &'static str,
    pub acc_new_key: &'static str,
    pub acc_new_key_note: &'static str,
    pub acc_reuse: &'static str,
    pub acc_reuse_note: &'static str,
    pub acc_lose: &'static str,
    pub acc_lose_note: &'static str,
    pub acc_fail_prepare: &'static str,
    pub acc_fail_prepare_note: &'static str,
    pub duplicate: &'static str,
    pub duplicate_title: &'static str,

    pub status_idle: &'static str,
    pub status_preparing: &'static str,
    pub status_sending: &'static str,
    pub status_waiting: &'static str,
    pub status_done: &'static str,
    pub status_done_replayed: &'static str,
    pub status_failed: &'static str,
    pub resuming: &'static str,
    pub current_key: &'static str,
    pub key_expires: &'static str,

    pub timeline: &'static str,
    pub timeline_empty: &'static str,
    pub col_time: &'static str,
    pub col_key: &'static str,
    pub col_sent: &'static str,
    pub col_status: &'static str,
    pub col_replayed: &'static str,
    pub col_latency: &'static str,
    pub col_what: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub network_error: &'static str,
    pub prepare_call: &'static str,
    pub extra_click: &'static str,

    pub explain_created: &'static str,
    pub explain_replayed: &'static str,
    pub explain_in_flight: &'static str,
    pub explain_mismatch: &'static str,
    pub explain_network: &'static str,
    pub explain_prepared: &'static str,
    pub explain_key_expired: &'static str,
    pub explain_interrupted: &'static str,

    pub orders: &'static str,
    pub orders_empty: &'static str,
    pub only_mine: &'static str,
    pub col_order: &'static str,
    pub col_user: &'static str,
    pub col_items: &'static str,
    pub col_created: &'static str,
    pub records: &'static str,
    pub records_empty: &'static str,
    pub col_state: &'static str,
    pub col_fingerprint: &'static str,
    pub col_stored: &'static str,
    pub col_replays: &'static str,
    pub col_expires: &'static str,
    pub state_in_flight: &'static str,
    pub state_completed: &'static str,
    pub state_expired: &'static str,
    pub refresh: &'static str,
    pub not_found: &'static str,
    pub back: &'static str,
}

pub static EN: Texts = Texts {
    title: "Idempotency keys lab",
    tagline: "Place an order, press the button again and again, reload in the middle of a request: the server keeps exactly one order per Idempotency-Key. Every attempt, key and answer is laid out below.",
    language: "Language",
    not_hydrated: "Loading the interactive part… the buttons wake up once it is ready.",
    server_unreachable: "The server is not answering. Attempts will fail until it is back; the pending operation and its key are kept.",

    key_mode: "Who creates the key?",
    mode_client: "The client creates it",
    mode_client_gain: "Gain: one round trip, and retries are in the client's hands — it keeps the key and resends it for as long as it needs to.",
    mode_client_risk: "Risk: the client must create the key once per operation and keep it (here: sessionStorage, so a reload keeps it). A key made inside the retry loop makes every retry a new order.",
    mode_server: "The server issues it",
    mode_server_gain: "Gain: the server decides the key's format and lifetime, which helps when many clients of uneven quality call the API.",
    mode_server_risk: "Risk: an extra call (POST /orders/prepare) that can fail too, and the client still has to keep the key between attempts.",
    mode_server_note: "POST /orders/prepare is this lab's extension: no standard defines server-issued keys.",

    order: "Order",
    user_id: "User",
    sku: "SKU",
    qty: "Qty",
    add_item: "Add item",
    remove_item: "Remove",
    place_order: "Place order",
    place_new_order: "Place order (new key)",
    send_again: "Send again with the same key",
    new_order: "New order",
    abandon: "Abandon this operation",
    abandon_note: "Abandoning forgets the key. If the server did create the order, a new attempt will create another one: only do this when the operation can no longer finish.",
    edited_note: "You changed the order, so the next click is a new operation with a new key. A different body under the old key would be refused (422).",

    controls: "Lab controls",
    delay: "Server delay (ms)",
    delay_note: "Holds each request on the server after it claims the key, before the order commits: time to click again or reload.",
    disable_while_pending: "Disable the button while a request is pending",
    disable_note: "Off: every click sends the same key again, and the server answers 409 or replays. On: the page stops the clicks instead. Try both.",
    reset: "Reset lab data",
    accidents: "Accidents to cause on purpose",
    acc_new_key: "A new key on every retry",
    acc_new_key_note: "The key is made inside the retry loop. Lose a response too, and the retry becomes a second order.",
    acc_reuse: "One key per user, reused for every order",
    acc_reuse_note: "The key is mistaken for \"who orders\". Place an order, change it, place it again: the server refuses the second with 422.",
    acc_lose: "Lose the first response",
    acc_lose_note: "The page stops waiting after 0.4 s while the server carries on and commits. The retry with the same key gets the stored answer.",
    acc_fail_prepare: "Make the next prepare call fail",
    acc_fail_prepare_note: "Server-issued mode: the page retries prepare. An issued key nobody used costs nothing — it is not stored anywhere.",
    duplicate: "duplicate?",
    duplicate_title: "Same user and items as an earlier order under another key: probably one intention, two orders.",

    status_idle: "Ready. The first click creates the key for this operation.",
    status_preparing: "Asking the server for a key (POST /orders/prepare)…",
    status_sending: "Sending attempt {}…",
    status_waiting: "Waiting {} s before retrying with the same key…",
    status_done: "Done: order created.",
    status_done_replayed: "Done: the server replayed the stored answer; no second order.",
    status_failed: "Failed: {}",
    resuming: "Resuming the order with key {}, kept across the reload.",
    current_key: "Key of this operation",
    key_expires: "issued key expires at {}",

    timeline: "Attempts",
    timeline_empty: "No attempts yet.",
    col_time: "Time",
    col_key: "Key",
    col_sent: "Sent",
    col_status: "Status",
    col_replayed: "Replayed",
    col_latency: "Latency",
    col_what: "What happened",
    yes: "yes",
    no: "no",
    network_error: "network error",
    prepare_call: "prepare",
    extra_click: "extra click",

    explain_created: "The server claimed the key, created the order and stored its answer.",
    explain_replayed: "The key was already completed: the stored answer came back, no new order.",
    explain_in_flight: "The first request with this key is still running, so the server refused to run it twice.",
    explain_mismatch: "This key already belongs to a different request, so the server refused it.",
    explain_network: "No answer reached the page. The server may or may not have done the work — which is exactly why the retry uses the same key.",
    explain_prepared: "The server issued a key; nothing is stored until an order uses it.",
    explain_key_expired: "The issued key expired before any order used it; the page asks for a new one.",
    explain_interrupted: "The page was reloaded while this attempt was on its way. The server kept working on it; the page kept the key.",

    orders: "Orders (from the server)",
    orders_empty: "No orders yet.",
    only_mine: "Only this user's orders",
    col_order: "Order",
    col_user: "User",
    col_items: "Items",
    col_created: "Created",
    records: "Idempotency records (from the server)",
    records_empty: "No records yet.",
    col_state: "State",
    col_fingerprint: "Fingerprint",
    col_stored: "Stored",
    col_replays: "Replays",
    col_expires: "Expires",
    state_in_flight: "in flight",
    state_completed: "completed",
    state_expired: "expired",
    refresh: "Refresh",
    not_found: "Page not found",
    back: "Back to the lab",
};

pub static JA: Texts = Texts {
    title: "冪等キー実験室",
    tagline: "注文して、ボタンを何度も押して、リクエストの途中でページを再読み込みしてみてください。サーバーは Idempotency-Key ごとに注文をちょうど 1 件だけ残します。すべての試行・キー・応答を下に並べます。",
    language: "言語",
    not_hydrated: "操作できる部分を読み込み中です。準備ができるとボタンが使えるようになります。",
    server_unreachable: "サーバーが応答しません。復旧するまで試行は失敗しますが、処理中の操作とそのキーは保持されます。",

    key_mode: "キーを作るのは誰？",
    mode_client: "クライアントが作る",
    mode_client_gain: "利点：往復は 1 回だけ。再送の主導権はクライアントにあり、同じキーを必要なだけ送り直せます。",
    mode_client_risk: "注意点：キーは操作ごとに 1 回だけ作り、保持し続けること（ここでは sessionStorage に保存するので再読み込みしても残ります）。再送ループの中でキーを作ると、再送のたびに別の注文になります。",
    mode_server: "サーバーが発行する",
    mode_server_gain: "利点：キーの形式と有効期限をサーバーが決められます。品質のばらつく多数のクライアントを相手にするときに効きます。",
    mode_server_risk: "注意点：呼び出し（POST /orders/prepare）が 1 つ増え、それ自体も失敗しえます。さらにクライアントは試行の間キーを保持する必要があります。",
    mode_server_note: "POST /orders/prepare はこの実験室の独自拡張です。サーバー発行キーを定める標準はありません。",

    order: "注文",
    user_id: "ユーザー",
    sku: "商品コード",
    qty: "数量",
    add_item: "商品を追加",
    remove_item: "削除",
    place_order: "注文する",
    place_new_order: "注文する（新しいキー）",
    send_again: "同じキーでもう一度送る",
    new_order: "新しい注文",
    abandon: "この操作をあきらめる",
    abandon_note: "あきらめるとキーを忘れます。サーバー側で注文ができていた場合、次の試行で 2 件目ができてしまいます。操作がもう完了できないときだけ使ってください。",
    edited_note: "注文内容を変えたので、次のクリックは新しいキーを使う別の操作になります。古いキーで違う内容を送ると拒否されます（422）。",

    controls: "実験の設定",
    delay: "サーバーの遅延（ミリ秒）",
    delay_note: "キーを確保してから注文を確定するまで、サーバーで各リクエストを止めておきます。その間にもう一度押したり、再読み込みしたりできます。",
    disable_while_pending: "処理中はボタンを無効にする",
    disable_note: "オフ：押すたびに同じキーが送られ、サーバーは 409 を返すか保存済みの応答を再送します。オン：ページ側で連打を止めます。両方試してみてください。",
    reset: "実験データをリセット",
    accidents: "わざと起こす事故",
    acc_new_key: "再送のたびに新しいキーを作る",
    acc_new_key_note: "キーを再送ループの中で作ってしまう実装です。あわせて応答を失わせると、再送が 2 件目の注文になります。",
    acc_reuse: "ユーザーごとに 1 つのキーを全注文で使い回す",
    acc_reuse_note: "キーを「誰が注文したか」と取り違えた実装です。注文し、内容を変えてもう一度注文すると、サーバーは 2 回目を 422 で拒否します。",
    acc_lose: "最初の応答を失わせる",
    acc_lose_note: "ページは 0.4 秒で待つのをやめますが、サーバーは処理を続けて確定します。同じキーで再送すると保存済みの応答が返ります。",
    acc_fail_prepare: "次のキー発行（prepare）を失敗させる",
    acc_fail_prepare_note: "サーバー発行モードでは、ページが prepare をやり直します。使われなかった発行キーはどこにも保存されないので、害はありません。",
    duplicate: "重複？",
    duplicate_title: "別のキーで、同じユーザー・同じ商品の注文が先にあります。意図は 1 回、注文は 2 件という状態です。",

    status_idle: "準備完了。最初のクリックでこの操作のキーを作ります。",
    status_preparing: "サーバーにキーを発行してもらっています（POST /orders/prepare）…",
    status_sending: "{} 回目の試行を送信中…",
    status_waiting: "{} 秒待ってから同じキーで再送します…",
    status_done: "完了：注文が作成されました。",
    status_done_replayed: "完了：サーバーは保存済みの応答を返しました。2 件目の注文はありません。",
    status_failed: "失敗：{}",
    resuming: "再読み込みをまたいで保持していたキー {} で注文を再開します。",
    current_key: "この操作のキー",
    key_expires: "発行キーの有効期限 {}",

    timeline: "試行の記録",
    timeline_empty: "まだ試行はありません。",
    col_time: "時刻",
    col_key: "キー",
    col_sent: "送信内容",
    col_status: "ステータス",
    col_replayed: "再送応答",
    col_latency: "所要時間",
    col_what: "何が起きたか",
    yes: "はい",
    no: "いいえ",
    network_error: "通信エラー",
    prepare_call: "キー発行",
    extra_click: "追加のクリック",

    explain_created: "サーバーがキーを確保し、注文を作成して、その応答を保存しました。",
    explain_replayed: "このキーの処理は完了済みでした。保存済みの応答が返り、新しい注文はできていません。",
    explain_in_flight: "このキーの最初のリクエストがまだ処理中なので、サーバーは二重実行を断りました。",
    explain_mismatch: "このキーはすでに別の内容のリクエストに使われているため、サーバーは拒否しました。",
    explain_network: "応答がページに届きませんでした。サーバーが処理したかどうかは分かりません。だからこそ再送には同じキーを使います。",
    explain_prepared: "サーバーがキーを発行しました。注文に使われるまで何も保存されません。",
    explain_key_expired: "発行キーが注文に使われる前に期限切れになったので、新しいキーを発行してもらいます。",
    explain_interrupted: "この試行の途中でページが再読み込みされました。サーバーは処理を続け、ページはキーを保持しています。",

    orders: "注文（サーバー上）",
    orders_empty: "まだ注文はありません。",
    only_mine: "このユーザーの注文だけ表示",
    col_order: "注文",
    col_user: "ユーザー",
    col_items: "商品",
    col_created: "作成日時",
    records: "冪等性レコード（サーバー上）",
    records_empty: "まだレコードはありません。",
    col_state: "状態",
    col_fingerprint: "フィンガープリント",
    col_stored: "保存済み",
    col_replays: "再送回数",
    col_expires: "有効期限",
    state_in_flight: "処理中",
    state_completed: "完了",
    state_expired: "期限切れ",
    refresh: "更新",
    not_found: "ページが見つかりません",
    back: "実験室に戻る",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_comes_from_cookie_or_accept_language() {
        assert_eq!(Lang::from_cookie_header("a=b; lab_lang=ja"), Some(Lang::Ja));
        assert_eq!(Lang::from_cookie_header("a=b"), None);
        assert_eq!(
            Lang::from_accept_language("fr-FR,ja;q=0.8,en;q=0.5"),
            Some(Lang::Ja)
        );
        assert_eq!(Lang::from_accept_language("de"), None);
    }
}
